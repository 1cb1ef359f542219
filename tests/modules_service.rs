//! `service` on this machine (no systemd as PID 1, like the lab hosts): a small SysV init script
//! the test installs under a unique name in /etc/init.d, started, stopped, restarted, reloaded,
//! enabled and disabled through the real `service` and `update-rc.d`, then removed. The script's
//! daemon keeps stdout open, which must not hang the module.

mod modules_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use modules_support::Harness;

struct Installed {
    name: String,
    script: PathBuf,
}

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new(&self.script).arg("stop").output();
        let _ = Command::new("update-rc.d")
            .args(["-f", &self.name, "remove"])
            .output();
        let _ = fs::remove_file(&self.script);
    }
}

fn install(dir: &Path) -> Installed {
    let name = format!("flocktest-svc{}", std::process::id());
    let pid = dir.join("pid");
    let log = dir.join("log");
    let body = format!(
        r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          {name}
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: flock test service
### END INIT INFO
PIDF='{pid}'
LOG='{log}'
running() {{ [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }}
case "$1" in
  start) running && exit 0; sleep 600 & echo $! > "$PIDF"; echo start >> "$LOG" ;;
  stop) running && kill "$(cat "$PIDF")"; rm -f "$PIDF"; echo stop >> "$LOG" ;;
  restart) "$0" stop; "$0" start ;;
  reload) echo reload >> "$LOG" ;;
  status) running ;;
  *) echo "usage" >&2; exit 2 ;;
esac
"#,
        pid = pid.display(),
        log = log.display()
    );
    let script = PathBuf::from("/etc/init.d").join(&name);
    fs::write(&script, body).unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    Installed { name, script }
}

fn running(svc: &Installed) -> bool {
    Command::new(&svc.script)
        .arg("status")
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn log(h: &Harness) -> String {
    fs::read_to_string(h.path("log")).unwrap_or_default()
}

fn enabled(name: &str) -> bool {
    (2..=5).any(|l| {
        fs::read_dir(format!("/etc/rc{l}.d"))
            .map(|d| {
                d.flatten().any(|e| {
                    let f = e.file_name().to_string_lossy().into_owned();
                    f.starts_with('S') && f.get(3..) == Some(name)
                })
            })
            .unwrap_or(false)
    })
}

#[tokio::test]
async fn sysv_service_lifecycle() {
    if Path::new("/run/systemd/system").exists() {
        eprintln!("systemd runs here; the SysV path is tested on hosts without it");
        return;
    }
    let h = Harness::new().await;
    let svc = install(h.dir.path());
    let n = svc.name.clone();
    let run = |args: String, check: bool| {
        let h = &h;
        async move {
            tokio::time::timeout(
                Duration::from_secs(30),
                h.kv("service", &args, check, false),
            )
            .await
            .expect("service module hung")
        }
    };
    // started: check mode reports, does nothing; then starts; then ok.
    let r = run(format!("name={n} state=started"), true).await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert!(!running(&svc));
    let r = run(format!("name={n} state=started"), false).await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert!(running(&svc));
    assert_eq!(r.data["state"], "started");
    let r = run(format!("name={n} state=started"), false).await;
    assert!(!r.changed);
    assert_eq!(log(&h), "start\n");
    // restarted and reloaded always act.
    assert!(
        run(format!("name={n} state=restarted"), false)
            .await
            .changed
    );
    assert!(run(format!("name={n} state=reloaded"), false).await.changed);
    assert_eq!(log(&h), "start\nstop\nstart\nreload\n");
    assert!(running(&svc));
    // enabled through update-rc.d.
    assert!(!enabled(&n));
    let r = run(format!("name={n} enabled=yes"), true).await;
    assert!(r.changed);
    assert!(!enabled(&n));
    let r = run(format!("name={n} enabled=yes"), false).await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert!(enabled(&n), "no S link in /etc/rc[2-5].d");
    assert!(
        !run(format!("name={n} enabled=yes state=started"), false)
            .await
            .changed
    );
    let r = run(format!("name={n} enabled=no"), false).await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert!(!enabled(&n));
    // stopped.
    let r = run(format!("name={n} state=stopped"), false).await;
    assert!(r.changed && !r.failed);
    assert!(!running(&svc));
    assert!(!run(format!("name={n} state=stopped"), false).await.changed);
    // A service that does not exist: 1.2's message.
    let r = run("name=flock-no-such-service state=started".into(), false).await;
    assert!(r.failed);
    assert!(r
        .msg
        .unwrap()
        .starts_with("cannot find 'service' binary or init script for service"));
    // Nothing asked.
    let r = run(format!("name={n}"), false).await;
    assert_eq!(r.msg.as_deref(), Some("Neither 'state' nor 'enabled' set"));
}
