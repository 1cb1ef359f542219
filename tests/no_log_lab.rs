//! `no_log` and secret module options on real lab hosts: no secret reaches stdout or stderr (at
//! default verbosity, `-vvv`, `--diff`, with and without the agent), nor any file flock writes
//! on the hosts or the controller; what is not secret still prints.

mod packages_support;

use std::path::Path;
use std::process::Output;

use flock::lab::TestLab;
use packages_support::{playbook_with, recap, Scratch};

const CENSORED: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// Every secret of the playbooks below; none may be printed or left in a file by flock.
const SECRETS: &[&str] = &[
    "SECRET_ECHO_7f3a",
    "SECRET_ITEM_ONE_91c2",
    "SECRET_ITEM_TWO_91c2",
    "SECRET_CONTENT_5d0e",
    "SECRET_PLAY_2b8c",
    "SECRET_FAIL_e44d",
    "SECRET_FAILMSG_a1b9",
    "SECRET_PW_0c7f",
];

const MODERN: &str = r#"
- hosts: lab
  gather_facts: false
  become: false
  tasks:
    - name: echo a secret
      command: echo SECRET_ECHO_7f3a
      no_log: true
      register: echoed
    - name: print the registered result
      debug: var=echoed
    - name: print a field of it
      debug: msg="{{ echoed.stdout }}"
    - name: loop over secrets
      command: echo {{ item }}
      loop: [SECRET_ITEM_ONE_91c2, SECRET_ITEM_TWO_91c2]
      no_log: true
    - name: write a secret file
      copy: content="SECRET_CONTENT_5d0e run {{ run }}\n" dest=/root/secret.txt
      no_log: true
    - name: a secret option repeated in another one
      user: name=nolog1 password=SECRET_PW_0c7f comment="for SECRET_PW_0c7f"
    - name: not secret
      command: echo PUBLIC_MARK_66aa
    - name: failing secret message
      fail: msg="SECRET_FAILMSG_a1b9"
      no_log: true
      ignore_errors: true

- hosts: lab
  gather_facts: false
  no_log: true
  tasks:
    - name: inherited from the play
      command: echo SECRET_PLAY_2b8c
    - block:
        - name: the block says no_log false
          command: echo PUBLIC_BLOCK_77bb
      no_log: false
    - name: failing secret task
      shell: echo SECRET_FAIL_e44d; exit 3
      when: inventory_hostname == groups['lab'][0]
"#;

/// A 1.2 playbook (`user:` at play level): a nameless task's banner is its action line, which
/// 1.2 printed with the password in it.
const LEGACY: &str = r#"
- hosts: lab
  user: root
  gather_facts: false
  tasks:
    - user: name=nolog2 password=SECRET_PW_0c7f
"#;

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_no_secret(what: &str, haystack: &str) {
    for s in SECRETS {
        assert!(!haystack.contains(s), "{what} shows the secret {s}");
    }
}

/// Every regular file under `dir` whose bytes contain a secret (paths relative to `dir`).
fn files_with_secrets(dir: &Path, skip: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
            if !meta.is_file() || skip.contains(&rel.as_str()) {
                continue;
            }
            let bytes = std::fs::read(&p).unwrap_or_default();
            if SECRETS
                .iter()
                .any(|s| bytes.windows(s.len()).any(|w| w == s.as_bytes()))
            {
                found.push(rel);
            }
        }
    }
    found
}

/// What the playbook legitimately leaves on a host: the secret file it was asked to write, and
/// the account databases the user module writes the given password and comment into.
const INTENDED: &[&str] = &[
    "root/secret.txt",
    "etc/passwd",
    "etc/passwd-",
    "etc/shadow",
    "etc/shadow-",
];

#[test]
fn no_log_hides_secrets_in_output_and_files() {
    let lab = TestLab::new(2);
    let names: Vec<String> = lab.hosts().iter().map(|h| h.name.clone()).collect();
    let s = Scratch::new("nolog");
    let inv = s.write("hosts", &lab.inventory_text());
    let pb = s.write("site.yml", MODERN);
    let flock = env!("CARGO_BIN_EXE_flock");
    // Each run writes other content (`run`), so every `--diff` run has a diff to hide.
    // The retry file (written when asked, as ansible-core) is checked for secrets too.
    let retry_on = "ANSIBLE_RETRY_FILES_ENABLED=1";
    let runs: [(&[&str], &[&str]); 4] = [
        (&["env", retry_on, flock], &["-e", "run=1"]),
        (&["env", retry_on, flock], &["-e", "run=2", "-vvv"]),
        (&["env", retry_on, flock], &["-e", "run=3", "--diff", "-v"]),
        (
            &["env", retry_on, "FLOCK_AGENT=0", flock],
            &["-e", "run=4", "-vvv", "--diff"],
        ),
    ];
    for (prefix, extra) in runs {
        let out = playbook_with(&lab, prefix, &inv, &pb, extra);
        let all = text(&out);
        let what = format!("{prefix:?} {extra:?}");
        assert_eq!(out.status.code(), Some(2), "{what}: one host failed");
        assert_no_secret(&what, &all);
        // What is not secret still prints, so the checks above are not vacuous.
        if extra.len() > 2 {
            assert!(
                all.contains("PUBLIC_MARK_66aa"),
                "{what}: -v prints results"
            );
            assert!(
                all.contains("PUBLIC_BLOCK_77bb"),
                "{what}: a block's no_log: false wins over the play's"
            );
            assert!(
                all.contains("for ********"),
                "{what}: a secret option's value is masked, the rest of the result kept"
            );
        }
        assert!(
            all.contains(CENSORED),
            "{what}: the censored text replaces results"
        );
        assert!(
            all.contains("(item=(censored due to no_log))"),
            "{what}: loop item labels are hidden"
        );
        assert!(recap(&out.stdout, &names[0]).contains("failed=1"));
        assert!(recap(&out.stdout, &names[1]).contains("failed=0"));
    }
    // The secret file was written as asked (no_log hides, it does not skip).
    let content = packages_support::on_host(&lab, &names[0], "cat /root/secret.txt");
    assert!(content.starts_with("SECRET_CONTENT_5d0e"), "{content:?}");
    // The retry file (and anything else flock wrote on the controller) holds no secret.
    let retry = std::fs::read_to_string(s.0.join("site.retry")).expect("retry file");
    assert_eq!(retry.trim(), names[0]);
    assert_eq!(
        files_with_secrets(&s.0, &["site.yml"]),
        Vec::<String>::new()
    );
    for h in &names {
        let upper = lab.upper_dir(h).expect("upper dir");
        assert_eq!(
            files_with_secrets(&upper, INTENDED),
            Vec::<String>::new(),
            "files flock left on {h}"
        );
    }
}

#[test]
fn legacy_banner_masks_a_secret_option() {
    let lab = TestLab::new(1);
    let s = Scratch::new("nolog12");
    let inv = s.write("hosts", &lab.inventory_text());
    let pb = s.write("site.yml", LEGACY);
    let out = playbook_with(&lab, &[env!("CARGO_BIN_EXE_flock")], &inv, &pb, &["-v"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        all.contains("TASK: [user name=nolog2 password=********]"),
        "the 1.2 banner shows the action line with the password masked"
    );
    assert_no_secret("1.2 run", &all);
    let listed = playbook_with(
        &lab,
        &[env!("CARGO_BIN_EXE_flock")],
        &inv,
        &pb,
        &["--list-tasks"],
    );
    let all = text(&listed);
    assert!(
        all.contains("    user name=nolog2 password=********\n"),
        "--list-tasks"
    );
    assert_no_secret("--list-tasks", &all);
}
