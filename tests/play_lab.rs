//! The executor end to end on real lab hosts (real sshd over russh): failures, unreachable hosts,
//! handlers, exit codes, `--check` (on hosts that see the controller's binary and on hosts it
//! uploads itself to), `.retry` files.

// Scratch dirs and `flock playbook` inside a lab: the same helpers as the packages_* tests.
mod packages_support;

use flock::lab::TestLab;
use packages_support::{
    host_visible_flock, playbook as run_playbook, playbook_with, recap, Scratch,
};

const FAIL_PLAY: &str = r#"
- hosts: lab
  gather_facts: true
  tasks:
    - name: write a marker
      copy: content="hello {{ inventory_hostname }}\n" dest=/root/marker
      notify: touch handler
    - name: fail on the second host only
      command: /bin/false
      when: inventory_hostname == groups['lab'][1]
    - name: runs on the rest
      command: /bin/true
  handlers:
    - name: touch handler
      file: path=/root/handler-ran state=touch
"#;

#[test]
fn failure_on_one_host_unreachable_on_another_handlers_where_notified() {
    let lab = TestLab::new(3);
    let names: Vec<String> = lab.hosts().iter().map(|h| h.name.clone()).collect();
    let s = Scratch::new("fail");
    let inv = s.write("hosts", &lab.inventory_text());
    let pb = s.write("play.yml", FAIL_PLAY);
    // The third host's sshd is gone before the run.
    lab.exec_on_host(&names[2], "pkill -x sshd; sleep 0.2")
        .expect("stop sshd");
    let out = run_playbook(&lab, &inv, &pb, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "unreachable wins the exit code");
    assert!(
        stdout.contains(&format!("failed: [{}]", names[1])),
        "the failing host is reported"
    );
    assert!(recap(&out.stdout, &names[0]).contains("failed=0"));
    assert!(recap(&out.stdout, &names[1]).contains("failed=1"));
    assert!(recap(&out.stdout, &names[2]).contains("unreachable=1"));
    // Host 0 ran everything and its handler; host 1 stopped before the handler.
    let on = |h: &str, cmd: &str| lab.exec_on_host(h, cmd).expect("exec").status.success();
    assert!(on(&names[0], "test -f /root/handler-ran"));
    assert!(on(
        &names[0],
        "grep -qx 'hello core-01' /root/marker || grep -q hello /root/marker"
    ));
    assert!(
        !on(&names[1], "test -f /root/handler-ran"),
        "a failed host runs no handler"
    );
    assert!(on(&names[1], "test -f /root/marker"));
    // A retry file names the failed hosts.
    let retry = std::fs::read_to_string(s.0.join("play.retry")).unwrap_or_default();
    assert!(
        retry.contains(&names[1]) && retry.contains(&names[2]),
        "retry file: {retry:?}"
    );
}

const CHECK_PLAY: &str = r#"
- hosts: lab
  tasks:
    - copy: content="x=1\n" dest=/etc/flock-check.conf mode=0644
    - file: path=/srv/flock-dir state=directory mode=0755
    - lineinfile: dest=/etc/flock-lines line="a = b" create=yes
"#;

#[test]
fn check_mode_changes_nothing_and_second_run_is_idempotent() {
    // Hosts that see the controller's binary run it as the agent: nothing is uploaded.
    let flock = host_visible_flock();
    let lab = TestLab::new(2);
    let names: Vec<String> = lab.hosts().iter().map(|h| h.name.clone()).collect();
    let s = Scratch::new("check");
    let inv = s.write("hosts", &lab.inventory_text());
    let pb = s.write("play.yml", CHECK_PLAY);
    let before: Vec<_> = names.iter().map(|h| lab.diff(h).expect("diff")).collect();
    let out = playbook_with(&lab, &[&flock], &inv, &pb, &["--check", "--diff"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        recap(&out.stdout, &names[0]).contains("changed=3"),
        "check mode reports the changes"
    );
    let after: Vec<_> = names.iter().map(|h| lab.diff(h).expect("diff")).collect();
    assert_eq!(before, after, "--check wrote nothing on any host");
    assert!(stdout.contains("+x=1"), "--diff shows the new content");

    let out = playbook_with(&lab, &[&flock], &inv, &pb, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(recap(&out.stdout, &names[0]).contains("changed=3"));
    let out = playbook_with(&lab, &[&flock], &inv, &pb, &[]);
    assert!(
        recap(&out.stdout, &names[0]).contains("changed=0"),
        "second run changes nothing"
    );
}

#[test]
fn bad_playbook_changes_nothing_and_names_the_line() {
    let lab = TestLab::new(1);
    let s = Scratch::new("bad");
    let inv = s.write("hosts", &lab.inventory_text());
    let pb = s.write(
        "play.yml",
        "- hosts: lab\n  tasks:\n    - copy: content=x dest=/root/never\n    - name: broken\n      file: [unclosed\n",
    );
    let out = run_playbook(&lab, &inv, &pb, &[]);
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("play.yml:5:") || stderr.contains("play.yml:6:1"),
        "error names file and line: {stderr}"
    );
    let host = &lab.hosts()[0].name;
    assert!(!lab
        .exec_on_host(host, "test -e /root/never")
        .expect("exec")
        .status
        .success());
}
