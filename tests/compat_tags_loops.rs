//! Found by the twin-lab comparison (`compat-tests/twin.py --tags config`, ground playbook) and
//! checked against real Ansible 1.2 (same playbook, `-t y`: no `PLAY [nomatch]` header, recap
//! `ok=2 changed=1`):
//! - a play none of whose tasks match `--tags` is dropped before it runs: no header at all;
//! - a `with_items` task whose every item was skipped counts as ok in the recap (1.2's
//!   aggregated loop result has no `skipped` key).

use std::fs;
use std::process::Command;

const PLAY: &str = "- hosts: nomatch
  tasks:
    - name: other play
      command: /bin/true
      tags: [x]
- hosts: all
  gather_facts: no
  tasks:
    - name: all skipped loop
      command: /bin/echo {{item}}
      with_items: [a, b]
      when: 1 == 2
      tags: [y]
    - name: tagged
      command: /bin/true
      tags: [y]
";

fn run(args: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("hosts"), "h1 ansible_connection=local\n").unwrap();
    fs::write(tmp.path().join("p.yml"), PLAY).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_flock"))
        .args(["playbook", "--dialect", "1.2", "-i", "hosts", "p.yml"])
        .args(args)
        .current_dir(tmp.path())
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn untagged_play_is_dropped_and_all_skipped_loop_counts_ok() {
    let out = run(&["-t", "y"]);
    assert!(!out.contains("PLAY [nomatch]"), "{out}");
    assert!(out.contains("skipping: [h1] => (item=a)"), "{out}");
    assert!(out.contains("skipping: [h1] => (item=b)"), "{out}");
    assert!(
        out.contains("h1                         : ok=2    changed=1    unreachable=0    failed=0"),
        "{out}"
    );
}

#[test]
fn without_tags_the_empty_play_still_says_no_hosts_matched() {
    let out = run(&[]);
    assert!(out.contains("PLAY [nomatch]"), "{out}");
    assert!(out.contains("skipping: no hosts matched"), "{out}");
    assert!(out.contains("ok=2    changed=1"), "{out}");
}
