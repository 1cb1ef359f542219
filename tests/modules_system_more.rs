//! System modules on `flock lab` hosts, side by side with ansible-core where it runs there:
//! `package` choosing apt on a Debian host that also has a `dnf` program, `hostname`, `getent`,
//! `cron` (user crontab and `cron_file`), `systemd` without systemd as PID 1 (init scripts),
//! `service_facts`, `package_facts`, `user` `password_lock`/`expires`, `selinux` without
//! SELinux, `debconf`, `lvg` (arguments and check mode only: lab hosts have no block devices).
//! Each: the effect on the host, idempotence, `--check` changing nothing, `--diff`, and bad
//! arguments failing with ansible-core's message and changing nothing.

mod packages_support;
mod tier1_support;

use tier1_support::{assert_same, Bench};

/// The `package` module run ad hoc (no facts gathered) on a Debian host that has `/usr/bin/dnf`
/// installs with apt, as ansible-core's fact-based choice does.
#[test]
fn package_uses_apt_on_debian_with_dnf() {
    let b = Bench::new(1);
    let h = &b.hosts[0];
    assert_eq!(
        b.on(h, "test -x /usr/bin/dnf && echo dnf-there"),
        "dnf-there",
        "the Debian host must have a dnf program for this test to mean anything"
    );
    let repo = b.lab.share_dir().join("apt");
    let work = b.dir.path().join("debs");
    packages_support::build_deb(&work, &repo, "flock-pkgpick", "1.0");
    packages_support::scanpackages(&repo);
    b.on(h, "apt-get update -q >/dev/null 2>&1");
    let r = b.flock(
        h,
        "package",
        "name=flock-pkgpick state=present",
        &["--check"],
    );
    assert_eq!(r["changed"], true, "{r}");
    let status = "dpkg-query -W -f='${Status}' flock-pkgpick 2>/dev/null";
    assert_eq!(b.on(h, status), "");
    let r = b.flock(h, "package", "name=flock-pkgpick state=present", &[]);
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(b.on(h, status), "install ok installed");
    let r = b.flock(h, "package", "name=flock-pkgpick state=present", &[]);
    assert_eq!(r["changed"], false, "{r}");
    // The fact the choice came from, as ansible-core gathers it.
    let (theirs, ours) = b.both(h, "setup", "filter=ansible_pkg_mgr", &[]);
    assert_eq!(ours["ansible_facts"]["ansible_pkg_mgr"], "apt", "{ours}");
    assert_same(&theirs, &ours, &[], "setup filter=ansible_pkg_mgr");
    let r = b.flock(h, "package", "name=flock-pkgpick use=pacman", &[]);
    assert_eq!(
        r["msg"], "Could not find a matching action for the \"pacman\" package manager.",
        "{r}"
    );
}

