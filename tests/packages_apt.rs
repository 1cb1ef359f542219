//! `apt` on a `debian` lab against the lab's flat repository (`/srv/flock-lab/apt`, the hosts'
//! only apt source), built here with dpkg-deb + dpkg-scanpackages: `--check` changes nothing
//! (the hosts' overlay diff), a 1.2 `with_items` list with `update_cache`, a `.deb` file, changed
//! then ok, `latest` after a new version lands, a version pin, a missing package failing with
//! apt's own message, removal and purge.

mod packages_support;

use std::time::Instant;

use flock::lab::TestLab;
use packages_support::{
    assert_states, build_deb, on_host, playbook, recap, scanpackages, task_states, touched, Scratch,
};

const INSTALL: &str = r#"
- hosts: lab
  tasks:
    - name: tools
      apt: pkg=$item state=installed update_cache=yes
      with_items:
        - flock-hello
        - flock-tools
    - name: from a file
      apt: deb=/srv/flock-lab/files/flock-file_1.0_all.deb
    - name: newest hello
      apt: name=flock-hello state=latest update_cache=yes cache_valid_time=3600
"#;

const LATEST: &str = r#"
- hosts: lab
  tasks:
    - apt: name=flock-hello state=latest update_cache=yes
"#;

const PIN: &str = r#"
- hosts: lab
  tasks:
    - apt: name=flock-tools=1.0 state=present force=yes
"#;

const MISSING: &str = r#"
- hosts: lab
  tasks:
    - apt: name=flock-hello,flock-nothere state=present
"#;

const REMOVE: &str = r#"
- hosts: lab
  tasks:
    - apt: name=flock-hello,flock-tools state=absent
    - apt: name=flock-file state=absent purge=yes
"#;

fn version(lab: &TestLab, h: &str, pkg: &str) -> String {
    on_host(
        lab,
        h,
        &format!("dpkg-query -W -f='${{Status}} ${{Version}}' {pkg} 2>/dev/null"),
    )
}

#[test]
fn apt_on_a_debian_lab() {
    let t0 = Instant::now();
    let lab = TestLab::new(2);
    let t_up = t0.elapsed();
    let s = Scratch::new("apt");
    let repo = lab.share_dir().join("apt");
    build_deb(&s.0, &repo, "flock-hello", "1.0");
    build_deb(&s.0, &repo, "flock-tools", "1.0");
    build_deb(&s.0, &lab.share_dir().join("files"), "flock-file", "1.0");
    scanpackages(&repo);
    let inv = s.write("inv", &lab.inventory_text());
    let install = s.write("install.yml", INSTALL);
    let hosts: Vec<String> = lab.hosts().iter().map(|h| h.name.clone()).collect();

    // --check: reported as changes, nothing installed, nothing written.
    let out = playbook(&lab, &inv, &install, &["--check"]);
    assert!(out.status.success());
    for h in &hosts {
        assert_eq!(
            task_states(&out.stdout, h),
            ["changed", "changed", "changed"],
            "{h} --check"
        );
        assert_eq!(version(&lab, h, "flock-hello"), "");
        let touched = touched(
            &lab,
            h,
            &["/var/lib/dpkg", "/var/lib/apt", "/usr/share/flock"],
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
        for p in ["flock-hello", "flock-tools", "flock-file"] {
            assert_eq!(version(&lab, h, p), "install ok installed 1.0", "{h} {p}");
        }
        assert_eq!(
            on_host(&lab, h, "cat /usr/share/flock-tools/1.0.txt"),
            "flock-tools 1.0"
        );
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("(item=flock-hello,flock-tools)"));
    let t = Instant::now();
    let out = playbook(&lab, &inv, &install, &[]);
    let t_second = t.elapsed();
    assert!(out.status.success());
    assert_states(&out, &hosts, &["ok", "ok", "ok"], "second run");

    // A new version in the repository: latest (with a cache update) upgrades, then is ok.
    build_deb(&s.0, &repo, "flock-hello", "2.0");
    build_deb(&s.0, &repo, "flock-tools", "2.0");
    scanpackages(&repo);
    let latest = s.write("latest.yml", LATEST);
    let out = playbook(&lab, &inv, &latest, &[]);
    for h in &hosts {
        assert_eq!(task_states(&out.stdout, h), ["changed"], "{h} latest");
        assert_eq!(version(&lab, h, "flock-hello"), "install ok installed 2.0");
        // Only what was asked for moved.
        assert_eq!(version(&lab, h, "flock-tools"), "install ok installed 1.0");
    }
    let out = playbook(&lab, &inv, &latest, &[]);
    assert_states(&out, &hosts, &["ok"], "latest again");
    // A pinned version is kept (flock-tools 2.0 is the candidate now).
    let pin = s.write("pin.yml", PIN);
    let out = playbook(&lab, &inv, &pin, &[]);
    assert_states(&out, &hosts, &["ok"], "pin");

    // A missing package fails the host with apt's message.
    let missing = s.write("missing.yml", MISSING);
    let out = playbook(&lab, &inv, &missing, &[]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Unable to locate package flock-nothere"),
        "{text}"
    );
    for h in &hosts {
        assert_eq!(
            recap(&out.stdout, h),
            "ok=1 changed=0 unreachable=0 failed=1"
        );
    }

    // Removal (and purge), then nothing to remove.
    let remove = s.write("remove.yml", REMOVE);
    let out = playbook(&lab, &inv, &remove, &[]);
    assert!(out.status.success());
    for h in &hosts {
        assert_eq!(
            task_states(&out.stdout, h),
            ["changed", "changed"],
            "{h} remove"
        );
        assert!(!version(&lab, h, "flock-hello").contains("installed"));
        assert_eq!(version(&lab, h, "flock-file"), "");
    }
    let out = playbook(&lab, &inv, &remove, &[]);
    assert_states(&out, &hosts, &["ok", "ok"], "remove again");
    eprintln!(
        "timings: debian lab up {t_up:?}, first install run {t_install:?}, second run {t_second:?}, total {:?}",
        t0.elapsed()
    );
}
