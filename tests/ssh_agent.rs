//! Authentication with a key held by ssh-agent ($SSH_AUTH_SOCK). Its own test binary: the
//! environment variable is process-wide.

mod ssh_support;

use std::process::{Command, Stdio};

use flock::connection::{Connection, ConnectionError};
use ssh_support::{keygen, Sshd};

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn agent_key_authenticates() {
    let sshd = Sshd::start();
    let d = sshd.dir.path();
    // A key only the agent has (the file is removed after ssh-add), RSA to cover rsa-sha2.
    let key = d.join("agent_rsa");
    keygen(&key, "rsa", "");
    std::fs::write(
        d.join("authorized_keys"),
        std::fs::read_to_string(d.join("agent_rsa.pub")).unwrap(),
    )
    .unwrap();
    let sock = d.join("agent.sock");
    let mut agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ssh-agent");
    for _ in 0..100 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let st = Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "ssh-add");
    std::fs::remove_file(&key).unwrap();

    let mut spec = sshd.spec();
    spec.private_keys = vec![]; // nothing but the agent (and no default keys: HOME below)
    std::env::set_var("HOME", d);
    std::env::remove_var("SSH_AUTH_SOCK");
    match Connection::open(&spec).await {
        Err(ConnectionError::Auth { msg, .. }) => assert!(msg.contains("no credentials"), "{msg}"),
        other => panic!("without the agent: {:?}", other.map(|_| ())),
    }
    std::env::set_var("SSH_AUTH_SOCK", &sock);
    let conn = Connection::open(&spec).await.expect("agent auth");
    let out = conn.exec("echo agent", None, None).await.unwrap();
    assert_eq!(out.stdout_str(), "agent\n");
    let _ = agent.kill();
    let _ = agent.wait();
}
