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

/// A SysV init script on the host: `sleep` as the daemon, a pid file, a log of the actions.
const INIT_SCRIPT: &str = r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          flockd
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: flock test daemon
### END INIT INFO
PIDF=/run/flockd.pid
running() { [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }
case "$1" in
  start) running && exit 0; sleep 600 >/dev/null 2>&1 & echo $! > "$PIDF"; echo start >> /root/flockd.log ;;
  stop) running && kill "$(cat "$PIDF")"; rm -f "$PIDF"; echo stop >> /root/flockd.log ;;
  restart) "$0" stop; "$0" start ;;
  status) if running; then echo running; else exit 3; fi ;;
  *) echo usage >&2; exit 2 ;;
esac
"#;

/// `systemd`/`systemd_service` where systemd is not PID 1 (the lab): the init script started,
/// enabled, stopped, disabled; ansible-core's argument checks; `service_facts` seeing it.
#[test]
fn systemd_without_systemd_and_service_facts() {
    let b = Bench::new(1);
    let h = &b.hosts[0];
    b.on(
        h,
        &format!(
            "cat > /etc/init.d/flockd <<'EOF'\n{INIT_SCRIPT}EOF\nchmod 755 /etc/init.d/flockd"
        ),
    );
    let running = |b: &Bench| b.on(h, "/etc/init.d/flockd status");
    let enabled = |b: &Bench| b.on(h, "ls /etc/rc2.d | grep -c '^S..flockd'");
    let r = b.flock(
        h,
        "systemd",
        "name=flockd state=started enabled=yes",
        &["--check"],
    );
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!((running(&b), enabled(&b)), (String::new(), "0".into()));
    let r = b.flock(h, "systemd", "name=flockd state=started enabled=yes", &[]);
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(
        (r["state"].clone(), r["enabled"].clone()),
        ("started".into(), true.into())
    );
    assert_eq!(r["status"], serde_json::json!({}), "{r}");
    assert_eq!((running(&b), enabled(&b)), ("running".into(), "1".into()));
    let r = b.flock(
        h,
        "systemd_service",
        "name=flockd state=started enabled=yes",
        &[],
    );
    assert_eq!(r["changed"], false, "{r}");
    // service_facts sees it running (service --status-all).
    let (theirs, ours) = b.both(h, "service_facts", "", &[]);
    assert_eq!(
        ours["ansible_facts"]["services"]["flockd"],
        serde_json::json!({"name": "flockd", "state": "running", "source": "sysv"}),
        "{ours}"
    );
    assert_same(&theirs, &ours, &[], "service_facts");
    let r = b.flock(h, "systemd", "name=flockd state=stopped enabled=no", &[]);
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!((running(&b), enabled(&b)), (String::new(), "0".into()));
    let r = b.flock(h, "systemd", "name=flockd state=stopped", &[]);
    assert_eq!(r["changed"], false, "{r}");
    assert!(r.get("enabled").is_none(), "{r}");
    // daemon_reload alone: a warning, nothing else.
    let r = b.flock(h, "systemd", "daemon_reload=yes", &[]);
    assert_eq!(r["changed"], false, "{r}");
    let (theirs, ours) = b.both(h, "systemd", "name=flockd", &[]);
    assert_same(&theirs, &ours, &[], "name only");
    assert_eq!(r["changed"], false, "{r}");
    // Bad arguments: ansible-core's checks (run before it looks for systemctl).
    for (args, msg) in [
("state=started", "missing parameter(s) required by 'state': name"),
        (
            "name=flock* state=started",
            "This module does not currently support using glob patterns, found '*' in service name: flock*",
        ),
    ] {
        let (theirs, ours) = b.both(h, "systemd", args, &[]);
        assert_eq!(ours["msg"], msg, "{args}: {ours}");
        // ansible-core's result also carries `name`/`status` here: compare the message.
        assert_eq!(theirs["msg"], ours["msg"], "{args}");
    }
    let r = b.flock(h, "systemd", "name=flockd masked=yes", &[]);
    assert_eq!(r["failed"], true, "{r}");
    let r = b.flock(h, "systemd", "name=flockd state=bogus", &[]);
    assert_eq!(r["failed"], true, "{r}");
    assert_eq!(b.on(h, "cat /root/flockd.log"), "start\nstop");
}

