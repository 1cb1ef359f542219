//! Issue 19 (Vault, playbook side): playbooks with `!vault` values, an encrypted `vars_files`
//! file, encrypted `group_vars`, `include_vars` of an encrypted file and `copy`/`template` of
//! encrypted sources, run side by side with the real ansible-core 2.19 on localhost (local
//! connection) with files made by the real `ansible-vault`: the same output and the same files
//! written, with `--vault-id` (two labels), `--vault-password-file` as a script and ansible.cfg.
//! A wrong or missing password names the file and changes nothing.

use std::path::Path;
use std::process::{Command, Output};

const CORE_BIN: &str = "/opt/flock-bench/bin";
const INVENTORY: &str =
    "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n";

/// The main playbook: inline, vars_files, group_vars and include_vars secrets, and copies.
const PLAY: &str = r#"
- hosts: localhost
  gather_facts: false
  vars_files:
    - vf.yml
  tasks:
    - debug: var=inline
    - debug: msg="{{ inline }} {{ dbpass }} {{ plain }}"
    - debug: var=gpass
    - include_vars: iv.yml
    - debug: var=ivpass
    - copy: src=secret.txt dest={{ out }}/a mode=0600
    - copy: src=secret.txt dest={{ out }}/b mode=0600 decrypt=no
    - template: src=t.j2 dest={{ out }}/c mode=0600
    - copy: src=secret.txt dest={{ out }}/a mode=0600
"#;

