//! `git` on a `debian` lab against a bare repository on the controller (the lab's shared
//! directory, `file:///srv/flock-lab/git/proj.git`): `--check` clones nothing, clone then ok, a
//! new commit pulled, a tag checked out, local modifications refused with `force=no` and
//! discarded with `force=yes`, `update=no`, and an unknown repository failing with git's message.

mod packages_support;

use std::path::Path;
use std::process::Command;

use flock::lab::TestLab;
use packages_support::{assert_states, on_host, playbook, recap, task_states, Scratch};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=flock", "-c", "user.email=flock@localhost"])
        .args([
            "-c",
            "init.defaultBranch=master",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(work: &Path, text: &str) -> String {
    std::fs::write(work.join("README"), text).expect("write");
    git(work, &["add", "README"]);
    git(work, &["commit", "-q", "-m", text]);
    git(work, &["push", "-q", "origin", "master", "--tags"]);
    git(work, &["rev-parse", "HEAD"])
}

#[test]
fn git_on_a_debian_lab() {
    let lab = TestLab::new(2);
    let s = Scratch::new("git");
    let bare = lab.share_dir().join("git/proj.git");
    std::fs::create_dir_all(&bare).expect("mkdir");
    git(&bare, &["init", "-q", "--bare"]);
    let work = s.0.join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    git(&work, &["init", "-q"]);
    git(
        &work,
        &["remote", "add", "origin", bare.to_str().expect("utf-8")],
    );
    let c1 = commit(&work, "one\n");
    git(&work, &["tag", "v1"]);
    git(&work, &["push", "-q", "origin", "--tags"]);
    let inv = s.write("inv", &lab.inventory_text());
    let hosts: Vec<String> = lab.hosts().iter().map(|h| h.name.clone()).collect();
    let play = |name: &str, args: &str| {
        s.write(
            name,
            &format!("- hosts: lab\n  tasks:\n    - git: repo=file:///srv/flock-lab/git/proj.git dest=/opt/proj {args}\n"),
        )
    };
    let head = play("head.yml", "");
    let readme = |h: &str| on_host(&lab, h, "cat /opt/proj/README");
    let at = |h: &str| on_host(&lab, h, "cd /opt/proj && git rev-parse HEAD");

    let out = playbook(&lab, &inv, &head, &["--check"]);
    assert!(out.status.success());
    for h in &hosts {
        assert_eq!(task_states(&out.stdout, h), ["changed"], "{h} --check");
        assert_eq!(on_host(&lab, h, "test -e /opt/proj; echo $?"), "1");
    }
    let out = playbook(&lab, &inv, &head, &[]);
    assert!(out.status.success());
    for h in &hosts {
        assert_eq!(task_states(&out.stdout, h), ["changed"], "{h} clone");
        assert_eq!(readme(h), "one");
        assert_eq!(at(h), c1);
    }
    let out = playbook(&lab, &inv, &head, &[]);
    assert_states(&out, &hosts, &["ok"], "clone again");

    // A new commit: pulled (after --check reports it without fetching).
    let c2 = commit(&work, "two\n");
    let out = playbook(&lab, &inv, &head, &["--check"]);
    for h in &hosts {
        assert_eq!(
            task_states(&out.stdout, h),
            ["changed"],
            "{h} --check new commit"
        );
        assert_eq!(at(h), c1);
    }
    // update=no leaves it.
    let out = playbook(&lab, &inv, &play("noup.yml", "update=no"), &[]);
    assert_states(&out, &hosts, &["ok"], "update=no");
    let out = playbook(&lab, &inv, &head, &["-v"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("\"before\": \"{c1}\"")), "{text}");
    assert!(text.contains(&format!("\"after\": \"{c2}\"")), "{text}");
    for h in &hosts {
        assert_eq!(task_states(&out.stdout, h), ["changed"], "{h} pull");
        assert_eq!(readme(h), "two");
    }

    // A tag, then the branch again.
    let tag = play("tag.yml", "version=v1");
    let out = playbook(&lab, &inv, &tag, &[]);
    for h in &hosts {
        assert_eq!(task_states(&out.stdout, h), ["changed"], "{h} tag");
        assert_eq!(at(h), c1);
    }
    let out = playbook(&lab, &inv, &tag, &[]);
    assert_states(&out, &hosts, &["ok"], "tag again");
    let master = play("master.yml", "version=master force=no");
    let out = playbook(&lab, &inv, &master, &[]);
    for h in &hosts {
        assert_eq!(task_states(&out.stdout, h), ["changed"], "{h} master");
        assert_eq!(at(h), c2);
    }

    // Local modifications: refused with force=no, discarded with force=yes.
    for h in &hosts {
        on_host(&lab, h, "echo local > /opt/proj/README");
    }
    let c3 = commit(&work, "three\n");
    let out = playbook(&lab, &inv, &master, &[]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Local modifications exist in repository (force=no)."),
        "{text}"
    );
    for h in &hosts {
        assert_eq!(readme(h), "local");
    }
    let out = playbook(
        &lab,
        &inv,
        &play("force.yml", "version=master force=yes"),
        &[],
    );
    for h in &hosts {
        assert_eq!(task_states(&out.stdout, h), ["changed"], "{h} force");
        assert_eq!(readme(h), "three");
        assert_eq!(at(h), c3);
    }

    // An unknown repository: git's message.
    let bad = s.write(
        "bad.yml",
        "- hosts: lab\n  tasks:\n    - git: repo=file:///srv/flock-lab/git/nothere.git dest=/opt/other\n",
    );
    let out = playbook(&lab, &inv, &bad, &[]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("does not appear to be a git repository"),
        "{text}"
    );
    for h in &hosts {
        assert_eq!(
            recap(&out.stdout, h),
            "ok=1 changed=0 unreachable=0 failed=1"
        );
    }
}
