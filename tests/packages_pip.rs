//! `pip` on a `debian` lab, in a virtualenv it creates, from a local wheel directory in the lab's
//! shared directory (`--no-index --find-links`): `--check` creates nothing, changed then ok, a
//! pinned version, `latest` after a new wheel lands (`--check` asks pip's `--dry-run`), a missing
//! package failing with pip's message, removal.

mod packages_support;

use flock::lab::TestLab;
use packages_support::{
    assert_states, build_wheel, on_host, playbook, recap, task_states, Scratch,
};

const X: &str = "virtualenv=/opt/venv extra_args='--no-index --find-links=/srv/flock-lab/wheels'";

fn ver(lab: &TestLab, h: &str, module: &str) -> String {
    on_host(
        lab,
        h,
        &format!("/opt/venv/bin/python -c 'import {module}; print({module}.VERSION)' 2>&1"),
    )
}

#[test]
fn pip_on_a_debian_lab() {
    let lab = TestLab::new(2);
    let s = Scratch::new("pip");
    let wheels = lab.share_dir().join("wheels");
    build_wheel(&wheels, "flock_hello", "1.0");
    build_wheel(&wheels, "flock_tools", "1.0");
    build_wheel(&wheels, "flock_tools", "1.5");
    let inv = s.write("inv", &lab.inventory_text());
    let hosts: Vec<String> = lab.hosts().iter().map(|h| h.name.clone()).collect();
    let install = s.write(
        "install.yml",
        &format!(
            "- hosts: lab\n  tasks:\n    - pip: name=flock_hello {X}\n    - pip: name=flock-tools version=1.0 {X}\n"
        ),
    );

    let out = playbook(&lab, &inv, &install, &["--check"]);
    assert!(out.status.success());
    for h in &hosts {
        assert_eq!(
            task_states(&out.stdout, h),
            ["changed", "changed"],
            "{h} --check"
        );
        assert_eq!(on_host(&lab, h, "test -e /opt/venv; echo $?"), "1");
    }
    let out = playbook(&lab, &inv, &install, &[]);
    assert!(out.status.success());
    for h in &hosts {
        assert_eq!(
            task_states(&out.stdout, h),
            ["changed", "changed"],
            "{h} first run"
        );
        assert_eq!(ver(&lab, h, "flock_hello"), "1.0");
        assert_eq!(ver(&lab, h, "flock_tools"), "1.0");
    }
    let out = playbook(&lab, &inv, &install, &[]);
    assert_states(&out, &hosts, &["ok", "ok"], "second run");

    // latest: a new wheel lands; --check asks pip, then the upgrade, then ok.
    build_wheel(&wheels, "flock_hello", "2.0");
    let latest = s.write(
        "latest.yml",
        &format!("- hosts: lab\n  tasks:\n    - pip: name=flock-hello state=latest {X}\n"),
    );
    let out = playbook(&lab, &inv, &latest, &["--check"]);
    for h in &hosts {
        assert_eq!(
            task_states(&out.stdout, h),
            ["changed"],
            "{h} latest --check"
        );
        assert_eq!(ver(&lab, h, "flock_hello"), "1.0");
    }
    let out = playbook(&lab, &inv, &latest, &[]);
    for h in &hosts {
        assert_eq!(task_states(&out.stdout, h), ["changed"], "{h} latest");
        assert_eq!(ver(&lab, h, "flock_hello"), "2.0");
    }
    let out = playbook(&lab, &inv, &latest, &["--check"]);
    assert_states(&out, &hosts, &["ok"], "latest --check again");
    let out = playbook(&lab, &inv, &latest, &[]);
    assert_states(&out, &hosts, &["ok"], "latest again");

    // A missing package: pip's message.
    let missing = s.write(
        "missing.yml",
        &format!("- hosts: lab\n  tasks:\n    - pip: name=flock-nothere {X}\n"),
    );
    let out = playbook(&lab, &inv, &missing, &[]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Could not find a version that satisfies the requirement flock-nothere"),
        "{text}"
    );
    for h in &hosts {
        assert_eq!(
            recap(&out.stdout, h),
            "ok=1 changed=0 unreachable=0 failed=1"
        );
    }

    // Removal, then ok.
    let remove = s.write(
        "remove.yml",
        "- hosts: lab\n  tasks:\n    - pip: name=flock-hello,flock_tools state=absent virtualenv=/opt/venv\n",
    );
    let out = playbook(&lab, &inv, &remove, &[]);
    for h in &hosts {
        assert_eq!(task_states(&out.stdout, h), ["changed"], "{h} remove");
        assert!(ver(&lab, h, "flock_hello").contains("No module named"));
    }
    let out = playbook(&lab, &inv, &remove, &[]);
    assert_states(&out, &hosts, &["ok"], "remove again");
}