/// `package_facts` (dpkg on Debian hosts: name, version, arch, category), `user`
/// `password_lock`/`expires` side by side with ansible-core, `debconf`, `selinux` without
/// SELinux and with a config file.
#[test]
fn package_facts_user_debconf_selinux_lvg() {
    let b = Bench::new(1);
    let h = &b.hosts[0];
    // package_facts: what dpkg says, for a package every host has.
    let r = b.flock(h, "package_facts", "", &["--check"]);
    let bash = &r["ansible_facts"]["packages"]["bash"][0];
    let want = b.on(
        h,
        "dpkg-query -W -f='${Version}|${Architecture}|${Section}' bash",
    );
    assert_eq!(
        format!(
            "{}|{}|{}",
            bash["version"].as_str().unwrap_or(""),
            bash["arch"].as_str().unwrap_or(""),
            bash["category"].as_str().unwrap_or("")
        ),
        want,
        "{bash}"
    );
    assert_eq!(bash["source"], "apt");
    // rpm is installed on Debian hosts but holds nothing: a warning, apt's packages kept.
    let r = b.flock(h, "package_facts", "manager=apt,rpm strategy=all", &[]);
    assert_eq!(
        r["ansible_facts"]["packages"]["bash"][0]["source"], "apt",
        "{r}"
    );
    let r = b.flock(h, "package_facts", "manager=rpm", &[]);
    assert_eq!(
        r["msg"],
        "Could not detect a supported package manager from the following list: ['rpm'], or the required Python library is not installed. Check warnings for details."
    );
    let (theirs, ours) = b.both(h, "package_facts", "manager=bogus", &[]);
    assert_eq!(ours["msg"], "Unsupported package managers requested: bogus");
    assert_same(&theirs, &ours, &[], "package_facts manager=bogus");

    // user: expires and password_lock, ansible-core first then flock on a fresh account.
    let hash = "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
    let steps = [
        format!("name=flocku password={hash} expires=1422403387"),
        format!("name=flocku password={hash} expires=1422403387"),
        "name=flocku password_lock=yes".to_string(),
        "name=flocku password_lock=yes".to_string(),
        "name=flocku password_lock=no expires=-1".to_string(),
        "name=flocku expires=-1".to_string(),
    ];
    let shadow = |b: &Bench| b.on(h, "getent shadow flocku | cut -d: -f2,8");
    let mut theirs_all = Vec::new();
    for s in &steps {
        theirs_all.push((b.ansible(h, "user", s, &[]), shadow(&b)));
    }
    b.on(h, "userdel -r flocku 2>/dev/null");
    for (s, (theirs, sh)) in steps.iter().zip(&theirs_all) {
        let ours = b.flock(h, "user", s, &[]);
        assert_eq!(
            ours["changed"], theirs["changed"],
            "{s}: {ours} vs {theirs}"
        );
        assert_eq!(&shadow(&b), sh, "shadow after {s}");
    }
    assert_eq!(theirs_all[0].1, format!("{hash}:16463"));
    assert_eq!(theirs_all[2].1, format!("!{hash}:16463"));
    let r = b.flock(h, "user", "name=flocku expires=soon", &[]);
    assert_eq!(r["failed"], true, "{r}");
    let r = b.flock(h, "user", "name=flocku password_lock=yes", &["--check"]);
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(shadow(&b), format!("{hash}:"));

    // debconf: a question of a package the host has (tzdata), side by side.
    let q = "name=tzdata question=tzdata/Areas vtype=select value=Asia";
    let before = b.on(h, "debconf-show tzdata | grep Areas");
    let ours = b.flock(h, "debconf", q, &["--check"]);
    assert_eq!(ours["changed"], true, "{ours}");
    assert_eq!(b.on(h, "debconf-show tzdata | grep Areas"), before);
    let theirs = b.ansible(h, "debconf", q, &[]);
    b.on(
        h,
        "echo 'tzdata tzdata/Areas select Etc' | debconf-set-selections",
    );
    let ours = b.flock(h, "debconf", q, &[]);
    assert_eq!(ours["current"], theirs["current"], "{ours} vs {theirs}");
    assert_eq!(ours["changed"], true);
    assert_eq!(
        b.on(h, "debconf-show tzdata | grep Areas"),
        "* tzdata/Areas: Asia"
    );
    let (theirs, ours) = b.both(h, "debconf", q, &[]);
    assert_eq!(ours["changed"], false, "{ours}");
    assert_eq!(ours["changed"], theirs["changed"]);
    let (theirs, ours) = b.both(h, "debconf", "name=tzdata question=tzdata/Areas", &[]);
    assert_eq!(ours["failed"], true, "{ours}");
    assert_same(&theirs, &ours, &[], "debconf required together");

    // selinux: no SELinux on the host, then a config file with SELinux disabled at run time.
    let r = b.flock(h, "selinux", "state=enforcing policy=targeted", &[]);
    assert_eq!(r["msg"], "Unable to find file /etc/selinux/config", "{r}");
    b.on(h, "mkdir -p /etc/selinux; printf '# kept\\nSELINUX=disabled\\nSELINUXTYPE=targeted\\n' > /etc/selinux/config");
    let r = b.flock(
        h,
        "selinux",
        "state=permissive policy=targeted",
        &["--check"],
    );
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(
        b.on(h, "grep ^SELINUX= /etc/selinux/config"),
        "SELINUX=disabled"
    );
    let r = b.flock(h, "selinux", "state=permissive policy=targeted", &[]);
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(r["reboot_required"], true, "{r}");
    assert_eq!(
        r["msg"],
        "Config SELinux state changed from 'disabled' to 'permissive'"
    );
    assert_eq!(
        b.on(h, "cat /etc/selinux/config"),
        "# kept\nSELINUX=permissive\nSELINUXTYPE=targeted"
    );
    let r = b.flock(h, "selinux", "state=permissive policy=targeted", &[]);
    assert_eq!(r["changed"], false, "{r}");
    let r = b.flock(h, "selinux", "state=enforcing", &[]);
    assert_eq!(r["msg"], "Policy is required if state is not 'disabled'");
}

