//! The corpus' `bootstrap.yml` module tasks (all but the package ones), run module by module on
//! the three hosts of a `flock lab` at once, over SSH (flock's russh transport, the lab's key and
//! known_hosts): group wheel, user sysop, the sudoers line and its mode, sysop's
//! authorized_keys, the state file; then `service name=ssh state=started enabled=yes` against
//! the host's running sshd. The test checks the end state from inside each host, that
//! first runs are `changed` and second runs `ok`, that the writes are in each host's overlay
//! (`lab.diff`) and that the machine itself is untouched. (`--check` writing nothing is checked
//! per module in the other modules_* tests.)

mod modules_support;

use std::path::Path;

use flock::connection::{ConnectSpec, Connection, Fallbacks, HostKeyChecking, Transport};
use flock::lab::{Lab, LabHost, TestLab};
use flock::modules::args::parse_kv;
use flock::modules::{lookup, ModuleArgs, ModuleContext, ModuleResult, Remote};
use flock::value::Map;
use modules_support::StubRenderer;

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
        dialect: flock::template::Dialect::Legacy12,
    };
    let r = m.run(&ctx, &a).await.expect("module ran");
    assert!(!r.failed, "{module} {args}: {:?}", r.to_map());
    r
}

fn on_host(lab: &Lab, host: &str, cmd: &str) -> String {
    let out = lab.exec_on_host(host, cmd).expect("exec on host");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBootstrapTestKeyForSysop sysop@flock";

fn tasks() -> Vec<(&'static str, String)> {
    vec![
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
        ("authorized_key", format!("user=sysop key='{KEY}' manage_dir=yes")),
        (
            "lineinfile",
            "dest=/etc/ANSIBLE_STATE regexp=^bootstrap line=bootstrap state=present create=yes".into(),
        ),
    ]
}

/// One host's run: --check of the first task, the tasks, then all of them again.
async fn bootstrap(lab: &Lab, host: &LabHost) -> (bool, Vec<bool>, Vec<bool>) {
    let mut spec = ConnectSpec::new(&host.name, Transport::Ssh);
    spec.address = host.address.to_string();
    spec.user = "root".into();
    spec.private_keys = vec![lab.key_path()];
    spec.known_hosts = Some(lab.known_hosts_path());
    spec.host_key_checking = HostKeyChecking::Strict;
    spec.fallbacks = Fallbacks::default();
    let conn = Connection::open(&spec).await.expect("ssh to the lab host");
    let tasks = tasks();
    let check = run(&conn, tasks[0].0, &tasks[0].1, true).await.changed;
    let mut first = Vec::new();
    for (m, a) in &tasks {
        first.push(run(&conn, m, a, false).await.changed);
    }
    let mut second = Vec::new();
    for (m, a) in &tasks {
        second.push(run(&conn, m, a, false).await.changed);
    }
    // A real service: the host's own sshd (SysV script, no systemd in the lab) is running and
    // enabled, so both are `ok`; the SSH session survives the check.
    let ssh = run(
        &conn,
        "service",
        "name=ssh state=started enabled=yes",
        false,
    )
    .await;
    second.push(ssh.changed);
    conn.close().await;
    (check, first, second)
}

#[test]
fn bootstrap_tasks_on_lab_hosts_over_ssh() {
    let lab = TestLab::new(3);
    let results = std::thread::scope(|s| {
        s.spawn(|| {
            lab.enter().expect("enter the lab's network");
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(futures::future::join_all(
                lab.hosts().iter().map(|h| bootstrap(&lab, h)),
            ))
        })
        .join()
        .expect("ssh thread")
    });
    for (h, (check, first, second)) in lab.hosts().iter().zip(results) {
        let n = &h.name;
        assert!(check, "{n}: --check of the group task not changed");
        // The mode task finds the file lineinfile made with 0644: changed too.
        assert_eq!(first, vec![true; 6], "{n}: first run");
        assert_eq!(second, vec![false; 7], "{n}: second run (and service ssh)");
        // End state, seen from inside the host.
        assert_eq!(
            on_host(&lab, n, "getent group wheel | cut -d: -f1,3,4"),
            "wheel:14:sysop"
        );
        let pw = on_host(&lab, n, "getent passwd sysop");
        assert!(
            pw.ends_with(":System Operator:/home/sysop:/bin/bash"),
            "{pw}"
        );
        assert_eq!(on_host(&lab, n, "getent shadow sysop | cut -d: -f2"), "*");
        assert_eq!(
            on_host(
                &lab,
                n,
                "stat -c '%a %U %G' /etc/sudoers.d/wheel; cat /etc/sudoers.d/wheel"
            ),
            "440 root root\n%wheel ALL=(ALL) NOPASSWD:ALL"
        );
        assert_eq!(
            on_host(
                &lab,
                n,
                "stat -c '%a %U' /home/sysop/.ssh /home/sysop/.ssh/authorized_keys"
            ),
            "700 sysop\n600 sysop"
        );
        assert_eq!(
            on_host(&lab, n, "cat /home/sysop/.ssh/authorized_keys"),
            KEY
        );
        assert_eq!(on_host(&lab, n, "cat /etc/ANSIBLE_STATE"), "bootstrap");
        assert_eq!(
            on_host(
                &lab,
                n,
                "visudo -cf /etc/sudoers.d/wheel >/dev/null && echo valid"
            ),
            "valid"
        );
        // The writes are the host's own (its overlay).
        let changed: Vec<String> = lab
            .diff(n)
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
                "{n}: {p} not in the changes: {changed:?}"
            );
        }
    }
    // The machine itself is untouched.
    assert!(!Path::new("/etc/ANSIBLE_STATE").exists());
    assert!(!Path::new("/etc/sudoers.d/wheel").exists());
}
