//! Errors met while preparing a task (a Jinja syntax error, an undefined variable in `when:`, a
//! template file that is not UTF-8), on a real lab host: task failures with ansible-core's
//! messages in modern playbooks (exit 2, `ignore_errors` applies); in 1.2 playbooks 1.2's
//! counting (unreachable, exit 4) with the file, line and undefined variable named.

mod packages_support;

use flock::lab::TestLab;
use packages_support::{playbook, recap, Scratch};

const MODERN: &str = r#"
- hosts: lab
  gather_facts: false
  become: false
  tasks:
    - name: syntax error in an argument
      debug: msg="{{ foo bar }}"
      ignore_errors: true
    - name: binary template
      template: src=binary.j2 dest=/root/binary.out
      ignore_errors: true
    - name: undefined in when
      command: echo hi
      when: nosuchvar == 1
    - name: not reached
      command: echo after
"#;

const LEGACY_WHEN: &str = r#"
- hosts: lab
  user: root
  gather_facts: false
  tasks:
    - name: undefined in when
      command: echo hi
      when: nosuchvar == 1
"#;

const LEGACY_BINARY: &str = r#"
- hosts: lab
  user: root
  gather_facts: false
  tasks:
    - name: binary template
      template: src=binary.j2 dest=/root/binary.out
"#;

/// Bytes that are not UTF-8 (the start of an ELF file).
const BINARY: &[u8] = b"\x7fELF\x02\x01\x01\x00\xff\xfe\x00\x00";

#[test]
fn modern_template_errors_are_task_failures() {
    let lab = TestLab::new(1);
    let host = lab.hosts()[0].name.clone();
    let s = Scratch::new("taskerr");
    let inv = s.write("hosts", &lab.inventory_text());
    std::fs::write(s.0.join("binary.j2"), BINARY).expect("write binary");
    let pb = s.write("site.yml", MODERN);
    let out = playbook(&lab, &inv, &pb, &["--dialect", "modern"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a task failure, not unreachable"
    );
    assert!(
        recap(&out.stdout, &host).contains("unreachable=0 failed=1"),
        "recap: {}",
        recap(&out.stdout, &host)
    );
    assert!(recap(&out.stdout, &host).contains("ignored=2"));
    let pbs = pb.display().to_string();
    for expected in [
        "fatal: [HOST]: FAILED! => {\"changed\": false, \"msg\": \"Task failed: Finalization of task args for 'ansible.builtin.debug' failed: \
         Error while resolving value for 'msg': Syntax error in template: "
            .replace("HOST", &host),
        format!("Origin: {pbs}:6:7"),
        format!(
            "\"msg\": \"Task failed: File '{}' could not be decoded as 'utf-8'. This file must be UTF-8 encoded.",
            s.0.join("binary.j2").display()
        ),
        format!("fatal: [{host}]: FAILED! => {{\"changed\": false, \"msg\": \"Task failed: Error while evaluating conditional: 'nosuchvar' is undefined"),
        format!("Origin: {pbs}:14:7"),
    ] {
        assert!(stdout.contains(&expected), "missing {expected:?}");
    }
    assert!(!stdout.contains("after"), "the failed host stops");
    assert_eq!(
        packages_support::on_host(
            &lab,
            &host,
            "test -e /root/binary.out && echo yes || echo no"
        ),
        "no"
    );
}

#[test]
fn legacy_template_errors_keep_12_counting_and_say_where() {
    let lab = TestLab::new(1);
    let host = lab.hosts()[0].name.clone();
    let s = Scratch::new("taskerr12");
    let inv = s.write("hosts", &lab.inventory_text());
    std::fs::write(s.0.join("binary.j2"), BINARY).expect("write binary");
    let pb = s.write("when.yml", LEGACY_WHEN);
    let out = playbook(&lab, &inv, &pb, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(4),
        "1.2 counted the host unreachable"
    );
    assert!(recap(&out.stdout, &host).contains("unreachable=1"));
    let line = format!(
        "fatal: [{host}] => Conditional expression must evaluate to True or False: \
         {{% if nosuchvar == 1 %}} True {{% else %}} False {{% endif %}} ({}:8:7: 'nosuchvar' is undefined)",
        pb.display()
    );
    assert!(stdout.contains(&line), "missing {line:?}");
    let pb = s.write("binary.yml", LEGACY_BINARY);
    let out = playbook(&lab, &inv, &pb, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4));
    let line = format!(
        "fatal: [{host}] => {{'msg': 'unable to process as utf-8: {}', 'failed': True}}",
        s.0.join("binary.j2").display()
    );
    assert!(stdout.contains(&line), "missing {line:?}");
}
