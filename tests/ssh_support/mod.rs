//! A private sshd per test: its own port on 127.0.0.1, host key, authorized_keys and client key,
//! all in a temp dir; killed when dropped. Also temporary users (with a password) for tests
//! that need one. Requires root and /usr/sbin/sshd (openssh-server).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use flock::connection::{ConnectSpec, Fallbacks, HostKeyChecking, Transport};

pub const SSHD: &str = "/usr/sbin/sshd";

/// A running sshd.
pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub client_key: PathBuf,
    pub known_hosts: PathBuf,
    child: Child,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn keygen(path: &Path, kind: &str, passphrase: &str) {
    let mut c = Command::new("ssh-keygen");
    c.args(["-q", "-t", kind, "-N", passphrase, "-C", "flock-test", "-f"])
        .arg(path);
    if kind == "rsa" {
        c.args(["-b", "2048"]);
    }
    let st = c.stdin(Stdio::null()).status().expect("ssh-keygen");
    assert!(st.success(), "ssh-keygen -t {kind} failed");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Sshd {
    /// Starts sshd with an ed25519 host key and an ed25519 client key authorized. Tests that
    /// use it carry `#[cfg_attr(not(flock_sshd), ignore = ...)]` (see `build.rs`).
    pub fn start() -> Sshd {
        Self::start_with("")
    }

    /// Starts sshd with extra sshd_config lines (placed first: sshd keeps an option's first value).
    pub fn start_with(extra: &str) -> Sshd {
        let _ = std::fs::create_dir_all("/run/sshd");
        let dir = tempfile::Builder::new()
            .prefix("flock-sshd-")
            .tempdir()
            .expect("tempdir");
        let d = dir.path();
        keygen(&d.join("host_ed25519"), "ed25519", "");
        let client_key = d.join("id_ed25519");
        keygen(&client_key, "ed25519", "");
        let pubkey = std::fs::read_to_string(d.join("id_ed25519.pub")).unwrap();
        std::fs::write(d.join("authorized_keys"), pubkey).unwrap();
        for _attempt in 0..5 {
            let port = free_port();
            let config = format!(
                "{extra}\nPort {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nAuthorizedKeysFile {ak}\n\
                 StrictModes no\nPidFile none\nUsePAM no\nPasswordAuthentication yes\n\
                 KbdInteractiveAuthentication no\nPermitRootLogin yes\nLogLevel ERROR\n\
                 Subsystem sftp internal-sftp\n",
                hk = d.join("host_ed25519").display(),
                ak = d.join("authorized_keys").display(),
            );
            let cfg = d.join("sshd_config");
            std::fs::write(&cfg, config).unwrap();
            // sshd's own messages go to a log in the temp dir (see `Sshd::log`).
            let log = std::fs::File::create(d.join("sshd.log")).expect("sshd.log");
            let mut child = Command::new(SSHD)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&cfg)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(log))
                .spawn()
                .expect("spawn sshd");
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut up = false;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // exited: port taken or bad config; retry
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    up = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if up {
                let known_hosts = d.join("known_hosts");
                return Sshd {
                    dir,
                    port,
                    client_key,
                    known_hosts,
                    child,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("sshd did not start");
    }

    /// Kills sshd and every session process it forked (a host going away mid-run).
    pub fn kill_all(&mut self) {
        let parent = self.child.id();
        let mut victims = vec![];
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for e in dir.flatten() {
                let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
                // pid (comm) state ppid …
                let after = stat.rsplit_once(") ").map(|x| x.1).unwrap_or("");
                let ppid: u32 = after
                    .split_whitespace()
                    .nth(1)
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0);
                if ppid == parent {
                    victims.push(pid);
                }
            }
        }
        for pid in victims {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What sshd logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// The server's host public key line (`ssh-ed25519 AAAA…`).
    pub fn host_pub(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("host_ed25519.pub")).unwrap()
    }

    /// A spec for root with the client key, checking off, no ssh config.
    pub fn spec(&self) -> ConnectSpec {
        let mut s = ConnectSpec::new("testhost", Transport::Ssh);
        s.address = "127.0.0.1".into();
        s.port = self.port;
        s.user = "root".into();
        s.private_keys = vec![self.client_key.clone()];
        s.host_key_checking = HostKeyChecking::Off;
        s.known_hosts = Some(self.known_hosts.clone());
        s.ssh_config = Some(PathBuf::from("/dev/null"));
        s.fallbacks = Fallbacks::default();
        s.timeout = Duration::from_secs(10);
        s
    }
}

static USER_SEQ: AtomicUsize = AtomicUsize::new(0);

/// A temporary local user with a password; removed (with any sudoers file) when dropped.
pub struct TempUser {
    pub name: String,
    pub password: String,
    sudoers: Option<PathBuf>,
}

impl TempUser {
    pub fn new() -> TempUser {
        let name = format!(
            "flk{}x{}",
            std::process::id(),
            USER_SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let password = format!("pw-{}-{}", name, rand_hex());
        // useradd takes a lock on /etc/passwd; parallel tests may collide: retry.
        let mut ok = false;
        for _ in 0..50 {
            let st = Command::new("useradd")
                .args(["-M", "-s", "/bin/sh", &name])
                .stderr(Stdio::null())
                .status()
                .expect("useradd");
            if st.success() {
                ok = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(ok, "useradd {name} failed");
        let user = TempUser {
            name,
            password,
            sudoers: None,
        };
        for _ in 0..50 {
            let mut c = Command::new("chpasswd")
                .stdin(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("chpasswd");
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(format!("{}:{}\n", user.name, user.password).as_bytes())
                .unwrap();
            if c.wait().unwrap().success() {
                return user;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chpasswd failed");
    }

    /// Lets the user run anything as anyone with sudo, asking for its password.
    pub fn allow_sudo(&mut self) {
        let path = PathBuf::from(format!("/etc/sudoers.d/{}", self.name));
        std::fs::write(&path, format!("{} ALL=(ALL:ALL) ALL\n", self.name)).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o440)).unwrap();
        self.sudoers = Some(path);
    }
}

impl Drop for TempUser {
    fn drop(&mut self) {
        if let Some(p) = &self.sudoers {
            let _ = std::fs::remove_file(p);
        }
        for _ in 0..50 {
            // -f: also while a session of the user is still closing.
            let st = Command::new("userdel")
                .arg("-f")
                .arg(&self.name)
                .stderr(Stdio::null())
                .status();
            if matches!(st, Ok(s) if s.success()) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn rand_hex() -> String {
    use std::time::SystemTime;
    let n = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}", n ^ (std::process::id() as u128) << 40)
}
