//! `apt_key` and `apt_repository` on a `debian` lab: a key generated here with gpg signs a second
//! flat repository (`InRelease`, no `trusted=yes`), so installing from it works only once the key
//! and the source are in place. `--check` changes nothing, changed then ok, a repository that does
//! not exist fails with apt's message (and its source file is taken back), removal.

mod packages_support;

use flock::lab::TestLab;
use packages_support::{
    assert_states, build_deb, gpg_export, gpg_key, on_host, playbook, recap, scanpackages,
    sign_flat_repo, task_states, touched, Scratch,
};

const LIST: &str = "/etc/apt/sources.list.d/file_srv_flock_lab_signed.list";

#[test]
fn apt_key_and_apt_repository_on_a_debian_lab() {
    let lab = TestLab::new(2);
    let s = Scratch::new("aptrepo");
    let home = s.0.join("gnupg");
    let fpr = gpg_key(&home);
    let long_id = &fpr[fpr.len() - 16..];
    gpg_export(&home, &lab.share_dir().join("keys/flock.asc"));
    let repo = lab.share_dir().join("signed");
    build_deb(&s.0, &repo, "flock-extra", "1.0");
    scanpackages(&repo);
    sign_flat_repo(&repo, &home);
    let inv = s.write("inv", &lab.inventory_text());
    let hosts: Vec<String> = lab.hosts().iter().map(|h| h.name.clone()).collect();
    let play = s.write(
        "repo.yml",
        &format!(
            r#"
- hosts: lab
  tasks:
    - apt_key: file=/srv/flock-lab/keys/flock.asc state=present
    - apt_key: url=file:///srv/flock-lab/keys/flock.asc id={long_id}
    - apt_repository: repo='deb file:/srv/flock-lab/signed ./' state=present
    - apt: name=flock-extra
"#
        ),
    );

    // --check: all would change, nothing is written.
    let out = playbook(&lab, &inv, &play, &["--check"]);
    assert!(out.status.success());
    for h in &hosts {
        assert_eq!(
            task_states(&out.stdout, h),
            ["changed", "changed", "changed", "changed"],
            "{h} --check"
        );
        let touched = touched(&lab, h, &["/etc/apt"]);
        assert!(touched.is_empty(), "{h}: --check wrote {touched:?}");
    }

    let out = playbook(&lab, &inv, &play, &[]);
    assert!(out.status.success());
    for h in &hosts {
        assert_eq!(
            task_states(&out.stdout, h),
            ["changed", "ok", "changed", "changed"],
            "{h} first run"
        );
        assert_eq!(
            on_host(&lab, h, &format!("cat {LIST}")),
            "deb file:/srv/flock-lab/signed ./"
        );
        assert!(on_host(
            &lab,
            h,
            "APT_KEY_DONT_WARN_ON_DANGEROUS_USAGE=1 apt-key list 2>/dev/null"
        )
        .replace(' ', "")
        .contains(&fpr));
        assert_eq!(
            on_host(&lab, h, "dpkg-query -W -f='${Version}' flock-extra"),
            "1.0"
        );
    }
    let out = playbook(&lab, &inv, &play, &[]);
    assert_states(&out, &hosts, &["ok", "ok", "ok", "ok"], "second run");

    // A repository that is not there: apt's message, and no source file left behind.
    let bad = s.write(
        "bad.yml",
        "- hosts: lab\n  tasks:\n    - apt_repository: repo='deb file:/srv/flock-lab/nothere ./'\n",
    );
    let out = playbook(&lab, &inv, &bad, &[]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("/srv/flock-lab/nothere"), "{text}");
    for h in &hosts {
        assert_eq!(
            recap(&out.stdout, h),
            "ok=1 changed=0 unreachable=0 failed=1"
        );
        assert_eq!(
            on_host(&lab, h, "ls /etc/apt/sources.list.d/"),
            "file_srv_flock_lab_signed.list\nflock-lab.list"
        );
    }

    // Removal of the source and the key, then nothing to do.
    let remove = s.write(
        "remove.yml",
        &format!(
            "- hosts: lab\n  tasks:\n    - apt_repository: repo='deb file:/srv/flock-lab/signed ./' state=absent\n    - apt_key: id={fpr} state=absent\n"
        ),
    );
    let out = playbook(&lab, &inv, &remove, &[]);
    assert!(out.status.success());
    for h in &hosts {
        assert_eq!(
            task_states(&out.stdout, h),
            ["changed", "changed"],
            "{h} remove"
        );
        assert_eq!(on_host(&lab, h, &format!("test -e {LIST}; echo $?")), "1");
        assert!(!on_host(
            &lab,
            h,
            "APT_KEY_DONT_WARN_ON_DANGEROUS_USAGE=1 apt-key list 2>/dev/null"
        )
        .replace(' ', "")
        .contains(&fpr));
    }
    let out = playbook(&lab, &inv, &remove, &[]);
    assert_states(&out, &hosts, &["ok", "ok"], "remove again");
}