/// `hostname` (the file strategy of Debian hosts: `/etc/hostname`) and `getent`, each side by
/// side with ansible-core on the same host.
#[test]
fn hostname_and_getent_like_ansible_core() {
    let b = Bench::new(1);
    let h = &b.hosts[0];
    let reset = "printf 'old-name\\n' > /etc/hostname";
    b.on(h, reset);
    // --check: changed, nothing written.
    let (theirs, ours) = b.both(h, "hostname", "name=web1.example.test", &["--check"]);
    assert_eq!(ours["changed"], true, "{ours}");
    assert_same(&theirs, &ours, &[], "hostname --check");
    assert_eq!(b.on(h, "cat /etc/hostname"), "old-name");
    let theirs = b.ansible(h, "hostname", "name=web1.example.test", &[]);
    assert_eq!(b.on(h, "cat /etc/hostname"), "web1.example.test");
    b.on(h, reset);
    let ours = b.flock(h, "hostname", "name=web1.example.test", &[]);
    assert_same(&theirs, &ours, &[], "hostname");
    assert_eq!(ours["ansible_facts"]["ansible_hostname"], "web1", "{ours}");
    assert_eq!(b.on(h, "cat /etc/hostname"), "web1.example.test");
    let (theirs, ours) = b.both(h, "hostname", "name=web1.example.test", &[]);
    assert_eq!(ours["changed"], false, "{ours}");
    assert_same(&theirs, &ours, &[], "hostname again");
    // The running name is not the file strategy's business.
    assert_eq!(b.on(h, "hostname"), h.as_str());
    // --diff in a playbook: ansible-core's `hostname = …` lines.
    let run = b.play(
        "hn.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - hostname: name=db2\n",
        &["--diff"],
    );
    assert_eq!(run.states(h), ["changed"]);
    let out = run.stdout();
    assert!(
        out.contains("-hostname = web1.example.test\n+hostname = db2"),
        "{out}"
    );
    // Bad arguments: ansible-core's messages, nothing written.
    let (theirs, ours) = b.both(h, "hostname", "name=x use=bogus", &[]);
    assert_eq!(ours["failed"], true, "{ours}");
    assert_same(&theirs, &ours, &[], "hostname use=bogus");
    let (theirs, ours) = b.both(h, "hostname", "use=debian", &[]);
    assert_same(&theirs, &ours, &[], "hostname without name");
    assert_eq!(b.on(h, "cat /etc/hostname"), "db2");

    // getent: passwd (split on ':'), hosts (whitespace), a missing key, an unknown database.
    for args in [
        "database=passwd key=root",
        "database=group key=root",
        "database=hosts key=localhost",
        "database=passwd key=flock-nobody fail_key=no",
        "database=passwd key=flock-nobody",
        "database=flockdb",
    ] {
        let (theirs, ours) = b.both(h, "getent", args, &[]);
        assert_same(&theirs, &ours, &[], args);
    }
    let ours = b.flock(h, "getent", "database=passwd key=root", &["--check"]);
    assert_eq!(
        ours["ansible_facts"]["getent_passwd"]["root"][4], "/root",
        "{ours}"
    );
    let (theirs, ours) = b.both(h, "getent", "key=root", &[]);
    assert_same(&theirs, &ours, &[], "getent without database");
    // The facts land in the play's variables.
    let run = b.play(
        "ge.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - getent: database=passwd key=root\n    - debug: msg=\"home={{ getent_passwd.root[4] }}\"\n",
        &[],
    );
    assert!(run.stdout().contains("home=/root"), "{}", run.stdout());
}

