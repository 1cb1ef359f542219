//! SSH transport against a real sshd per test (see tests/ssh_support).

mod ssh_support;

use std::sync::Arc;
use std::time::Duration;

use flock::connection::{Become, Connection, ConnectionError, Fallbacks, HostKeyChecking};
use ssh_support::{keygen, Sshd, TempUser};

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn exec_collects_rc_stdout_stderr_and_streams_stdin() {
    let sshd = Sshd::start();
    let conn = Connection::open(&sshd.spec()).await.expect("connect");
    let out = conn
        .exec("echo out; echo err >&2; exit 3", None, None)
        .await
        .unwrap();
    assert_eq!(out.rc, 3);
    assert_eq!(out.stdout_str(), "out\n");
    assert_eq!(out.stderr_str(), "err\n");
    // /bin/sh semantics, quoting preserved.
    let out = conn
        .exec("printf '%s|' \"$0\" 'it'\\''s'", None, None)
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "/bin/sh|it's|");
    // stdin: 1 MiB through `sha256sum`, compared with the local digest.
    let data: Vec<u8> = (0..1_048_576u32).map(|i| (i * 7 % 251) as u8).collect();
    let out = conn
        .exec("wc -c; echo done >&2", None, Some(&data))
        .await
        .unwrap();
    assert_eq!(out.stdout_str().trim(), "1048576");
    assert_eq!(out.stderr_str(), "done\n");
    let out = conn.exec("cat", None, Some(b"hello\n")).await.unwrap();
    assert_eq!(out.stdout, b"hello\n");
    // No stdin given: the command sees EOF at once instead of hanging.
    let out = conn.exec("cat; echo eof", None, None).await.unwrap();
    assert_eq!(out.stdout_str(), "eof\n");
    // Large output.
    let out = conn
        .exec("head -c 3000000 /dev/zero", None, None)
        .await
        .unwrap();
    assert_eq!(out.stdout.len(), 3_000_000);
    // Killed by a signal.
    let out = conn.exec("kill -9 $$", None, None).await.unwrap();
    assert_eq!(out.rc, -1);
    conn.close().await;
}

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn hundred_concurrent_execs_share_one_connection() {
    let sshd = Sshd::start();
    let conn = Arc::new(Connection::open(&sshd.spec()).await.expect("connect"));
    // Every command reports the client port the server sees ($SSH_CLIENT = "ip port lport"):
    // one value means one TCP connection.
    let mut tasks = Vec::new();
    for i in 0..100 {
        let c = conn.clone();
        tasks.push(tokio::spawn(async move {
            let out = c
                .exec(
                    &format!("sleep 0.0$(( {i} % 5 )); echo {i} $SSH_CLIENT"),
                    None,
                    None,
                )
                .await
                .expect("exec");
            assert_eq!(out.rc, 0);
            out.stdout_str()
        }));
    }
    let mut client_ports = std::collections::BTreeSet::new();
    for (i, t) in tasks.into_iter().enumerate() {
        let line = t.await.unwrap();
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f[0], i.to_string(), "{line}");
        client_ports.insert(f[2].to_string());
    }
    assert_eq!(client_ports.len(), 1, "all over one TCP connection");
}

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn key_types_and_encrypted_keys() {
    let sshd = Sshd::start();
    let d = sshd.dir.path();
    let mut authorized = std::fs::read_to_string(d.join("authorized_keys")).unwrap();
    for (kind, pass) in [("rsa", ""), ("ecdsa", ""), ("ed25519", "sekrit phrase")] {
        let p = d.join(format!("k_{kind}"));
        keygen(&p, kind, pass);
        authorized.push_str(&std::fs::read_to_string(d.join(format!("k_{kind}.pub"))).unwrap());
    }
    std::fs::write(d.join("authorized_keys"), authorized).unwrap();
    for kind in ["rsa", "ecdsa"] {
        let mut spec = sshd.spec();
        spec.private_keys = vec![d.join(format!("k_{kind}"))];
        let c = Connection::open(&spec)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(
            c.exec("echo ok", None, None).await.unwrap().stdout_str(),
            "ok\n"
        );
    }
    let mut spec = sshd.spec();
    spec.private_keys = vec![d.join("k_ed25519")];
    // No passphrase: a clear auth error that names the key as encrypted.
    match Connection::open(&spec).await {
        Err(ConnectionError::Auth { msg, .. }) => assert!(msg.contains("encrypted"), "{msg}"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("connected without the passphrase"),
    }
    spec.key_passphrase = Some("bad-phrase-123".into());
    match Connection::open(&spec).await {
        Err(ConnectionError::Auth { msg, .. }) => {
            assert!(msg.contains("k_ed25519"), "{msg}");
            assert!(!msg.contains("bad-phrase-123"), "passphrase leaked: {msg}");
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("connected with a wrong passphrase"),
    }
    spec.key_passphrase = Some("sekrit phrase".into());
    let c = Connection::open(&spec).await.expect("encrypted key");
    assert_eq!(
        c.exec("echo ok", None, None).await.unwrap().stdout_str(),
        "ok\n"
    );
}

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn password_authentication() {
    let sshd = Sshd::start();
    let user = TempUser::new();
    let mut spec = sshd.spec();
    spec.user = user.name.clone();
    spec.private_keys = vec![sshd.dir.path().join("no-such-key")];
    spec.password = Some("not the password".into());
    match Connection::open(&spec).await {
        Err(e @ ConnectionError::Auth { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(&user.name), "{msg}");
            assert!(msg.contains("password"), "{msg}");
            assert!(!msg.contains("not the password"), "password leaked: {msg}");
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("wrong password accepted"),
    }
    spec.password = Some(user.password.clone());
    let c = Connection::open(&spec).await.expect("password auth");
    let out = c.exec("id -un", None, None).await.unwrap();
    assert_eq!(out.stdout_str().trim(), user.name);
    assert!(
        !format!("{spec:?}").contains(&user.password),
        "Debug shows the password"
    );
}

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn known_hosts_mismatch_is_refused_with_file_and_line() {
    let sshd = Sshd::start();
    let other = sshd.dir.path().join("other_host_key");
    keygen(&other, "ed25519", "");
    let other_pub = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let kh = &sshd.known_hosts;
    std::fs::write(
        kh,
        format!(
            "# a comment\nsomewhere.example {other_pub}[127.0.0.1]:{} {other_pub}",
            sshd.port
        ),
    )
    .unwrap();
    for policy in [HostKeyChecking::Strict, HostKeyChecking::AcceptNew] {
        let mut spec = sshd.spec();
        spec.host_key_checking = policy;
        match Connection::open(&spec).await {
            Err(e @ ConnectionError::HostKey { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains("testhost"), "{msg}");
                assert!(msg.contains(&format!("{}:3", kh.display())), "{msg}");
            }
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("{policy:?}: connected despite a changed host key"),
        }
    }
    let before = std::fs::read_to_string(kh).unwrap();
    // Off: connects (Ansible's host_key_checking=False), file untouched.
    let spec = sshd.spec();
    Connection::open(&spec).await.expect("checking off");
    assert_eq!(std::fs::read_to_string(kh).unwrap(), before);

    // The right key in a hashed entry (ssh-keygen -H) is accepted under Strict.
    std::fs::write(kh, format!("[127.0.0.1]:{} {}", sshd.port, sshd.host_pub())).unwrap();
    let st = std::process::Command::new("ssh-keygen")
        .arg("-q")
        .arg("-H")
        .arg("-f")
        .arg(kh)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    assert!(std::fs::read_to_string(kh).unwrap().starts_with("|1|"));
    let mut spec = sshd.spec();
    spec.host_key_checking = HostKeyChecking::Strict;
    Connection::open(&spec)
        .await
        .expect("hashed known_hosts entry");
}

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn accept_new_appends_then_strict_accepts() {
    let sshd = Sshd::start();
    let kh = sshd.known_hosts.clone();
    let mut spec = sshd.spec();
    spec.host_key_checking = HostKeyChecking::Strict;
    match Connection::open(&spec).await {
        Err(ConnectionError::HostKey { msg, .. }) => assert!(msg.contains("strict"), "{msg}"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("strict accepted an unknown host"),
    }
    assert!(!kh.exists());
    spec.host_key_checking = HostKeyChecking::AcceptNew;
    Connection::open(&spec).await.expect("accept-new");
    let text = std::fs::read_to_string(&kh).unwrap();
    let host_key_b64 = sshd
        .host_pub()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    assert_eq!(
        text,
        format!("[127.0.0.1]:{} ssh-ed25519 {host_key_b64}\n", sshd.port)
    );
    spec.host_key_checking = HostKeyChecking::Strict;
    Connection::open(&spec)
        .await
        .expect("strict after accept-new");
    // OpenSSH agrees with what was written.
    let out = std::process::Command::new("ssh-keygen")
        .arg("-F")
        .arg(format!("[127.0.0.1]:{}", sshd.port))
        .arg("-f")
        .arg(&kh)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ssh-keygen -F does not find the entry"
    );
    assert_eq!(std::fs::read_to_string(&kh).unwrap(), text, "appended once");
}

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn sudo_with_and_without_password() {
    let sshd = Sshd::start();
    // root: sudo -n to another user, no password needed.
    let conn = Connection::open(&sshd.spec()).await.expect("connect");
    let b = Become {
        user: "nobody".into(),
        password: None,
    };
    let out = conn
        .exec("id -un; cat", Some(&b), Some(b"in\n"))
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "nobody\nin\n", "{}", out.stderr_str());
    conn.close().await;

    // A user with a password who may sudo; logs in with the key (AuthorizedKeysFile is shared).
    let mut user = TempUser::new();
    user.allow_sudo();
    let mut spec = sshd.spec();
    spec.user = user.name.clone();
    let conn = Connection::open(&spec).await.expect("connect as user");
    // Without the password: sudo -n fails, the command does not run.
    let out = conn
        .exec(
            "touch /tmp/flock-must-not-exist",
            Some(&Become::default()),
            None,
        )
        .await
        .unwrap();
    assert_ne!(out.rc, 0);
    assert!(
        out.stderr_str().contains("password"),
        "{}",
        out.stderr_str()
    );
    // Wrong password: a clear Become error, the password nowhere in it.
    let wrong = Become {
        user: "root".into(),
        password: Some("definitely-wrong-pw".into()),
    };
    match conn.exec("id -un", Some(&wrong), None).await {
        Err(e @ ConnectionError::Become { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("incorrect sudo password"), "{msg}");
            assert!(!msg.contains("definitely-wrong-pw"), "{msg}");
        }
        other => panic!("wrong sudo password: {other:?}"),
    }
    // Right password: runs as root, stdin reaches the command (not sudo), stderr is clean.
    let right = Become {
        user: "root".into(),
        password: Some(user.password.clone()),
    };
    let out = conn
        .exec(
            "id -un; cat; echo warn >&2; ps -o args= -p $PPID",
            Some(&right),
            Some(b"payload\n"),
        )
        .await
        .unwrap();
    assert_eq!(out.rc, 0, "{}", out.stderr_str());
    let stdout = out.stdout_str();
    assert!(stdout.starts_with("root\npayload\n"), "{stdout}");
    assert_eq!(out.stderr_str(), "warn\n");
    assert!(
        !stdout.contains(&user.password),
        "password in argv: {stdout}"
    );
    // A second run (sudo may have cached the credential and not ask): still fine.
    let out = conn.exec("id -un", Some(&right), None).await.unwrap();
    assert_eq!(out.stdout_str(), "root\n");
    // Become another unprivileged user.
    let nobody = Become {
        user: "nobody".into(),
        password: Some(user.password.clone()),
    };
    let out = conn.exec("id -un", Some(&nobody), None).await.unwrap();
    assert_eq!(out.stdout_str(), "nobody\n");
    conn.close().await;
}

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn unreachable_port_is_a_connect_error() {
    let sshd = Sshd::start();
    let mut spec = sshd.spec();
    // A port nobody listens on: bind then drop.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    spec.port = port;
    let t = std::time::Instant::now();
    match Connection::open(&spec).await {
        Err(e @ ConnectionError::Connect { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("connection refused"), "{msg}");
            assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("connected to a closed port"),
    }
    assert!(t.elapsed() < Duration::from_secs(5));
    // A listener that never speaks SSH: the handshake times out.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    spec.port = silent.local_addr().unwrap().port();
    spec.timeout = Duration::from_millis(500);
    match Connection::open(&spec).await {
        Err(ConnectionError::Connect { msg, .. }) => assert!(msg.contains("timed out"), "{msg}"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("connected to a silent port"),
    }
}

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn ssh_config_fills_in_fallbacks() {
    let sshd = Sshd::start();
    let cfg = sshd.dir.path().join("ssh_config");
    std::fs::write(
        &cfg,
        format!(
            "Host webby\n  HostName 127.0.0.1\n  Port {}\n  User root\n  IdentityFile {}\n",
            sshd.port,
            sshd.client_key.display()
        ),
    )
    .unwrap();
    let mut spec = flock::connection::ConnectSpec::new("webby", flock::connection::Transport::Ssh);
    spec.user = "nosuchuser".into();
    spec.host_key_checking = HostKeyChecking::Off;
    spec.known_hosts = Some(sshd.known_hosts.clone());
    spec.ssh_config = Some(cfg);
    spec.fallbacks = Fallbacks {
        address: true,
        port: true,
        user: true,
    };
    let c = Connection::open(&spec).await.expect("via ssh config");
    assert_eq!(
        c.exec("id -un", None, None).await.unwrap().stdout_str(),
        "root\n"
    );
    // An explicit user wins over the config's.
    spec.fallbacks.user = false;
    assert!(matches!(
        Connection::open(&spec).await,
        Err(ConnectionError::Auth { .. })
    ));
}

/// Runs `setup` over `conn` and returns its facts.
async fn gather(conn: &Connection, filter: Option<&str>) -> flock::Map {
    use flock::modules::{ModuleArgs, ModuleContext, Remote, TemplateRenderer};
    struct NoTemplates;
    impl TemplateRenderer for NoTemplates {
        fn render_file(&self, _: &std::path::Path) -> Result<String, String> {
            Err("no templates here".into())
        }
    }
    let module = flock::modules::lookup("setup").expect("setup registered");
    let mut given = flock::Map::new();
    if let Some(f) = filter {
        given.insert("filter".into(), flock::Value::String(f.into()));
    }
    let args = ModuleArgs::validate(module.spec(), &given, None).unwrap();
    let vars = flock::Map::new();
    let ctx = ModuleContext {
        remote: Remote::new(conn, None),
        check_mode: false,
        diff_mode: false,
        basedir: "/".into(),
        vars: &vars,
        templates: &NoTemplates,
        dialect: flock::template::Dialect::Legacy12,
    };
    let res = module.run(&ctx, &args).await.expect("setup runs");
    assert!(!res.failed, "{:?}", res.msg);
    match res.data.get("ansible_facts") {
        Some(flock::Value::Object(m)) => m.clone(),
        other => panic!("no ansible_facts: {other:?}"),
    }
}

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn setup_facts_over_ssh_are_sane() {
    let sshd = Sshd::start();
    let conn = Connection::open(&sshd.spec()).await.expect("connect");
    let t = std::time::Instant::now();
    let f = gather(&conn, None).await;
    eprintln!("setup over ssh: {} facts in {:?}", f.len(), t.elapsed());
    let sh = |c: &str| {
        let o = std::process::Command::new("sh")
            .arg("-c")
            .arg(c)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let hostname = sh("hostname");
    assert_eq!(f["ansible_hostname"], hostname.split('.').next().unwrap());
    assert_eq!(f["ansible_nodename"], sh("uname -n"));
    assert_eq!(f["ansible_kernel"], sh("uname -r"));
    assert_eq!(f["ansible_machine"], sh("uname -m"));
    assert_eq!(f["ansible_system"], "Linux");
    assert_eq!(f["ansible_user_id"], "root");
    assert_eq!(f["ansible_env"]["HOME"], "/root");
    assert!(
        f["ansible_lo"]["ipv4"]["address"] == "127.0.0.1",
        "{:?}",
        f["ansible_lo"]
    );
    assert!(f["ansible_interfaces"]
        .as_array()
        .unwrap()
        .contains(&"lo".into()));
    let nproc: u64 = sh("grep -c ^processor /proc/cpuinfo").parse().unwrap();
    assert_eq!(f["ansible_processor_vcpus"], nproc);
    let memtotal: u64 = sh("awk '/^MemTotal/{print int($2/1024)}' /proc/meminfo")
        .parse()
        .unwrap();
    assert_eq!(f["ansible_memtotal_mb"], memtotal);
    let os_id = sh(". /etc/os-release; echo $ID");
    if os_id == "debian" {
        assert_eq!(f["ansible_distribution"], "Debian");
        assert_eq!(f["ansible_os_family"], "Debian");
        assert_eq!(f["ansible_pkg_mgr"], "apt");
        assert_eq!(
            f["ansible_distribution_release"],
            sh(". /etc/os-release; echo $VERSION_CODENAME")
        );
    }
    assert!(
        f["ansible_date_time"]["epoch"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 1_600_000_000
    );
    assert!(f["ansible_mounts"].is_array());
    // filter= keeps only matching keys.
    let only = gather(&conn, Some("ansible_eth*")).await;
    assert!(
        only.keys().all(|k| k.starts_with("ansible_eth")),
        "{:?}",
        only.keys()
    );
    let only = gather(&conn, Some("ansible_hostname")).await;
    assert_eq!(only.len(), 1);
}

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn proxy_jump_one_hop() {
    let target = Sshd::start();
    let jump = Sshd::start();
    let no_fwd = Sshd::start_with("AllowTcpForwarding no");
    // The jump hosts accept the target's client key too.
    let key_pub = std::fs::read_to_string(target.dir.path().join("id_ed25519.pub")).unwrap();
    for j in [&jump, &no_fwd] {
        std::fs::write(j.dir.path().join("authorized_keys"), &key_pub).unwrap();
    }
    let cfg = target.dir.path().join("ssh_config");
    let write_cfg = |jump_port: u16| {
        std::fs::write(
            &cfg,
            format!(
                "Host target\n  HostName 127.0.0.1\n  Port {}\n  User root\n  ProxyJump root@127.0.0.1:{jump_port}\n",
                target.port
            ),
        )
        .unwrap();
    };
    let mut spec = flock::connection::ConnectSpec::new("target", flock::connection::Transport::Ssh);
    spec.private_keys = vec![target.client_key.clone()];
    spec.host_key_checking = HostKeyChecking::Off;
    spec.known_hosts = Some(target.known_hosts.clone());
    spec.ssh_config = Some(cfg.clone());
    // Through a jump host that forbids forwarding: refused, so the jump really is in the path.
    write_cfg(no_fwd.port);
    match Connection::open(&spec).await {
        Err(e @ ConnectionError::Connect { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("ProxyJump") || msg.contains("jump host"),
                "{msg}"
            );
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("connected although the jump host forbids forwarding"),
    }
    write_cfg(jump.port);
    let c = Connection::open(&spec).await.expect("via jump host");
    let out = c.exec("echo $SSH_CONNECTION", None, None).await.unwrap();
    let f: Vec<String> = out
        .stdout_str()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(f[3], target.port.to_string(), "{f:?}");
    c.close().await;
}

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn host_going_away_is_a_lost_connection() {
    let mut sshd = Sshd::start();
    let conn = Connection::open(&sshd.spec()).await.expect("connect");
    assert_eq!(
        conn.exec("echo up", None, None).await.unwrap().stdout_str(),
        "up\n"
    );
    // A command running while the host dies, and one started after.
    let running = conn.exec("sleep 30", None, None);
    let killer = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sshd.kill_all();
    };
    let t = std::time::Instant::now();
    let (res, ()) = tokio::join!(running, killer);
    assert!(matches!(res, Err(ConnectionError::Lost { .. })), "{res:?}");
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    match conn.exec("true", None, None).await {
        Err(e @ ConnectionError::Lost { .. }) => assert!(e.to_string().contains("testhost")),
        other => panic!("exec on a dead connection: {other:?}"),
    }
}

#[tokio::test]
#[cfg_attr(
    not(flock_sshd),
    ignore = "needs /usr/sbin/sshd (openssh-server, scripts/test.sh)"
)]
async fn keyboard_interactive_password() {
    let sshd =
        Sshd::start_with("PasswordAuthentication no\nKbdInteractiveAuthentication yes\nUsePAM yes");
    let user = TempUser::new();
    let mut spec = sshd.spec();
    spec.user = user.name.clone();
    spec.private_keys = vec![];
    spec.password = Some("wrong-pw".into());
    assert!(matches!(
        Connection::open(&spec).await,
        Err(ConnectionError::Auth { .. })
    ));
    spec.password = Some(user.password.clone());
    let c = Connection::open(&spec)
        .await
        .unwrap_or_else(|e| panic!("keyboard-interactive: {e}\nsshd: {}", sshd.log()));
    let out = c.exec("id -un", None, None).await.unwrap();
    assert_eq!(out.stdout_str().trim(), user.name);
}
