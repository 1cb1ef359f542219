//! The remote agent (`flock --flock-agent`) on real lab hosts: the same playbook leaves the same
//! state and prints the same results with the agent and with one SSH session per command
//! (`FLOCK_AGENT=0`); commands really run under the agent; a host that cannot see the
//! controller's binary gets it uploaded once and reuses the cached copy.

mod packages_support;

use std::path::Path;
use std::process::Output;

use flock::lab::{Lab, TestLab};
use packages_support::{playbook_with, recap, Scratch};

/// File, copy, template, lineinfile (query and apply, `--diff`), commands and facts, plus a
/// record of the process that ran a shell task.
const PLAY: &str = r#"
- hosts: lab
  gather_facts: true
  tasks:
    - copy: content="os={{ ansible_distribution }} host={{ inventory_hostname }}\n" dest=/etc/flock-agent.conf mode=0640
    - copy: content="again\n" dest=/etc/flock-agent.d/
      ignore_errors: true
    - file: path=/srv/agent-dir state=directory mode=0750
    - file: src=/etc/flock-agent.conf dest=/srv/agent-dir/link state=link
    - lineinfile: dest=/etc/flock-agent-lines line="a = b" create=yes
    - lineinfile: dest=/etc/flock-agent-lines regexp="^a =" line="a = c"
    - template: src=agent.j2 dest=/srv/agent-dir/rendered owner=nobody
    - command: uname -r
      register: kernel
    - copy: content="{{ kernel.stdout }}\n" dest=/srv/agent-dir/kernel
    - shell: tr '\0' ' ' < /proc/$PPID/cmdline > /root/parent-of-shell
"#;

fn run(lab: &Lab, flock: &str, inv: &Path, pb: &Path, agent: bool) -> Output {
    let setting = if agent {
        "FLOCK_AGENT=1"
    } else {
        "FLOCK_AGENT=0"
    };
    playbook_with(lab, &["env", setting, flock], inv, pb, &["--diff", "-v"])
}

/// The host's changes (path, kind, mode, owner, size) and changed files' contents, without the
/// agent's cache and per-host temp dirs.
fn end_state(lab: &Lab, host: &str) -> Vec<String> {
    let mut out = Vec::new();
    for c in lab.changes(host).expect("lab diff") {
        let p = c.path.to_string_lossy().into_owned();
        if p.starts_with("/root/.flock") || p.starts_with("/tmp") || p == "/root/parent-of-shell" {
            continue;
        }
        let content = lab
            .exec_on_host(
                host,
                &format!("[ -f '{p}' ] && [ ! -L '{p}' ] && cat '{p}'"),
            )
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        out.push(format!("{c:?} {content:?}"));
    }
    out
}

/// Each line's status word for `host` (`ok`, `changed`, `failed`, …), in order.
fn statuses(stdout: &[u8], host: &str) -> Vec<String> {
    let tag = format!("[{host}]");
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.contains(&tag) && !l.starts_with(' '))
        .filter_map(|l| l.split(':').next().map(str::to_string))
        .collect()
}

/// Normalises what differs between two runs anyway (timings, uptime).
fn printed(out: &Output) -> String {
    let re = regex::Regex::new(r#""(delta|start|end)": "[^"]*""#).expect("regex");
    re.replace_all(&String::from_utf8_lossy(&out.stdout), "\"$1\": T")
        .into_owned()
}

fn parent_of_shell(lab: &Lab, host: &str) -> String {
    let o = lab
        .exec_on_host(host, "cat /root/parent-of-shell")
        .expect("exec");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn agent_and_per_command_sessions_give_the_same_results() {
    let with = TestLab::new(2);
    let without = TestLab::new(2);
    let s = Scratch::new("agent-same");
    let pb = s.write("play.yml", PLAY);
    s.write(
        "templates/agent.j2",
        "{% for h in groups['lab'] %}{{ h }}\n{% endfor %}",
    );
    let flock = env!("CARGO_BIN_EXE_flock");
    let inv_a = s.write("hosts-a", &with.inventory_text());
    let inv_b = s.write("hosts-b", &without.inventory_text());
    let a = run(&with, flock, &inv_a, &pb, true);
    let b = run(&without, flock, &inv_b, &pb, false);
    assert_eq!(a.status.code(), b.status.code());
    for h in with.hosts() {
        let name = &h.name;
        assert_eq!(recap(&a.stdout, name), recap(&b.stdout, name), "{name}");
        let sa = statuses(&a.stdout, name);
        assert!(sa.len() >= 10, "{sa:?}");
        assert_eq!(sa, statuses(&b.stdout, name));
        assert_eq!(end_state(&with, name), end_state(&without, name), "{name}");
        assert!(parent_of_shell(&with, name).contains("--flock-agent"));
        assert!(!parent_of_shell(&without, name).contains("--flock-agent"));
    }
    // Same printed results (facts and addresses differ between the two labs by design).
    let (pa, pb_) = (printed(&a), printed(&b));
    assert_eq!(pa.lines().count(), pb_.lines().count());
    for (la, lb) in pa.lines().zip(pb_.lines()) {
        if la.contains("ansible_") || la.contains("10.") {
            continue;
        }
        assert_eq!(la, lb);
    }
    // Second run: idempotent on both paths.
    let a2 = run(&with, flock, &inv_a, &pb, true);
    let b2 = run(&without, flock, &inv_b, &pb, false);
    for h in with.hosts() {
        assert_eq!(recap(&a2.stdout, &h.name), recap(&b2.stdout, &h.name));
    }
}

#[test]
fn agent_is_uploaded_once_when_the_host_cannot_see_the_binary() {
    let lab = TestLab::new(1);
    let host = lab.hosts()[0].name.clone();
    let s = Scratch::new("agent-upload");
    // Lab hosts have their own /tmp: they cannot see this copy of the binary.
    let flock = s.0.join("flock");
    std::fs::copy(env!("CARGO_BIN_EXE_flock"), &flock).expect("copy flock");
    let flock = flock.to_string_lossy().into_owned();
    let size = std::fs::metadata(&flock).expect("stat").len();
    let pb = s.write("play.yml", PLAY);
    s.write("templates/agent.j2", "{{ inventory_hostname }}\n");
    let inv = s.write("hosts", &lab.inventory_text());
    let cached = |lab: &Lab| {
        let o = lab
            .exec_on_host(&host, "stat -c '%s %i %a' /root/.flock/agent/flock-*")
            .expect("exec");
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let first = run(&lab, &flock, &inv, &pb, true);
    assert!(recap(&first.stdout, &host).contains("failed=0"));
    let after_first = cached(&lab);
    let fields: Vec<&str> = after_first.split_whitespace().collect();
    assert_eq!(fields.len(), 3, "one cached agent: {after_first:?}");
    assert_eq!(fields[0], size.to_string());
    assert_eq!(fields[2], "700");
    assert!(parent_of_shell(&lab, &host).contains("--flock-agent"));
    let second = run(&lab, &flock, &inv, &pb, true);
    // The two lineinfile tasks flip the line back and forth; command and shell always change.
    assert!(recap(&second.stdout, &host).contains("changed=4"));
    assert_eq!(
        cached(&lab),
        after_first,
        "the cached copy is reused, not uploaded again"
    );
}