/// `cron`: a user's crontab (`crontab -l`/`crontab -`) and a `cron_file`, side by side with
/// ansible-core: add, idempotence, update, `--check`, `--diff`, env, special_time, disabled,
/// absent (the emptied cron file removed), bad arguments.
#[test]
fn cron_like_ansible_core() {
    let b = Bench::new(1);
    let h = &b.hosts[0];
    let crontab = |b: &Bench| b.on(h, "crontab -l 2>/dev/null");
    b.on(
        h,
        "crontab -r 2>/dev/null; printf 'MAILTO=ops\\n5 5 * * * /bin/adopt\\n' | crontab -",
    );
    let job = "name=nightly minute=0 hour=3 job=/usr/bin/nightly";
    let r = b.flock(h, "cron", job, &["--check"]);
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(crontab(&b), "MAILTO=ops\n5 5 * * * /bin/adopt");
    // ansible-core first, its crontab kept, reset, flock: same result and same crontab.
    let steps = [
        job,
        job,
        "name=nightly minute=30 hour=3 job=/usr/bin/nightly",
        "name=adopted minute=5 hour=5 job=/bin/adopt",
        "name=PATH env=yes job=/usr/bin:/bin",
        "name=SHELL env=yes job=/bin/sh insertafter=PATH",
        "name=boot special_time=reboot job=/bin/boot disabled=yes",
        "name=nightly state=absent",
        "name=PATH env=yes state=absent",
        "name=nightly state=absent",
    ];
    let mut theirs_all = Vec::new();
    for s in steps {
        theirs_all.push((b.ansible(h, "cron", s, &[]), crontab(&b)));
    }
    b.on(
        h,
        "crontab -r 2>/dev/null; printf 'MAILTO=ops\\n5 5 * * * /bin/adopt\\n' | crontab -",
    );
    for (s, (theirs, tab)) in steps.iter().zip(&theirs_all) {
        let ours = b.flock(h, "cron", s, &[]);
        assert_same(theirs, &ours, &[], s);
        assert_eq!(&crontab(&b), tab, "crontab after {s}");
    }
    assert_eq!(
        crontab(&b),
        "SHELL=\"/bin/sh\"\nMAILTO=ops\n#Ansible: adopted\n5 5 * * * /bin/adopt\n#Ansible: boot\n#@reboot /bin/boot"
    );
    // Another user's crontab (-u).
    let (theirs, ours) = b.both(h, "cron", "name=u user=nobody job=/bin/u", &["--check"]);
    assert_same(&theirs, &ours, &[], "user=nobody --check");
    assert_eq!(b.on(h, "crontab -u nobody -l 2>&1 | grep -c /bin/u"), "0");
    let ours = b.flock(h, "cron", "name=u user=nobody job=/bin/u", &[]);
    assert_eq!(ours["changed"], true, "{ours}");
    assert_eq!(
        b.on(h, "crontab -u nobody -l"),
        "#Ansible: u\n* * * * * /bin/u"
    );

    // cron_file in /etc/cron.d.
    let file_job = "name=rotate cron_file=flock-rotate user=root minute=*/10 job=/usr/bin/rotate";
    let theirs = b.ansible(h, "cron", file_job, &[]);
    let their_text = b.on(
        h,
        "cat /etc/cron.d/flock-rotate; stat -c %a /etc/cron.d/flock-rotate",
    );
    b.on(h, "rm -f /etc/cron.d/flock-rotate");
    let ours = b.flock(h, "cron", file_job, &["--check"]);
    assert_eq!(ours["changed"], true, "{ours}");
    assert_eq!(
        b.on(h, "ls /etc/cron.d/flock-rotate 2>&1 | grep -c 'No such'"),
        "1"
    );
    let ours = b.flock(h, "cron", file_job, &[]);
    assert_same(&theirs, &ours, &[], "cron_file");
    assert_eq!(
        b.on(
            h,
            "cat /etc/cron.d/flock-rotate; stat -c %a /etc/cron.d/flock-rotate"
        ),
        their_text
    );
    let (theirs, ours) = b.both(h, "cron", file_job, &[]);
    assert_eq!(ours["changed"], false, "{ours}");
    assert_same(&theirs, &ours, &[], "cron_file again");
    // --diff: the file before and after.
    let run = b.play(
        "cron.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - cron: name=rotate cron_file=flock-rotate user=root minute=15 job=/usr/bin/rotate\n",
        &["--diff"],
    );
    assert_eq!(run.states(h), ["changed"]);
    let out = run.stdout();
    assert!(
        out.contains("-*/10 * * * * root /usr/bin/rotate\n+15 * * * * root /usr/bin/rotate"),
        "{out}"
    );
    // absent: the emptied file goes (check mode first: still there).
    let gone = "name=rotate cron_file=flock-rotate state=absent";
    let r = b.flock(h, "cron", gone, &["--check"]);
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(
        b.on(h, "test -f /etc/cron.d/flock-rotate && echo there"),
        "there"
    );
    let theirs_gone = {
        let saved = b.on(h, "cat /etc/cron.d/flock-rotate");
        let t = b.ansible(h, "cron", gone, &[]);
        b.on(
            h,
            &format!("printf '%s\\n' '{saved}' > /etc/cron.d/flock-rotate"),
        );
        t
    };
    let ours = b.flock(h, "cron", gone, &[]);
    assert_same(&theirs_gone, &ours, &[], "cron_file absent");
    assert_eq!(
        b.on(h, "test -f /etc/cron.d/flock-rotate || echo gone"),
        "gone"
    );

    // Bad arguments: ansible-core's messages, nothing written.
    let before = crontab(&b);
    for args in [
        "name=x",
        "name=x cron_file=flock-x job=/bin/x",
        "name=x job=/bin/x special_time=daily hour=1",
        "name=x job=/bin/x insertafter=PATH",
        "name=x job=/bin/x cron_file=/etc/crontab user=root",
        "name=x job=/bin/x special_time=sometimes",
        "name=x job=/bin/x bogus=1",
        "name=NOPE2 env=yes job=1 insertbefore=NOPE",
        "name='A B' env=yes job=1",
    ] {
        let (theirs, ours) = b.both(h, "cron", args, &[]);
        assert_eq!(ours["failed"], true, "{args}: {ours}");
        assert_same(&theirs, &ours, &[], args);
    }
    assert_eq!(crontab(&b), before);
    assert_eq!(b.on(h, "ls /etc/cron.d | grep -c flock-x"), "0");
}