/// `lvg`: the lab hosts have no block devices to give LVM (loop devices are the machine's), so
/// only community.general's argument checks and check mode are exercised; nothing changes.
#[test]
fn lvg_arguments_and_check_mode() {
    let b = Bench::new(1);
    let h = &b.hosts[0];
    let r = b.flock(h, "lvg", "vg=flockvg pvs=/dev/flock-none", &[]);
    assert_eq!(r["msg"], "Device /dev/flock-none not found.", "{r}");
    let r = b.flock(h, "lvg", "vg=flockvg", &[]);
    assert_eq!(r["msg"], "No physical volumes given.", "{r}");
    let r = b.flock(h, "lvg", "pvs=/dev/null", &[]);
    assert_eq!(r["failed"], true, "{r}");
    let r = b.flock(h, "lvg", "vg=flockvg reset_pv_uuid=yes", &[]);
    assert_eq!(
        r["msg"], "reset_pv_uuid is True but all of the following are missing: pvs",
        "{r}"
    );
    // An absent group that is not there: ok. A device that exists, in check mode: changed.
    let r = b.flock(h, "lvg", "vg=flockvg state=absent", &[]);
    assert_eq!(r["changed"], false, "{r}");
    let r = b.flock(h, "lvg", "vg=flockvg pvs=/dev/null", &["--check"]);
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(
        b.on(h, "vgs --noheadings flockvg 2>&1 | grep -c 'not found'"),
        "1"
    );
}
