//! Issue 19, the dialect rule: `flock playbook` / `ansible-playbook` read a playbook with no
//! 1.2-only and no modern-only construct as modern Ansible, the toolkit's `flock play` as 1.2;
//! `[flock] dialect` in ansible.cfg and `--dialect` win (the flag over the file); `-v` says
//! which dialect and why. Told apart by an undefined variable: modern Ansible fails the task,
//! 1.2 printed the reference as written.

use std::path::Path;
use std::process::Command;

const PLAY: &str = "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=\"value {{ not_defined_anywhere }}\"\n";

fn flock(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_flock"))
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("ANSIBLE_CONFIG")
        .env_remove("FLOCK_DIALECT")
        .output()
        .expect("run flock");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("hosts"),
        "[core]\nh1 ansible_connection=local\n",
    )
    .expect("hosts");
    std::fs::write(dir.path().join("p.yml"), PLAY).expect("playbook");
    dir
}

/// Modern: the undefined variable fails the task (ansible-core's message names it).
fn is_modern(code: Option<i32>, out: &str) -> bool {
    code == Some(2) && out.contains("fatal: [h1]: FAILED!") && out.contains("not_defined_anywhere")
}

/// 1.2: the reference is printed as written (brace-smushed, as 1.2 did), the run succeeds.
fn is_legacy(code: Option<i32>, out: &str) -> bool {
    code == Some(0) && out.contains("\"msg\": \"value {{not_defined_anywhere}}\"")
}

#[test]
fn entry_points_choose_the_dialect_of_a_marker_free_playbook() {
    let dir = setup();
    let d = dir.path();
    let (code, out, err) = flock(d, &["playbook", "-i", "hosts", "p.yml", "-v"]);
    assert!(
        is_modern(code, &out),
        "flock playbook: {code:?}\n{out}{err}"
    );
    assert!(
        err.contains("dialect: modern Ansible") && err.contains("read such playbooks as modern"),
        "-v says why: {err}"
    );
    let (code, out, err) = flock(
        d,
        &[
            "play",
            "root@core",
            "p",
            "--pass-env",
            "FLOCK_TEST_NO_PASSWORD",
            "-v",
        ],
    );
    assert!(is_legacy(code, &out), "flock play: {code:?}\n{out}{err}");
    assert!(
        err.contains("dialect: Ansible 1.2") && err.contains("`flock play`"),
        "{err}"
    );
    let (code, out, _) = flock(d, &["playbook", "-i", "hosts", "p.yml", "--dialect", "1.2"]);
    assert!(is_legacy(code, &out), "--dialect 1.2: {out}");
    let (code, out, _) = flock(
        d,
        &[
            "play",
            "root@core",
            "p",
            "--pass-env",
            "FLOCK_TEST_NO_PASSWORD",
            "--dialect",
            "modern",
        ],
    );
    assert!(is_modern(code, &out), "flock play --dialect modern: {out}");
}

#[test]
fn ansible_cfg_sets_the_dialect_and_the_flag_wins() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(
        d.join("ansible.cfg"),
        "[defaults]\nforks = 5\n\n[flock]\ndialect = 1.2\n",
    )
    .expect("cfg");
    let (code, out, err) = flock(d, &["playbook", "-i", "hosts", "p.yml", "-v"]);
    assert!(
        is_legacy(code, &out),
        "ansible.cfg dialect = 1.2: {out}{err}"
    );
    assert!(err.contains("ansible.cfg [flock] dialect"), "{err}");
    let (code, out, _) = flock(
        d,
        &["playbook", "-i", "hosts", "p.yml", "--dialect", "modern"],
    );
    assert!(is_modern(code, &out), "--dialect over ansible.cfg: {out}");
    std::fs::write(d.join("ansible.cfg"), "[flock]\ndialect = modern\n").expect("cfg");
    let (code, out, _) = flock(
        d,
        &[
            "play",
            "root@core",
            "p",
            "--pass-env",
            "FLOCK_TEST_NO_PASSWORD",
        ],
    );
    assert!(
        is_modern(code, &out),
        "ansible.cfg over flock play's default: {out}"
    );
}

#[test]
fn markers_still_decide_whatever_the_entry_point() {
    let dir = setup();
    let d = dir.path();
    // `sudo:` exists only in 1.x; `become:` only in modern Ansible.
    std::fs::write(
        d.join("old.yml"),
        PLAY.replace("  tasks:", "  sudo: false\n  tasks:"),
    )
    .expect("old");
    std::fs::write(
        d.join("new.yml"),
        PLAY.replace("  tasks:", "  become: false\n  tasks:"),
    )
    .expect("new");
    let (code, out, _) = flock(d, &["playbook", "-i", "hosts", "old.yml"]);
    assert!(
        is_legacy(code, &out),
        "1.2 marker under flock playbook: {out}"
    );
    let (code, out, _) = flock(
        d,
        &[
            "play",
            "root@core",
            "new",
            "--pass-env",
            "FLOCK_TEST_NO_PASSWORD",
        ],
    );
    assert!(
        is_modern(code, &out),
        "modern marker under flock play: {out}"
    );
}

#[test]
fn the_setting_decides_only_for_marker_free_playbooks_and_is_checked() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(
        d.join("old.yml"),
        PLAY.replace("  tasks:", "  sudo: false\n  tasks:"),
    )
    .expect("old");
    std::fs::write(d.join("ansible.cfg"), "[flock]\ndialect = modern\n").expect("cfg");
    let (code, out, _) = flock(d, &["playbook", "-i", "hosts", "old.yml"]);
    assert!(
        is_legacy(code, &out),
        "a 1.2 marker over the setting: {out}"
    );
    std::fs::write(d.join("ansible.cfg"), "[flock]\ndialect = 1.3\n").expect("cfg");
    let (code, out, err) = flock(d, &["playbook", "-i", "hosts", "p.yml"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains("ansible.cfg [flock] dialect: expected 1.2 or modern, got \"1.3\""),
        "{err}"
    );
    std::fs::remove_file(d.join("ansible.cfg")).expect("rm cfg");
    let out = Command::new(env!("CARGO_BIN_EXE_flock"))
        .args(["playbook", "-i", "hosts", "p.yml"])
        .current_dir(d)
        .env("HOME", d)
        .env_remove("ANSIBLE_CONFIG")
        .env("FLOCK_DIALECT", "1.2")
        .output()
        .expect("run");
    assert!(
        is_legacy(out.status.code(), &String::from_utf8_lossy(&out.stdout)),
        "$FLOCK_DIALECT"
    );
}

/// With no inventory anywhere, a modern run goes on with only the implicit localhost after
/// ansible-core's warning (ansible-core's runme.sh targets rely on it); `flock play` (1.2)
/// still stops, as 1.2 did, and names the problem.
#[test]
fn no_inventory_means_implicit_localhost_in_modern_runs() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    std::fs::write(
        d.join("p.yml"),
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=\"on {{ inventory_hostname }}\"\n",
    )
    .expect("playbook");
    let (code, out, err) = flock(d, &["playbook", "p.yml"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        err.contains("No inventory was parsed, only implicit localhost is available"),
        "{err}"
    );
    assert!(out.contains("\"msg\": \"on localhost\""), "{out}");
    let (code, out, err) = flock(d, &["playbook", "--dialect", "1.2", "p.yml"]);
    assert_ne!(code, Some(0), "1.2 needs an inventory: {out}{err}");
}
