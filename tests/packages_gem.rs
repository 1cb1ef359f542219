//! `gem` on a `debian` lab with a local `.gem` built here (`gem build`): `--check` installs
//! nothing, changed then ok, a missing gem file failing with gem's message, removal. Skipped
//! (with a note) where the machine has no ruby.

mod packages_support;

use std::process::Command;

use flock::lab::TestLab;
use packages_support::{on_host, playbook, recap, task_states, Scratch};

#[test]
#[cfg_attr(not(flock_gem), ignore = "needs ruby's gem (scripts/test.sh)")]
fn gem_on_a_debian_lab() {
    let lab = TestLab::new(1);
    let s = Scratch::new("gem");
    let src = s.0.join("gemsrc");
    std::fs::create_dir_all(src.join("lib")).expect("mkdir");
    std::fs::write(
        src.join("lib/flock_hello.rb"),
        "module FlockHello; V = '1.0'; end\n",
    )
    .expect("write");
    std::fs::write(
        src.join("flock_hello.gemspec"),
        "Gem::Specification.new do |s|\n  s.name = 'flock_hello'\n  s.version = '1.0'\n  s.summary = 'flock test'\n  s.authors = ['flock']\n  s.files = ['lib/flock_hello.rb']\n  s.license = 'MIT'\nend\n",
    )
    .expect("write");
    let out = Command::new("gem")
        .args(["build", "flock_hello.gemspec"])
        .current_dir(&src)
        .output()
        .expect("gem build");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = lab.share_dir().join("gems");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::copy(
        src.join("flock_hello-1.0.gem"),
        dir.join("flock_hello-1.0.gem"),
    )
    .expect("copy");
    let inv = s.write("inv", &lab.inventory_text());
    let h = lab.hosts()[0].name.clone();
    let play = s.write(
        "gem.yml",
        "- hosts: lab\n  tasks:\n    - gem: name=flock_hello gem_source=/srv/flock-lab/gems/flock_hello-1.0.gem user_install=no\n",
    );
    let listed = || on_host(&lab, &h, "gem list --local --exact flock_hello");

    let out = playbook(&lab, &inv, &play, &["--check"]);
    assert!(out.status.success());
    assert_eq!(task_states(&out.stdout, &h), ["changed"], "--check");
    assert_eq!(listed(), "");
    let out = playbook(&lab, &inv, &play, &[]);
    assert!(out.status.success());
    assert_eq!(task_states(&out.stdout, &h), ["changed"], "first run");
    assert_eq!(listed(), "flock_hello (1.0)");
    let out = playbook(&lab, &inv, &play, &[]);
    assert_eq!(task_states(&out.stdout, &h), ["ok"], "second run");

    let bad = s.write(
        "bad.yml",
        "- hosts: lab\n  tasks:\n    - gem: name=flock_nothere gem_source=/srv/flock-lab/gems/flock_nothere-1.0.gem user_install=no\n",
    );
    let out = playbook(&lab, &inv, &bad, &[]);
    assert!(!out.status.success());
    assert_eq!(
        recap(&out.stdout, &h),
        "ok=1 changed=0 unreachable=0 failed=1"
    );

    let remove = s.write(
        "remove.yml",
        "- hosts: lab\n  tasks:\n    - gem: name=flock_hello state=absent user_install=no\n",
    );
    let out = playbook(&lab, &inv, &remove, &[]);
    assert_eq!(task_states(&out.stdout, &h), ["changed"], "remove");
    assert_eq!(listed(), "");
    let out = playbook(&lab, &inv, &remove, &[]);
    assert_eq!(task_states(&out.stdout, &h), ["ok"], "remove again");
}
