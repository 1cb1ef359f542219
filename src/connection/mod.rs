//! Connections to managed hosts: SSH (russh, one persistent connection per host), local and chroot.
//!
//! Every connection offers the same small set of operations ([`Connection`]): run a shell command
//! (optionally with privilege escalation and stdin), and read and write files. Modules build on
//! these through [`crate::modules::Remote`], never on raw transport details.

use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

pub use crate::agent::proto::{Frame, PathStat, ProbeSpec, Request, Response};
pub use stream::{WriteSource, CHUNK as WRITE_CHUNK};

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
#[derive(Clone, Default)]
pub struct Become {
    /// Target user (default root).
    pub user: String,
    /// Password for sudo, if one is needed. Never printed.
    pub password: Option<String>,
}

impl Become {
    /// The user to become: `user`, or root when none is named.
    pub fn target_user(&self) -> &str {
        if self.user.is_empty() {
            "root"
        } else {
            &self.user
        }
    }
}

impl std::fmt::Debug for Become {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Become")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// Everything needed to open a connection to one host.
#[derive(Clone)]
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
    /// Connect timeout (TCP connect, handshake and each authentication step).
    pub timeout: Duration,
    /// Passphrase for encrypted private key files. Never printed.
    pub key_passphrase: Option<String>,
    /// known_hosts file to check and extend (`None`: `~/.ssh/known_hosts`).
    pub known_hosts: Option<PathBuf>,
    /// ssh client configuration (`None`: `~/.ssh/config` when it exists).
    pub ssh_config: Option<PathBuf>,
    /// Which of `address`, `port`, `user` are fallbacks (nothing in the inventory, play or
    /// command line set them), so that `~/.ssh/config`'s HostName, Port and User win.
    pub fallbacks: Fallbacks,
    /// Use the remote agent (`flock --flock-agent`) where it can run; default on unless
    /// `FLOCK_AGENT=0`.
    pub agent: bool,
    /// Upload the agent to `~/.flock/agent/` when the host has no usable copy; off in
    /// `--check` runs, which leave hosts unchanged (they use a visible copy or plain sessions).
    pub agent_install: bool,
}

/// Marks the fields of a [`ConnectSpec`] that hold fallback values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fallbacks {
    /// `address` is just the inventory name (no `ansible_ssh_host`/`ansible_host`).
    pub address: bool,
    /// `port` is just 22 (no `ansible_ssh_port`/`ansible_port`).
    pub port: bool,
    /// `user` is just the local user (no `ansible_ssh_user`, `user:`/`remote_user:`, `-u`).
    pub user: bool,
}

impl ConnectSpec {
    /// A spec for `inventory_name` over `transport` with defaults: address = name, port 22,
    /// the local user (all three marked as fallbacks), default keys, host key checking
    /// `AcceptNew`, 10 s timeout.
    pub fn new(inventory_name: &str, transport: Transport) -> Self {
        Self {
            inventory_name: inventory_name.to_string(),
            transport,
            address: inventory_name.to_string(),
            port: 22,
            user: std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| "root".into()),
            private_keys: Vec::new(),
            password: None,
            host_key_checking: HostKeyChecking::AcceptNew,
            timeout: Duration::from_secs(10),
            key_passphrase: None,
            known_hosts: None,
            ssh_config: None,
            fallbacks: Fallbacks {
                address: true,
                port: true,
                user: true,
            },
            agent: agent_enabled_by_default(),
            agent_install: true,
        }
    }
}

impl std::fmt::Debug for ConnectSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |o: &Option<String>| o.as_ref().map(|_| "<hidden>");
        f.debug_struct("ConnectSpec")
            .field("inventory_name", &self.inventory_name)
            .field("transport", &self.transport)
            .field("address", &self.address)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("private_keys", &self.private_keys)
            .field("password", &hidden(&self.password))
            .field("host_key_checking", &self.host_key_checking)
            .field("timeout", &self.timeout)
            .field("key_passphrase", &hidden(&self.key_passphrase))
            .field("known_hosts", &self.known_hosts)
            .field("ssh_config", &self.ssh_config)
            .field("fallbacks", &self.fallbacks)
            .field("agent", &self.agent)
            .field("agent_install", &self.agent_install)
            .finish()
    }
}

/// What to do with the server's host key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKeyChecking {
    /// Must match `~/.ssh/known_hosts`; unknown hosts are refused.
    Strict,
    /// Unknown hosts are added, changed keys are refused (OpenSSH's `accept-new`): the default
    /// for every dialect.
    AcceptNew,
    /// No checking (Ansible's `host_key_checking = False`; what 1.2's paramiko and ssh
    /// connections did). Only when asked for.
    Off,
}

