//! The corpus' `bootstrap.yml` module tasks (all but the package ones), run module by module on a
//! `flock lab` host: group wheel, user sysop, the sudoers line and its mode, sysop's
//! authorized_keys, the state file. The modules reach the host's own root file system through
//! `Transport::Chroot` on `/proc/<host init>/root` (the SSH transport is another stage), so every
//! write lands in the host's overlay: the test checks that with `lab.changes`, checks the end
//! state from inside the host, second runs `ok`, and that the machine itself is untouched.

mod modules_support;

use std::path::Path;
use std::time::Duration;

use flock::connection::{ConnectSpec, Connection, HostKeyChecking, Transport};
use flock::lab::{Lab, TestLab};
use flock::modules::args::parse_kv;
use flock::modules::{lookup, ModuleArgs, ModuleContext, ModuleResult, Remote};
use flock::value::Map;
use modules_support::StubRenderer;

/// PID 1 of `host` as the machine sees it, from the lab's state file.
fn host_init(lab: &Lab, host: &str) -> u32 {
    let state = std::fs::read_to_string(Path::new("/run/flock-lab").join(lab.name()).join("state"))
        .expect("lab state file");
    state
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.first() == Some(&"host") && f.get(1) == Some(&host))
                .then(|| f.get(5).and_then(|p| p.parse().ok()))
                .flatten()
        })
        .expect("host line with init pid")
}

async fn run(conn: &Connection, module: &str, args: &str, check: bool) -> ModuleResult {
    let m = lookup(module).expect("registered");
    let (map, rest) = parse_kv(args);
    assert!(rest.is_empty(), "{rest:?}");
    let a = ModuleArgs::validate(m.spec(), &map, None).expect("valid args");
    let vars = Map::new();
    let ctx = ModuleContext {
        remote: Remote::new(conn, None),
        check_mode: check,
        diff_mode: true,
        basedir: std::env::temp_dir(),
        vars: &vars,
        templates: &StubRenderer,
    };
    let r = m.run(&ctx, &a).await.expect("module ran");
    assert!(!r.failed, "{module} {args}: {:?}", r.to_map());
    r
}

fn on_host(lab: &Lab, cmd: &str) -> String {
    let out = lab.exec_on_host("core-01", cmd).expect("exec on host");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn bootstrap_tasks_on_a_lab_host() {
    let lab = TestLab::new(1);
    let root = format!("/proc/{}/root", host_init(&lab, "core-01"));
    let conn = Connection::open(&ConnectSpec {
        inventory_name: root,
        transport: Transport::Chroot,
        address: "core-01".into(),
        port: 22,
        user: "root".into(),
        private_keys: vec![],
        password: None,
        host_key_checking: HostKeyChecking::Off,
        timeout: Duration::from_secs(10),
    })
    .await
    .expect("chroot connection");
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBootstrapTestKeyForSysop sysop@flock";
    let tasks: Vec<(&str, String)> = vec![
        ("group", "name=wheel gid=14 system=yes".into()),
        (
            "user",
            "name=sysop comment='System Operator' groups=wheel password=* shell=/bin/bash".into(),
        ),
        (
            "lineinfile",
            "dest=/etc/sudoers.d/wheel line=\"%wheel ALL=(ALL) NOPASSWD:ALL\" create=yes state=present regexp='^%wheel' backup=yes".into(),
        ),
        ("file", "path=/etc/sudoers.d/wheel owner=root group=root mode=0440".into()),
        ("authorized_key", format!("user=sysop key='{key}' manage_dir=yes")),
        (
            "lineinfile",
            "dest=/etc/ANSIBLE_STATE regexp=^bootstrap line=bootstrap state=present create=yes".into(),
        ),
    ];
    // --check first (the group task; the others need it): reported, nothing written.
    let before = lab.changes("core-01").expect("changes").len();
    for (m, a) in &tasks[..1] {
        assert!(run(&conn, m, a, true).await.changed, "{m} {a}");
    }
    assert_eq!(lab.changes("core-01").expect("changes").len(), before);
    for (m, a) in &tasks {
        let r = run(&conn, m, a, false).await;
        // The mode task finds the file lineinfile made with 0644: changed too.
        assert!(
            r.changed,
            "first run of {m} {a} not changed: {:?}",
            r.to_map()
        );
    }
    for (m, a) in &tasks {
        let r = run(&conn, m, a, false).await;
        assert!(
            !r.changed,
            "second run of {m} {a} changed: {:?}",
            r.to_map()
        );
    }
    // End state, seen from inside the host.
    assert_eq!(
        on_host(&lab, "getent group wheel | cut -d: -f1,3,4"),
        "wheel:14:sysop"
    );
    let pw = on_host(&lab, "getent passwd sysop");
    assert!(
        pw.ends_with(":System Operator:/home/sysop:/bin/bash"),
        "{pw}"
    );
    assert_eq!(on_host(&lab, "getent shadow sysop | cut -d: -f2"), "*");
    assert_eq!(
        on_host(
            &lab,
            "stat -c '%a %U %G' /etc/sudoers.d/wheel; cat /etc/sudoers.d/wheel"
        ),
        "440 root root\n%wheel ALL=(ALL) NOPASSWD:ALL"
    );
    assert_eq!(
        on_host(
            &lab,
            "stat -c '%a %U' /home/sysop/.ssh /home/sysop/.ssh/authorized_keys"
        ),
        "700 sysop\n600 sysop"
    );
    assert_eq!(on_host(&lab, "cat /home/sysop/.ssh/authorized_keys"), key);
    assert_eq!(on_host(&lab, "cat /etc/ANSIBLE_STATE"), "bootstrap");
    assert_eq!(
        on_host(
            &lab,
            "visudo -cf /etc/sudoers.d/wheel >/dev/null && echo valid"
        ),
        "valid"
    );
    // The writes are the host's own (its overlay), not the machine's.
    let changed: Vec<String> = lab
        .diff("core-01")
        .expect("diff")
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    for p in [
        "/etc/passwd",
        "/etc/group",
        "/etc/sudoers.d/wheel",
        "/etc/ANSIBLE_STATE",
    ] {
        assert!(
            changed.iter().any(|c| c == p),
            "{p} not in the host's changes: {changed:?}"
        );
    }
    assert!(!Path::new("/etc/ANSIBLE_STATE").exists());
    assert!(!Path::new("/etc/sudoers.d/wheel").exists());
}
