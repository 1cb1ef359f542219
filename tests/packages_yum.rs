//! `yum` on an `el` lab (CentOS-like hosts whose `yum` is the real dnf) against a local
//! repository built here with rpmbuild + createrepo_c in the lab's shared directory: `--check`
//! changes nothing (checked with the hosts' overlay diff), install via a 1.2 `with_items` list
//! (one comma-joined `name`), an .rpm path, changed then ok, `latest` after a new version lands
//! in the repository, a missing package failing with dnf's own message, removal.

mod packages_support;

use std::time::Instant;

use flock::lab::{Flavor, TestLab};
use packages_support::{
    assert_states, build_rpm, createrepo, on_host, playbook, recap, task_states, touched, Scratch,
};

const INSTALL: &str = r#"
- hosts: lab
  tasks:
    - name: tools
      yum: name=$item state=installed
      with_items:
        - flock-hello
        - flock-tools
    - name: from a file
      yum: name=/srv/flock-lab/files/flock-file-1.0-1.noarch.rpm state=present
    - name: newest hello
      yum: name=flock-hello state=latest
"#;

const MISSING: &str = r#"
- hosts: lab
  tasks:
    - yum: name=flock-hello,flock-nothere state=present
"#;

const REMOVE: &str = r#"
- hosts: lab
  tasks:
    - yum: name=flock-hello,flock-tools,flock-file state=removed
"#;

#[test]
fn yum_on_an_el_lab() {
    let t0 = Instant::now();
    let lab = TestLab::with_flavor(2, Flavor::El);
    let t_up = t0.elapsed();
    let s = Scratch::new("yum");
    let repo = lab.share_dir().join("el");
    build_rpm(&s.0, &repo, "flock-hello", "1.0");
    build_rpm(&s.0, &repo, "flock-tools", "1.0");
    build_rpm(&s.0, &lab.share_dir().join("files"), "flock-file", "1.0");
    createrepo(&repo);
    let inv = s.write("inv", &lab.inventory_text());
    let install = s.write("install.yml", INSTALL);
    let hosts: Vec<String> = lab.hosts().iter().map(|h| h.name.clone()).collect();

    // Facts say RedHat / yum on these hosts.
    let facts = s.write(
        "facts.yml",
        "- hosts: lab\n  tasks:\n    - fail: msg=\"{{ ansible_os_family }} {{ ansible_pkg_mgr }} {{ ansible_distribution }}\"\n      when: ansible_os_family != 'RedHat' or ansible_pkg_mgr != 'yum'\n",
    );
    let out = playbook(&lab, &inv, &facts, &[]);
    assert!(out.status.success(), "facts are not RedHat/yum");

    // --check: reported as changes, nothing installed, nothing written.
    let out = playbook(&lab, &inv, &install, &["--check"]);
    assert!(out.status.success());
    for h in &hosts {
        // Nothing is installed yet, so `latest` would install too.
        assert_eq!(
            task_states(&out.stdout, h),
            ["changed", "changed", "changed"],
            "{h} --check"
        );
        assert_eq!(
            on_host(&lab, h, "rpm -q flock-hello >/dev/null; echo $?"),
            "1"
        );
        let touched = touched(
            &lab,
            h,
            &["/var/lib/rpm", "/usr/share/flock", "/var/lib/dnf"],
        );
        assert!(touched.is_empty(), "{h}: --check wrote {touched:?}");
    }

    // Install: changed, then ok.
    let t = Instant::now();
    let out = playbook(&lab, &inv, &install, &[]);
    let t_install = t.elapsed();
    assert!(out.status.success());
    for h in &hosts {
        assert_eq!(
            task_states(&out.stdout, h),
            ["changed", "changed", "ok"],
            "{h} first run"
        );
        assert_eq!(
            on_host(
                &lab,
                h,
                "rpm -q --qf '%{NAME}-%{VERSION}\\n' flock-hello flock-tools flock-file"
            ),
            "flock-hello-1.0\nflock-tools-1.0\nflock-file-1.0"
        );
        assert_eq!(
            on_host(&lab, h, "cat /usr/share/flock-tools/1.0.txt"),
            "flock-tools 1.0"
        );
    }
    // The with_items list was one transaction (the 1.2 executor joins it).
    assert!(String::from_utf8_lossy(&out.stdout).contains("(item=flock-hello,flock-tools)"));
    let t = Instant::now();
    let out = playbook(&lab, &inv, &install, &[]);
    let t_second = t.elapsed();
    assert!(out.status.success());
    assert_states(&out, &hosts, &["ok", "ok", "ok"], "second run");

    // A new version in the repository: latest upgrades, then is ok.
    // dnf decides whether its cached metadata of a local repository is stale by whole-second
    // timestamps: a repository rebuilt in the same second as the previous run's `check-update`
    // looks unchanged to it (seen here: 4 of 6 runs failed without this pause, 0 of 6 with it).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    build_rpm(&s.0, &repo, "flock-hello", "2.0");
    createrepo(&repo);
    let out = playbook(&lab, &inv, &install, &["--check"]);
    for h in &hosts {
        assert_eq!(
            task_states(&out.stdout, h),
            ["ok", "ok", "changed"],
            "{h} latest --check"
        );
        assert_eq!(
            on_host(&lab, h, "rpm -q --qf '%{VERSION}' flock-hello"),
            "1.0"
        );
    }
    let out = playbook(&lab, &inv, &install, &[]);
    for h in &hosts {
        assert_eq!(
            task_states(&out.stdout, h),
            ["ok", "ok", "changed"],
            "{h} latest"
        );
        assert_eq!(
            on_host(&lab, h, "rpm -q --qf '%{VERSION}' flock-hello"),
            "2.0"
        );
    }
    let out = playbook(&lab, &inv, &install, &[]);
    assert_states(&out, &hosts, &["ok", "ok", "ok"], "latest again");

    // A missing package fails the host with dnf's message.
    let missing = s.write("missing.yml", MISSING);
    let out = playbook(&lab, &inv, &missing, &[]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Unable to find a match: flock-nothere"),
        "{text}"
    );
    for h in &hosts {
        assert_eq!(
            recap(&out.stdout, h),
            "ok=1 changed=0 unreachable=0 failed=1"
        );
    }

    // Removal, then nothing to remove.
    let remove = s.write("remove.yml", REMOVE);
    let out = playbook(&lab, &inv, &remove, &[]);
    assert!(out.status.success());
    for h in &hosts {
        assert_eq!(task_states(&out.stdout, h), ["changed"], "{h} remove");
        assert_eq!(
            on_host(
                &lab,
                h,
                "rpm -q flock-hello flock-tools flock-file >/dev/null 2>&1; echo $?"
            ),
            "3"
        );
        assert_eq!(
            on_host(&lab, h, "test -e /usr/share/flock-hello/2.0.txt; echo $?"),
            "1"
        );
    }
    let out = playbook(&lab, &inv, &remove, &[]);
    assert_states(&out, &hosts, &["ok"], "remove again");
    eprintln!(
        "timings: el lab up {t_up:?}, first install run {t_install:?}, second run {t_second:?}, total {:?}",
        t0.elapsed()
    );
}
