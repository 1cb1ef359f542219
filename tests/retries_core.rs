//! Issue 19: `until` / `retries` / `delay` as ansible-core runs them, side by side with the real
//! ansible-core 2.19 (local connection, one host): the same `FAILED - RETRYING` lines, the same
//! `attempts` in registered results (3 when `until` holds on the third attempt, `retries` when
//! the attempts run out, 1 when `until` holds at once), the same task output apart from timings.

use std::path::Path;
use std::process::Command;

const PLAY: &str = r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: count
      shell: echo x >> {{ dir }}/c; wc -l < {{ dir }}/c
      register: r
      until: r.stdout | int >= 3
      retries: 5
      delay: 0
    - debug: var=r.attempts
    - name: never
      command: /bin/false
      retries: 2
      delay: 0
      ignore_errors: true
      register: f
    - debug: var=f.attempts
    - debug: var=f.failed
    - name: first time
      command: echo fine
      until: true
      register: once
    - debug: var=once.attempts
"#;

/// The lines both tools print, timings removed (and ansible-core's error excerpts, which go
/// with its `[ERROR]` display).
fn normalized(out: &str) -> Vec<String> {
    let time = regex::Regex::new(r#""(delta|end|start)": "[^"]*""#).expect("regex");
    out.lines()
        .filter(|l| {
            l.starts_with("FAILED - RETRYING")
                || l.starts_with("ok: ")
                || l.starts_with("changed: ")
                || l.starts_with("fatal: ")
                || l.starts_with("...ignoring")
                || l.starts_with("    \"")
                || l.starts_with("h1 ")
        })
        .map(|l| time.replace_all(l, "\"$1\": T").into_owned())
        .collect()
}

fn run(argv: &[&str], dir: &Path) -> String {
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .env("ANSIBLE_NOCOLOR", "1")
        .output()
        .expect("run");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn until_retries_and_attempts_match_ansible_core() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    std::fs::write(
        d.join("hosts"),
        "h1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
    )
    .expect("hosts");
    std::fs::write(d.join("u.yml"), PLAY).expect("playbook");
    let extra = format!("dir={}", d.display());
    let core = run(
        &[
            "/opt/flock-bench/bin/ansible-playbook",
            "-i",
            "hosts",
            "u.yml",
            "-e",
            &extra,
        ],
        d,
    );
    std::fs::remove_file(d.join("c")).expect("reset the counter");
    let flock = run(
        &[
            env!("CARGO_BIN_EXE_flock"),
            "playbook",
            "-i",
            "hosts",
            "u.yml",
            "-e",
            &extra,
        ],
        d,
    );
    let (core, flock) = (normalized(&core), normalized(&flock));
    assert!(
        core.iter().any(|l| l.contains("(4 retries left)")),
        "ansible-core retried: {core:#?}"
    );
    assert_eq!(flock, core);
}
