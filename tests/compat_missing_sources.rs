//! Found by the twin-lab comparison (`compat-tests/twin.py`, cluster playbook): a missing
//! controller-side source, as Ansible 1.2 reports it (checked against /opt/ansible12).
//! `copy`: a failure naming the absolute path 1.2 looked at (`utils.path_dwim`);
//! `template`: "unable to read <path>", a controller error, so the host counts as unreachable.
//! Printed as 1.2 printed them (twin.py's printed-line comparison): a failure's JSON has no
//! `changed: false` and no `src`; the controller error is the repr of 1.2's result dict; the retry
//! hint comes right after the `PLAY RECAP` banner, indented, then a blank line.

use std::fs;
use std::path::Path;
use std::process::Command;

fn run(dir: &Path, play: &str) -> String {
    fs::write(dir.join("hosts"), "h1 ansible_connection=local\n").unwrap();
    fs::write(dir.join("p.yml"), play).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_flock"))
        .args(["playbook", "--dialect", "1.2", "-i", "hosts", "p.yml"])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn copy_missing_src_names_the_absolute_path_and_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let out = run(
        d,
        &format!(
            "- hosts: all\n  gather_facts: no\n  tasks:\n    - name: key\n      copy: src=keys/authkey dest={}/out\n",
            d.display()
        ),
    );
    assert!(
        out.contains(&format!(
            "msg: could not find src={}/keys/authkey\n",
            d.display()
        )),
        "{out}"
    );
    assert!(
        out.contains("\nfailed: [h1] => {\"failed\": true}\nmsg: "),
        "{out}"
    );
    assert!(out.contains("unreachable=0    failed=1"), "{out}");
    let recap = format!(
        "\nPLAY RECAP {} \n           to retry, use: --limit @./p.retry\n\nh1 ",
        "*".repeat(68)
    );
    assert!(out.contains(&recap), "{out}");
}

#[test]
fn template_missing_src_is_unable_to_read_and_unreachable() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let out = run(
        d,
        &format!(
            "- hosts: all\n  gather_facts: no\n  tasks:\n    - name: t\n      template: src=nope.j2 dest={}/out\n",
            d.display()
        ),
    );
    assert!(
        out.contains(&format!(
            "fatal: [h1] => {{'msg': 'unable to read {}/nope.j2', 'failed': True}}\n",
            d.display()
        )),
        "{out}"
    );
    assert!(out.contains("unreachable=1    failed=0"), "{out}");
    assert!(!d.join("out").exists());
}