impl HostKeyChecking {
    /// The policy for a `--host-key-checking` value or `ANSIBLE_HOST_KEY_CHECKING` setting:
    /// `yes`/`true`/`strict`, `accept-new`, `no`/`false`/`off` (any case, as Ansible's
    /// booleans). Anything else is an error, so a typo never turns checking off.
    pub fn from_setting(value: &str) -> Result<HostKeyChecking, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "t" | "on" | "1" | "strict" => Ok(HostKeyChecking::Strict),
            "accept-new" | "accept_new" => Ok(HostKeyChecking::AcceptNew),
            "no" | "n" | "false" | "f" | "off" | "0" => Ok(HostKeyChecking::Off),
            _ => Err(format!(
                "host key checking: expected yes, accept-new or no, got {value:?}"
            )),
        }
    }

    /// The policy asked for by `flag` (`--host-key-checking`), else by the environment
    /// variable `ANSIBLE_HOST_KEY_CHECKING`, else `AcceptNew`.
    pub fn configured(flag: Option<&str>) -> Result<HostKeyChecking, String> {
        let env = std::env::var("ANSIBLE_HOST_KEY_CHECKING").ok();
        match flag.or(env.as_deref().filter(|v| !v.trim().is_empty())) {
            Some(v) => HostKeyChecking::from_setting(v),
            None => Ok(HostKeyChecking::AcceptNew),
        }
    }
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

/// Why a connection or a transfer failed. All of these make the host *unreachable* (as in
/// Ansible 1.2, where an incorrect sudo password did too).
#[derive(Debug, Error)]
pub enum ConnectionError {
    /// TCP connect, handshake or timeout failure: connection refused, no route, timed out.
    /// An earlier failure to open this host's connection, remembered for the rest of the run.
    #[error("{0}")]
    Remembered(String),
    #[error("failed to connect to {host}: {msg}")]
    Connect { host: String, msg: String },
    /// Authentication was refused.
    #[error("authentication failed for {user}@{host}: {msg}")]
    Auth {
        host: String,
        user: String,
        msg: String,
    },
    /// The host key is not accepted: it differs from known_hosts (`msg` names file:line), is
    /// revoked, or is unknown under strict checking.
    #[error("host key verification failed for {host}: {msg}; refusing to connect")]
    HostKey { host: String, msg: String },
    /// sudo did not accept the password (or asked for one that was not given).
    #[error("privilege escalation failed on {host}: {msg}")]
    Become { host: String, msg: String },
    /// The channel or transport broke mid-command.
    #[error("connection to {host} lost: {msg}")]
    Lost { host: String, msg: String },
    /// A local I/O error (local and chroot connections).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The run was interrupted (SIGINT/SIGTERM): the command was stopped on the host.
    #[error("interrupted: the command on {host} was stopped")]
    Interrupted { host: String },
}

mod agent;
pub mod interrupt;
mod known_hosts;
mod local;
mod ssh;
mod stream;
mod sudo;

/// An open connection to one host. Cheap to share (`&Connection`, `Arc<Connection>`) between
/// concurrent commands: an SSH connection multiplexes channels over one TCP connection.
pub struct Connection {
    host: String,
    inner: Inner,
}

enum Inner {
    Local(local::LocalConnection),
    Ssh(Box<ssh::SshConnection>),
}

