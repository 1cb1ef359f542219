//! `connection: local` with sudo and a password. As root sudo never asks, so the test re-runs
//! its own binary as a temporary user who may sudo with a password (`runuser`), and that child
//! does the local execs.

mod ssh_support;

use flock::connection::{Become, ConnectSpec, Connection, ConnectionError, Transport};

const PW_VAR: &str = "FLOCK_TEST_LOCAL_SUDO_PW";

#[tokio::test]
#[cfg_attr(
    not(flock_runuser),
    ignore = "needs runuser (util-linux, scripts/test.sh)"
)]
async fn local_sudo_with_password() {
    if let Ok(pw) = std::env::var(PW_VAR) {
        return child(&pw).await;
    }
    let mut user = ssh_support::TempUser::new();
    user.allow_sudo();
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("/usr/sbin/runuser")
        .args(["-u", &user.name, "--"])
        .arg(&exe)
        .args([
            "--exact",
            "local_sudo_with_password",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PW_VAR, &user.password)
        .env("HOME", "/tmp")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child failed:\n{text}");
    assert!(text.contains("1 passed"), "{text}");
    assert!(
        text.contains("CHILD-OK"),
        "the child did not run its checks:\n{text}"
    );
}

async fn child(pw: &str) {
    assert_ne!(nix_uid(), 0, "the child must not be root");
    let conn = Connection::open(&ConnectSpec::new("localhost", Transport::Local))
        .await
        .unwrap();
    let wrong = Become {
        user: "root".into(),
        password: Some("not-the-password".into()),
    };
    match conn.exec("id -un", Some(&wrong), None).await {
        Err(e @ ConnectionError::Become { .. }) => {
            assert!(e.to_string().contains("incorrect sudo password"), "{e}");
        }
        other => panic!("wrong password: {other:?}"),
    }
    let right = Become {
        user: "root".into(),
        password: Some(pw.to_string()),
    };
    let out = conn
        .exec("id -un; cat", Some(&right), Some(b"through sudo\n"))
        .await
        .unwrap();
    assert_eq!(
        out.stdout_str(),
        "root\nthrough sudo\n",
        "{}",
        out.stderr_str()
    );
    assert_eq!(out.stderr_str(), "");
    println!("CHILD-OK");
}

fn nix_uid() -> u32 {
    // SAFETY: getuid has no preconditions.
    unsafe { libc::getuid() }
}
