//! Connections to managed hosts: SSH (russh, one persistent connection per host), local and chroot.
//!
//! Every connection offers the same small set of operations ([`Connection`]): run a shell command
//! (optionally with privilege escalation and stdin), and read and write files. Modules build on
//! these through [`crate::modules::Remote`], never on raw transport details.

use std::time::Duration;

use thiserror::Error;

/// How a host is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// SSH via russh.
    Ssh,
    /// Commands run on the controller itself.
    Local,
    /// Commands run via `chroot DIR /bin/sh -c` on the controller; the host name is the directory.
    Chroot,
}

/// Privilege escalation for one command (`sudo`/`become`).
#[derive(Clone, Debug, Default)]
pub struct Become {
    /// Target user (default root).
    pub user: String,
    /// Password for sudo, if one is needed. Never printed.
    pub password: Option<String>,
}

/// Everything needed to open a connection to one host.
#[derive(Clone, Debug)]
pub struct ConnectSpec {
    /// Inventory name of the host.
    pub inventory_name: String,
    /// How to reach it.
    pub transport: Transport,
    /// Address to contact (`ansible_ssh_host`/`ansible_host`, or the name).
    pub address: String,
    /// SSH port.
    pub port: u16,
    /// Remote login user.
    pub user: String,
    /// Private key files to try, in order.
    pub private_keys: Vec<std::path::PathBuf>,
    /// Password for password authentication (`-k`, `ansible_ssh_pass`).
    pub password: Option<String>,
    /// Host key policy.
    pub host_key_checking: HostKeyChecking,
    /// Connect timeout.
    pub timeout: Duration,
}

/// What to do with the server's host key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKeyChecking {
    /// Must match `~/.ssh/known_hosts`; unknown hosts are refused.
    Strict,
    /// Unknown hosts are added, changed keys are refused.
    AcceptNew,
    /// No checking (Ansible's `host_key_checking = False`; what 1.2 did).
    Off,
}

/// Output of one remote command.
#[derive(Clone, Debug, Default)]
pub struct ExecOutput {
    /// Exit status (-1 when killed by a signal).
    pub rc: i32,
    /// Captured standard output.
    pub stdout: Vec<u8>,
    /// Captured standard error.
    pub stderr: Vec<u8>,
}

impl ExecOutput {
    /// Standard output as (lossy) UTF-8.
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    /// Standard error as (lossy) UTF-8.
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Why a connection or a transfer failed. All of these make the host *unreachable*.
#[derive(Debug, Error)]
pub enum ConnectionError {
    /// TCP connect, handshake or timeout failure.
    #[error("failed to connect to {host}: {msg}")]
    Connect { host: String, msg: String },
    /// Authentication was refused.
    #[error("authentication failed for {user}@{host}: {msg}")]
    Auth {
        host: String,
        user: String,
        msg: String,
    },
    /// The host key did not match known_hosts.
    #[error("host key for {host} does not match known_hosts ({msg}); refusing to connect")]
    HostKey { host: String, msg: String },
    /// The channel or transport broke mid-command.
    #[error("connection to {host} lost: {msg}")]
    Lost { host: String, msg: String },
    /// A local I/O error (local and chroot connections).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

mod local;

/// An open connection to one host. Cheap to share (`&Connection`) between concurrent commands:
/// an SSH connection multiplexes channels.
pub struct Connection {
    host: String,
    inner: Inner,
}

enum Inner {
    Local(local::LocalConnection),
}

impl Connection {
    /// Opens a connection as described by `spec`.
    pub async fn open(spec: &ConnectSpec) -> Result<Connection, ConnectionError> {
        let inner = match spec.transport {
            Transport::Local => Inner::Local(local::LocalConnection::new(None)),
            Transport::Chroot => Inner::Local(local::LocalConnection::new(Some(
                spec.inventory_name.clone().into(),
            ))),
            Transport::Ssh => {
                return Err(ConnectionError::Connect {
                    host: spec.inventory_name.clone(),
                    msg: "ssh transport not implemented yet".into(),
                })
            }
        };
        Ok(Connection {
            host: spec.inventory_name.clone(),
            inner,
        })
    }

    /// The inventory name of the host this connection reaches.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Runs `script` with `/bin/sh -c` on the host, as the login user or, with `become`, as
    /// another user via sudo. `stdin` is fed to the command and then closed.
    pub async fn exec(
        &self,
        script: &str,
        become_: Option<&Become>,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, ConnectionError> {
        match &self.inner {
            Inner::Local(c) => c.exec(script, become_, stdin).await,
        }
    }

    /// Closes the connection.
    pub async fn close(self) {}
}

/// Quotes `s` for a POSIX shell (single quotes; embedded `'` as `'\''`).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./-_".contains(&b))
    {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for ch in s.chars() {
        if ch == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(ch);
        }
    }
    out.push('\'');
    out
}

/// Wraps `script` so that it runs as `become_.user` through sudo (non-interactive when no
/// password is set; with a password, sudo reads it from the first line of stdin).
pub fn sudo_wrap(script: &str, become_: &Become) -> String {
    let user = if become_.user.is_empty() {
        "root"
    } else {
        &become_.user
    };
    let flags = if become_.password.is_some() {
        "-S -p ''"
    } else {
        "-n"
    };
    format!(
        "sudo -H {flags} -u {} /bin/sh -c {}",
        shell_quote(user),
        shell_quote(script)
    )
}