impl Connection {
    /// Opens a connection as described by `spec`.
    pub async fn open(spec: &ConnectSpec) -> Result<Connection, ConnectionError> {
        let inner = match spec.transport {
            Transport::Local => Inner::Local(local::LocalConnection::new(None)),
            Transport::Chroot => Inner::Local(local::LocalConnection::new(Some(
                spec.inventory_name.clone().into(),
            ))),
            Transport::Ssh => Inner::Ssh(Box::new(ssh::SshConnection::open(spec).await?)),
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
        if interrupt::is_set() {
            return Err(self.interrupted());
        }
        let script = &interrupt::stoppable(script);
        if let Inner::Local(c) = &self.inner {
            // A child process of ours: stopped on interrupt with its process group.
            return c.exec(&self.host, script, become_, stdin).await;
        }
        let req = Request::Exec {
            script: script.to_string(),
        };
        let blobs: Vec<&[u8]> = stdin.into_iter().collect();
        if let Some(mut frame) = self.agent_call(&req, &blobs, become_).await? {
            return match frame.parse::<Response>() {
                Ok(Response::Exec { rc }) => Ok(ExecOutput {
                    rc,
                    stdout: frame.take_blob(0),
                    stderr: frame.take_blob(1),
                }),
                other => Err(self.unexpected(other)),
            };
        }
        match &self.inner {
            Inner::Local(c) => c.exec(&self.host, script, become_, stdin).await,
            Inner::Ssh(c) => c.exec(script, become_, stdin).await,
        }
    }

    /// Sends `req` (with its `blobs`) to the host's agent for `become_` and returns the
    /// response frame; `None` when no agent serves this host and privilege (the caller then
    /// uses [`Connection::exec`] with a script). A local connection (no chroot, no sudo)
    /// answers in process.
    pub async fn agent_call(
        &self,
        req: &Request,
        blobs: &[&[u8]],
        become_: Option<&Become>,
    ) -> Result<Option<Frame>, ConnectionError> {
        if interrupt::is_set() {
            return Err(self.interrupted());
        }
        match &self.inner {
            Inner::Ssh(c) => c.agent_call(req, blobs, become_).await,
            Inner::Local(c) if c.in_process() && become_.is_none() => {
                let request = Frame::new(req, blobs);
                let reply = tokio::task::spawn_blocking(move || {
                    let out = crate::agent::handle(request);
                    crate::agent::proto::decode_body(&out[4..])
                })
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))?;
                reply.map(Some).map_err(|msg| ConnectionError::Lost {
                    host: self.host.clone(),
                    msg,
                })
            }
            Inner::Local(_) => Ok(None),
        }
    }

    /// Writes `source` to `path` through the host's agent for `become_` in chunks
    /// ([`WRITE_CHUNK`] bytes each), `begin` being the `Request::WriteBegin` with the file's
    /// attributes; the answer is the commit's `Response::Write`. `None` when no agent serves
    /// this host and privilege (the caller then writes with a script).
    pub async fn agent_write_stream(
        &self,
        begin: &Request,
        path: &str,
        source: WriteSource<'_>,
        sha1: bool,
        become_: Option<&Become>,
    ) -> Result<Option<Frame>, ConnectionError> {
        if interrupt::is_set() {
            return Err(self.interrupted());
        }
        match &self.inner {
            Inner::Ssh(c) => {
                c.agent_write_stream(begin, path, source, sha1, become_)
                    .await
            }
            Inner::Local(c) if c.in_process() && become_.is_none() => {
                stream::write_stream(&mut stream::InProcess, begin, path, source, sha1)
                    .await
                    .map(Some)
                    .map_err(|msg| ConnectionError::Lost {
                        host: self.host.clone(),
                        msg,
                    })
            }
            Inner::Local(_) => Ok(None),
        }
    }

    /// The error for an operation stopped (or not started) because the run was interrupted.
    pub fn interrupted(&self) -> ConnectionError {
        ConnectionError::Interrupted {
            host: self.host.clone(),
        }
    }

    /// The error for an agent response of the wrong kind.
    pub fn unexpected(&self, got: Result<Response, String>) -> ConnectionError {
        ConnectionError::Lost {
            host: self.host.clone(),
            msg: format!("agent: unexpected response {got:?}"),
        }
    }

    /// Closes the connection (an SSH connection says goodbye to the server).
    pub async fn close(self) {
        if let Inner::Ssh(c) = self.inner {
            c.close().await;
        }
    }
}

pub use agent::enabled_by_default as agent_enabled_by_default;

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

/// Wraps `script` so that it runs as `become_.user` through sudo: `sudo -n` without a password;
/// with one, `sudo -S` with a unique prompt (`[flock-sudo-…]`) that [`Connection::exec`] answers
/// on stdin. The password itself is never part of the command line.
pub fn sudo_wrap(script: &str, become_: &Become) -> String {
    sudo::SudoCommand::new(script, become_).command
}

#[cfg(test)]
mod tests {
    use super::HostKeyChecking;

    #[test]
    fn host_key_settings() {
        assert_eq!(
            HostKeyChecking::from_setting("False"),
            Ok(HostKeyChecking::Off)
        );
        assert_eq!(
            HostKeyChecking::from_setting("yes"),
            Ok(HostKeyChecking::Strict)
        );
        assert_eq!(
            HostKeyChecking::from_setting("accept-new"),
            Ok(HostKeyChecking::AcceptNew)
        );
        assert!(HostKeyChecking::from_setting("nope").is_err());
    }
}