/// `inline` as a `!vault` value (encrypted with `pw1`) in the play's vars.
fn play_with_inline(dir: &Path) -> String {
    let out = run(
        dir,
        &format!("{CORE_BIN}/ansible-vault"),
        &[
            "encrypt_string",
            "--vault-password-file",
            "pw1",
            "--name",
            "inline",
            "in line secret",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let vars: String = text(&out.stdout)
        .lines()
        .map(|l| format!("    {l}\n"))
        .collect();
    PLAY.replacen(
        "  vars_files:",
        &format!(
            "  vars:\n    out: \"{}\"\n{vars}  vars_files:",
            out_dir(dir)
        ),
        1,
    )
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn out_dir(dir: &Path) -> String {
    dir.join("out").display().to_string()
}

/// Runs `program args…` in `dir` without colours.
fn run(dir: &Path, program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("PYTHONWARNINGS", "ignore")
        .env_remove("ANSIBLE_VAULT_PASSWORD_FILE")
        .env_remove("ANSIBLE_VAULT_IDENTITY_LIST")
        .env_remove("ANSIBLE_CONFIG")
        .output()
        .expect("run")
}

/// Encrypts `name` in place with `ansible-vault encrypt` and the given password options.
fn vault_encrypt(dir: &Path, name: &str, opts: &[&str]) {
    let args = [&["encrypt"], opts, &[name]].concat();
    let out = run(dir, &format!("{CORE_BIN}/ansible-vault"), &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A fresh fixture: passwords `pw1`/`pw2`, a script printing `pw1`, the files encrypted by the
/// real ansible-vault (`vf.yml`, `iv.yml`, `secret.txt`, `t.j2` with pw1; `group_vars/all.yml`
/// with label `prod` and pw2), and `p.yml`.
fn fixture() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let files = [
        ("hosts", INVENTORY),
        ("pw1", "first password\n"),
        ("pw2", "second password\n"),
        ("pw.sh", "#!/bin/sh\necho 'first password'\n"),
        ("vf.yml", "dbpass: from vars file\nplain: p1\n"),
        ("iv.yml", "ivpass: from include_vars\n"),
        ("group_vars/all.yml", "gpass: from group vars\n"),
        ("secret.txt", "top secret file\n"),
        ("t.j2", "x={{ plain }}\n"),
    ];
    for (name, body) in files {
        let path = d.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, body).expect("write");
    }
    std::fs::set_permissions(d.join("pw.sh"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    for name in ["vf.yml", "iv.yml", "secret.txt", "t.j2"] {
        vault_encrypt(d, name, &["--vault-password-file", "pw1"]);
    }
    vault_encrypt(d, "group_vars/all.yml", &["--vault-id", "prod@pw2"]);
    std::fs::write(d.join("p.yml"), play_with_inline(d)).expect("play");
    std::fs::create_dir_all(d.join("out")).expect("out");
    dir
}

/// The run's stdout, output files and exit code, under ansible-core (`core`) or flock.
struct Outcome {
    stdout: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
    code: Option<i32>,
    all_text: String,
}

fn play(core: bool, opts: &[&str]) -> Outcome {
    let dir = fixture();
    play_in(dir.path(), core, opts, "p.yml")
}

fn play_in(d: &Path, core: bool, opts: &[&str], playbook: &str) -> Outcome {
    let args = [&["-i", "hosts"], opts, &[playbook]].concat();
    let out = if core {
        run(d, &format!("{CORE_BIN}/ansible-playbook"), &args)
    } else {
        let full = [&["playbook"], &args[..]].concat();
        run(d, env!("CARGO_BIN_EXE_flock"), &full)
    };
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(d.join("out"))
        .expect("out")
        .map(|e| {
            let e = e.expect("entry");
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).expect("read"))
        })
        .collect();
    files.sort();
    let stdout = text(&out.stdout);
    Outcome {
        stdout: stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(String::from)
            .collect(),
        files,
        code: out.status.code(),
        all_text: format!("{stdout}\n{}", text(&out.stderr)),
    }
}

/// The files with `b` (a `decrypt=no` copy: each fixture's ansible-vault salt differs) cut to
/// its header line.
fn comparable(files: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    let head = |d: &[u8]| d.split(|b| *b == b'\n').next().unwrap_or_default().to_vec();
    files
        .iter()
        .map(|(n, d)| (n.clone(), if n == "b" { head(d) } else { d.clone() }))
        .collect()
}

/// Both engines with the same options: same stdout lines, same files, same exit code.
fn same_as_core(opts: &[&str]) -> Outcome {
    let core = play(true, opts);
    let flock = play(false, opts);
    assert_eq!(flock.stdout, core.stdout, "flock: {}", flock.all_text);
    assert_eq!(comparable(&flock.files), comparable(&core.files));
    assert_eq!(flock.code, core.code);
    flock
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn two_vault_ids_decrypt_every_kind_of_secret_like_ansible_core() {
    let run = same_as_core(&["--vault-id", "pw1", "--vault-id", "prod@pw2"]);
    assert_eq!(run.code, Some(0), "{}", run.all_text);
    for shown in [
        "    \"inline\": \"in line secret\"",
        "    \"msg\": \"in line secret from vars file p1\"",
        "    \"gpass\": \"from group vars\"",
        "    \"ivpass\": \"from include_vars\"",
    ] {
        assert!(
            run.stdout.iter().any(|l| l == shown),
            "{shown}: {:#?}",
            run.stdout
        );
    }
    let file = |n: &str| &run.files.iter().find(|(f, _)| f == n).expect(n).1;
    assert_eq!(file("a"), b"top secret file\n");
    assert!(file("b").starts_with(b"$ANSIBLE_VAULT;1.1;AES256\n"));
    assert_eq!(file("c"), b"x=p1\n");
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn password_script_and_ansible_cfg_are_sources_like_ansible_core() {
    let with_script = same_as_core(&["--vault-password-file", "pw.sh", "--vault-id", "prod@pw2"]);
    assert_eq!(with_script.code, Some(0), "{}", with_script.all_text);
    for core in [true, false] {
        let dir = fixture();
        let d = dir.path();
        let cfg = "[defaults]\nvault_password_file = pw.sh\nvault_identity_list = prod@pw2\n";
        std::fs::write(d.join("ansible.cfg"), cfg).expect("cfg");
        let got = play_in(d, core, &[], "p.yml");
        assert_eq!(
            got.stdout, with_script.stdout,
            "core={core}: {}",
            got.all_text
        );
        assert_eq!(comparable(&got.files), comparable(&with_script.files));
    }
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn wrong_or_missing_password_names_the_file_and_changes_nothing() {
    let cases: [(&[&str], &str); 2] = [
        (
            &["--vault-id", "pw2", "--vault-id", "prod@pw2"],
            "Decryption failed (no vault secrets were found that could decrypt)",
        ),
        (&[], "Attempting to decrypt but no vault secrets found"),
    ];
    for (opts, message) in cases {
        for core in [true, false] {
            let got = play(core, opts);
            assert_ne!(got.code, Some(0), "core={core}");
            assert!(
                got.all_text.contains(message),
                "core={core}: {}",
                got.all_text
            );
            let named = ["vf.yml", "all.yml"]
                .iter()
                .any(|f| got.all_text.contains(&format!("/{f}")));
            assert!(named, "core={core} names the file: {}", got.all_text);
            assert!(got.files.is_empty(), "core={core} wrote {:?}", got.files);
            let secret = "in line secret";
            assert!(!got.all_text.contains(secret), "core={core}");
        }
    }
}

/// A play whose only vault data is an inline value, used by the second task only, and a copy
/// of an encrypted file; run with the group_vars and vars file out of the way.
const INLINE_ONLY: &str = r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: content="before\n" dest={{ out }}/before
    - debug: var=inline
    - copy: content="after\n" dest={{ out }}/after
"#;

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn undecryptable_inline_value_fails_only_where_it_is_used() {
    let mut outcomes = Vec::new();
    for core in [true, false] {
        let dir = fixture();
        let d = dir.path();
        std::fs::remove_dir_all(d.join("group_vars")).expect("rm group_vars");
        let inline = play_with_inline(d);
        let vars_start = inline.find("  vars:").expect("vars");
        let vars_end = inline.find("  vars_files:").expect("vars_files");
        let body = INLINE_ONLY.replacen(
            "  tasks:",
            &format!("{}  tasks:", &inline[vars_start..vars_end]),
            1,
        );
        std::fs::write(d.join("inline.yml"), body).expect("write");
        let got = play_in(d, core, &["--vault-password-file", "pw2"], "inline.yml");
        assert!(
            got.all_text
                .contains("Attempt to use undecryptable variable: Decryption failed"),
            "core={core}: {}",
            got.all_text
        );
        assert!(got.all_text.contains("inline.yml:"), "core={core}: origin");
        let names: Vec<&str> = got.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["before"], "core={core}");
        outcomes.push(got);
    }
    let recap = |o: &Outcome| o.stdout.last().cloned();
    assert_eq!(recap(&outcomes[1]), recap(&outcomes[0]));
    assert_eq!(outcomes[1].code, outcomes[0].code);
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn copy_of_an_encrypted_src_with_a_wrong_password_names_it() {
    const COPY_ONLY: &str = "- hosts: localhost\n  gather_facts: false\n  tasks:\n    \
        - copy: src=secret.txt dest={{ out }}/a\n";
    for core in [true, false] {
        let dir = fixture();
        let d = dir.path();
        std::fs::remove_dir_all(d.join("group_vars")).expect("rm group_vars");
        std::fs::write(d.join("copy.yml"), COPY_ONLY).expect("write");
        let out = format!("out={}", out_dir(d));
        let got = play_in(
            d,
            core,
            &["--vault-password-file", "pw2", "-e", &out],
            "copy.yml",
        );
        assert_eq!(got.code, Some(2), "core={core}: {}", got.all_text);
        let msg = "Decryption failed (no vault secrets were found that could decrypt)";
        assert!(got.all_text.contains(msg), "core={core}: {}", got.all_text);
        assert!(
            got.all_text.contains("/secret.txt"),
            "core={core}: {}",
            got.all_text
        );
        assert!(got.files.is_empty(), "core={core}");
    }
}
