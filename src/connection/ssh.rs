//! SSH transport (russh): one TCP connection and SSH session per host, one channel per command.
//!
//! Opening: `~/.ssh/config` fills in HostName/Port/User/IdentityFile where the spec only has
//! fallbacks; TCP connect, handshake and authentication each run under the spec's timeout; the
//! host key is checked against known_hosts (strict, accept-new or off); authentication tries the
//! ssh-agent's keys, then private key files, then the password. Running: every command gets its
//! own session channel (at most [`MAX_SESSIONS`] at once, OpenSSH's default `MaxSessions`),
//! stdin is streamed, stdout/stderr/exit status are collected; keepalives detect dead peers.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, AuthResult};
use russh::keys::ssh_key::PublicKey;
use russh::keys::{Algorithm, HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect};
use tokio::sync::Semaphore;

use super::known_hosts::{self, Verdict};
use super::sudo::{Exchange, Input, SudoCommand};
use super::{shell_quote, Become, ConnectSpec, ConnectionError, ExecOutput, HostKeyChecking};

/// Concurrent channels per connection. OpenSSH's default `MaxSessions` is 10, and sshd frees
/// a session slot only after it processed our channel close, so a new channel opened right
/// after one ended can be refused at 10: keep two slots of headroom (refusals are retried).
pub(super) const MAX_SESSIONS: usize = 8;

/// Seconds between keepalives when the server is silent; 3 unanswered ones drop the connection.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// An open SSH connection.
pub(super) struct SshConnection {
    host: String,
    handle: client::Handle<Client>,
    sessions: Arc<Semaphore>,
    /// The remote agents (see `super::agent`), started on first use.
    agents: super::agent::Agents,
    /// Whether agents may be used (`ConnectSpec::agent`).
    agent: bool,
    /// Whether the agent may be uploaded (`ConnectSpec::agent_install`).
    agent_install: bool,
    timeout: Duration,
    /// The `ProxyJump` host's connection the session is tunnelled through (kept open).
    jump: Option<Box<SshConnection>>,
}

/// Where and how to connect, after `~/.ssh/config` was applied.
struct Target {
    address: String,
    port: u16,
    user: String,
    keys: Vec<PathBuf>,
    explicit_keys: bool,
    /// `ProxyJump` from the ssh config (first hop only): `[user@]host[:port]`.
    jump: Option<String>,
}

impl SshConnection {
    pub(super) async fn open(spec: &ConnectSpec) -> Result<Self, ConnectionError> {
        Self::open_hop(spec, true).await
    }

    /// Opens a connection; `may_jump` follows the config's `ProxyJump` (not for the jump host
    /// itself: one hop).
    async fn open_hop(spec: &ConnectSpec, may_jump: bool) -> Result<Self, ConnectionError> {
        let host = spec.inventory_name.clone();
        let target = resolve_target(spec);
        let connect_err = |msg: String| ConnectionError::Connect {
            host: host.clone(),
            msg,
        };
        let where_ = format!("{}:{}", target.address, target.port);
        match target.jump.as_deref().filter(|_| may_jump) {
            Some(jump) => {
                let jspec = jump_spec(spec, jump);
                let jconn = Box::pin(Self::open_hop(&jspec, false))
                    .await
                    .map_err(|e| connect_err(format!("via ProxyJump {jump}: {e}")))?;
                let channel = tokio::time::timeout(
                    spec.timeout,
                    jconn.handle.channel_open_direct_tcpip(
                        target.address.clone(),
                        u32::from(target.port),
                        "127.0.0.1",
                        0,
                    ),
                )
                .await
                .map_err(|_| connect_err(format!("{where_} via {jump}: timed out")))?
                .map_err(|e| {
                    connect_err(format!("{where_} via {jump}: the jump host refused: {e}"))
                })?;
                let mut conn =
                    Self::establish(spec, &target, channel.into_stream(), &where_).await?;
                conn.jump = Some(Box::new(jconn));
                Ok(conn)
            }
            None => {
                let socket = match tokio::time::timeout(
                    spec.timeout,
                    tokio::net::TcpStream::connect((target.address.as_str(), target.port)),
                )
                .await
                {
                    Err(_) => {
                        return Err(connect_err(format!(
                            "{where_}: connection timed out after {}s",
                            spec.timeout.as_secs_f32()
                        )))
                    }
                    Ok(Err(e)) => return Err(connect_err(format!("{where_}: {}", io_reason(&e)))),
                    Ok(Ok(s)) => s,
                };
                let _ = socket.set_nodelay(true);
                Self::establish(spec, &target, socket, &where_).await
            }
        }
    }

    /// SSH handshake, host key check and authentication over `stream`.
    async fn establish<S>(
        spec: &ConnectSpec,
        target: &Target,
        socket: S,
        where_: &str,
    ) -> Result<Self, ConnectionError>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let host = spec.inventory_name.clone();
        let connect_err = |msg: String| ConnectionError::Connect {
            host: host.clone(),
            msg,
        };

        let known_hosts_file = spec
            .known_hosts
            .clone()
            .unwrap_or_else(known_hosts::default_path);
        let entries = if spec.host_key_checking == HostKeyChecking::Off {
            Vec::new()
        } else {
            known_hosts::entries_for(&known_hosts_file, &target.address, target.port)
        };
        let mut preferred = russh::Preferred::default();
        if !entries.is_empty() {
            // Ask for the key types known_hosts has first, as OpenSSH does, so that a server with
            // several host keys proves the one we can check.
            let known =
                |a: &Algorithm| entries.iter().any(|e| same_key_type(&e.key.algorithm(), a));
            let mut keys: Vec<Algorithm> =
                preferred.key.iter().filter(|a| known(a)).cloned().collect();
            keys.extend(preferred.key.iter().filter(|a| !known(a)).cloned());
            preferred.key = Cow::Owned(keys);
        }
        let config = Arc::new(client::Config {
            keepalive_interval: Some(KEEPALIVE),
            keepalive_max: 3,
            nodelay: true,
            preferred,
            ..Default::default()
        });
        let verdict = Arc::new(Mutex::new(None));
        let handler = Client {
            host: host.clone(),
            address: target.address.clone(),
            port: target.port,
            policy: spec.host_key_checking,
            file: known_hosts_file,
            entries,
            verdict: verdict.clone(),
        };
        let mut handle = match tokio::time::timeout(
            spec.timeout,
            client::connect_stream(config, socket, handler),
        )
        .await
        {
            Err(_) => {
                return Err(connect_err(format!(
                    "{where_}: SSH handshake timed out after {}s",
                    spec.timeout.as_secs_f32()
                )))
            }
            Ok(Err(e)) => {
                if let Some(err) = verdict.lock().unwrap_or_else(|p| p.into_inner()).take() {
                    return Err(err);
                }
                return Err(connect_err(format!("{where_}: SSH handshake failed: {e}")));
            }
            Ok(Ok(h)) => h,
        };
        authenticate(&mut handle, spec, target).await?;
        Ok(Self {
            host,
            handle,
            sessions: Arc::new(Semaphore::new(MAX_SESSIONS)),
            agents: Default::default(),
            agent: spec.agent,
            agent_install: spec.agent_install,
            timeout: spec.timeout,
            jump: None,
        })
    }

    /// The inventory name of the host.
    pub(super) fn host_name(&self) -> &str {
        &self.host
    }

    /// Whether the remote agent may be used on this connection.
    pub(super) fn agent_enabled(&self) -> bool {
        self.agent
    }

    /// Whether the agent may be uploaded to the host when it has none.
    pub(super) fn agent_install(&self) -> bool {
        self.agent_install
    }

    /// This connection's agents.
    pub(super) fn agents(&self) -> &super::agent::Agents {
        &self.agents
    }

    /// The connect timeout, also used for starting the agent.
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A session slot held for as long as a long-lived channel (an agent's) is open.
    pub(super) async fn session_permit(
        &self,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, ConnectionError> {
        self.sessions
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ConnectionError::Lost {
                host: self.host.clone(),
                msg: "connection closed".into(),
            })
    }

    /// Runs `script` on its own session channel (sshd starts the login shell for it). The
    /// command carries a random `FLOCK_STOP=…` in its environment: when the run is interrupted,
    /// [`Self::stop_marked`] kills the processes (and their process groups) that have it.
    pub(super) async fn exec(
        &self,
        script: &str,
        become_: Option<&Become>,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, ConnectionError> {
        let mark = format!("FLOCK_STOP={:016x}", rand::random::<u64>());
        self.exec_session(script, become_, stdin, Some(&mark)).await
    }

    /// Kills, on the host, the processes whose environment holds `mark` and their process
    /// groups (sshd makes each session's command a process group leader; sudo passes signals
    /// on), with `sig`. Runs on its own session, as the login user.
    async fn stop_marked(&self, mark: &str, sig: nix::sys::signal::Signal) {
        let name = match sig {
            nix::sys::signal::Signal::SIGKILL => "KILL",
            _ => "TERM",
        };
        let script = format!(
            "for e in $(grep -lzx {mark} /proc/[0-9]*/environ 2>/dev/null); do \
             p=${{e#/proc/}}; p=${{p%/environ}}; kill -{name} -$p 2>/dev/null; kill -{name} $p 2>/dev/null; \
             done; exit 0"
        );
        let _ = Box::pin(self.exec_session(&script, None, None, None)).await;
    }

    /// [`Self::exec`]; `mark` (`FLOCK_STOP=…`) makes the command stoppable on interrupt.
    async fn exec_session(
        &self,
        script: &str,
        become_: Option<&Become>,
        stdin: Option<&[u8]>,
        mark: Option<&str>,
    ) -> Result<ExecOutput, ConnectionError> {
        let sudo = become_.map(|b| SudoCommand::new(script, b));
        let env = format!("env LANG=C LC_ALL=C {}", mark.unwrap_or(""));
        let command = match &sudo {
            Some(s) => format!("{env} {}", s.command),
            None => format!("{env} /bin/sh -c {}", shell_quote(script)),
        };
        let lost = |msg: String| ConnectionError::Lost {
            host: self.host.clone(),
            msg,
        };
        let _permit = self
            .sessions
            .acquire()
            .await
            .map_err(|_| lost("connection closed".into()))?;
        let channel = self.open_channel().await?;
        let (mut reader, writer) = channel.split();
        writer
            .exec(true, command.into_bytes())
            .await
            .map_err(|e| lost(format!("exec request failed: {e}")))?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Input>();
        let feeder = tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                match msg {
                    Input::Data(d) => {
                        if writer.data_bytes(d).await.is_err() {
                            break;
                        }
                    }
                    Input::Eof => {
                        let _ = writer.eof().await;
                        break;
                    }
                }
            }
            // Keep the write half alive until the command is done.
            while rx.recv().await.is_some() {}
        });
        let mut ex = Exchange::start(tx, stdin, sudo);
        let mut rc: Option<i32> = None;
        let mut refused = false;
        let mut stop = super::interrupt::Stopper::default();
        loop {
            let msg = tokio::select! {
                msg = reader.wait() => msg,
                sig = stop.next(), if mark.is_some() => {
                    let (Some(sig), Some(mark)) = (sig, mark) else { break };
                    // Not the SSH `signal` request: sshd refuses it for root logins.
                    self.stop_marked(mark, sig).await;
                    continue;
                }
            };
            let Some(msg) = msg else { break };
            match msg {
                ChannelMsg::Data { data } => ex.stdout(&data),
                ChannelMsg::ExtendedData { data, ext: 1 } => ex.stderr(&data),
                ChannelMsg::ExitStatus { exit_status } => rc = Some(exit_status as i32),
                ChannelMsg::ExitSignal { signal_name, .. } => {
                    rc = Some(-1);
                    ex.stderr(format!("killed by signal {signal_name:?}\n").as_bytes());
                }
                ChannelMsg::Failure => {
                    refused = true;
                    break;
                }
                ChannelMsg::Close => break,
                _ => {}
            }
        }
        drop(reader);
        feeder.abort();
        if stop.started() {
            return Err(ConnectionError::Interrupted {
                host: self.host.clone(),
            });
        }
        if refused {
            return Err(lost("the server refused to run the command".into()));
        }
        let Some(rc) = rc else {
            if self.handle.is_closed() {
                return Err(lost("connection closed while a command ran".into()));
            }
            return Err(lost("the command ended without an exit status".into()));
        };
        ex.finish(rc).map_err(|f| ConnectionError::Become {
            host: self.host.clone(),
            msg: f.0,
        })
    }

    /// Opens a session channel, retrying while the server is at its session limit.
    pub(super) async fn open_channel(
        &self,
    ) -> Result<russh::Channel<client::Msg>, ConnectionError> {
        let mut delay = Duration::from_millis(5);
        for attempt in 0.. {
            match self.handle.channel_open_session().await {
                Ok(c) => return Ok(c),
                Err(russh::Error::ChannelOpenFailure(reason)) if attempt < 40 => {
                    let _ = reason;
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_millis(200));
                }
                Err(e) => {
                    return Err(ConnectionError::Lost {
                        host: self.host.clone(),
                        msg: format!("cannot open a channel: {e}"),
                    })
                }
            }
        }
        unreachable!("the loop returns")
    }

    pub(super) async fn close(self) {
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await;
        if let Some(j) = self.jump {
            Box::pin(j.close()).await;
        }
    }
}

/// Applies `~/.ssh/config` (or the spec's file) where the spec has fallbacks.
fn resolve_target(spec: &ConnectSpec) -> Target {
    let mut t = Target {
        address: spec.address.clone(),
        port: spec.port,
        user: spec.user.clone(),
        keys: spec.private_keys.clone(),
        explicit_keys: !spec.private_keys.is_empty(),
        jump: None,
    };
    let path = spec
        .ssh_config
        .clone()
        .unwrap_or_else(|| known_hosts::home_dir().join(".ssh").join("config"));
    let mut config_keys = Vec::new();
    if let Some(params) = ssh_config_for(&path, &spec.address) {
        if spec.fallbacks.address {
            if let Some(h) = params.host_name {
                t.address = h.replace("%h", &spec.address);
            }
        }
        if spec.fallbacks.port {
            if let Some(p) = params.port {
                t.port = p;
            }
        }
        if spec.fallbacks.user {
            if let Some(u) = params.user {
                t.user = u;
            }
        }
        t.jump = params
            .proxy_jump
            .and_then(|j| j.into_iter().next())
            .filter(|j| !j.is_empty() && j != "none");
        for k in params.identity_file.unwrap_or_default() {
            config_keys.push(expand_tilde(&k));
        }
    }
    if !config_keys.is_empty() {
        t.explicit_keys = true;
        t.keys.extend(config_keys);
    }
    if t.keys.is_empty() {
        let ssh_dir = known_hosts::home_dir().join(".ssh");
        for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
            let p = ssh_dir.join(name);
            if p.exists() {
                t.keys.push(p);
            }
        }
    }
    t
}

/// The spec for the `ProxyJump` host `[user@]host[:port]` (or `ssh://[user@]host[:port]`):
/// same keys, passwords and host key policy; unspecified parts come from the ssh config.
fn jump_spec(spec: &ConnectSpec, jump: &str) -> ConnectSpec {
    let rest = jump.strip_prefix("ssh://").unwrap_or(jump);
    let (user, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.starts_with('[') => {
            (h.trim_matches(['[', ']']), p.parse::<u16>().ok())
        }
        _ => (hostport, None),
    };
    let mut j = spec.clone();
    j.inventory_name = format!("{} (jump host {host})", spec.inventory_name);
    j.address = host.to_string();
    j.port = port.unwrap_or(22);
    if let Some(u) = user {
        j.user = u.to_string();
    }
    j.fallbacks = super::Fallbacks {
        address: true,
        port: port.is_none(),
        user: user.is_none(),
    };
    j
}

fn ssh_config_for(path: &Path, host: &str) -> Option<ssh2_config::HostParams> {
    let file = std::fs::File::open(path).ok()?;
    let mut reader = std::io::BufReader::new(file);
    let rules = ssh2_config::ParseRule::ALLOW_UNKNOWN_FIELDS
        | ssh2_config::ParseRule::ALLOW_UNSUPPORTED_FIELDS;
    let config = ssh2_config::SshConfig::default()
        .parse(&mut reader, rules)
        .ok()?;
    Some(config.query(host))
}

fn expand_tilde(p: &Path) -> PathBuf {
    match p.to_str().and_then(|s| s.strip_prefix("~/")) {
        Some(rest) => known_hosts::home_dir().join(rest),
        None => p.to_path_buf(),
    }
}

/// Agent keys, then key files, then the password; the error lists what was tried.
async fn authenticate(
    handle: &mut client::Handle<Client>,
    spec: &ConnectSpec,
    target: &Target,
) -> Result<(), ConnectionError> {
    let host = &spec.inventory_name;
    let user = target.user.as_str();
    let auth_err = |msg: String| ConnectionError::Auth {
        host: host.clone(),
        user: user.to_string(),
        msg,
    };
    let step_timeout = spec.timeout.max(Duration::from_secs(5));
    let timed = |what: &str| {
        auth_err(format!(
            "{what}: no answer within {}s",
            step_timeout.as_secs_f32()
        ))
    };
    let mut tried: Vec<String> = Vec::new();
    let mut rsa_hash: Option<Option<HashAlg>> = None;

    // 1. ssh-agent.
    if let Some(sock) = std::env::var_os("SSH_AUTH_SOCK").filter(|s| !s.is_empty()) {
        if let Ok(mut agent) = russh::keys::agent::client::AgentClient::connect_uds(&sock).await {
            let ids = agent.request_identities().await.unwrap_or_default();
            for id in ids {
                let key = id.public_key().into_owned();
                let hash = rsa_hash_for(handle, &key.algorithm(), &mut rsa_hash).await;
                let res = tokio::time::timeout(
                    step_timeout,
                    handle.authenticate_publickey_with(user, key, hash, &mut agent),
                )
                .await
                .map_err(|_| timed("agent key"))?;
                match res {
                    Ok(r) if r.success() => return Ok(()),
                    Ok(_) => tried.push("an agent key (refused)".into()),
                    Err(e) => tried.push(format!("an agent key ({e})")),
                }
            }
        }
    }

    // 2. Private key files.
    for path in &target.keys {
        if !path.exists() {
            if target.explicit_keys {
                tried.push(format!("{} (not found)", path.display()));
            }
            continue;
        }
        let key = match russh::keys::load_secret_key(path, spec.key_passphrase.as_deref()) {
            Ok(k) => k,
            Err(russh::keys::Error::KeyIsEncrypted) => {
                tried.push(format!(
                    "{} (encrypted; no passphrase given)",
                    path.display()
                ));
                continue;
            }
            Err(e) => {
                let why = if spec.key_passphrase.is_some() {
                    format!("cannot decrypt or read it, wrong passphrase? {e}")
                } else {
                    format!("cannot read it: {e}")
                };
                tried.push(format!("{} ({why})", path.display()));
                continue;
            }
        };
        let hash = rsa_hash_for(handle, &key.algorithm(), &mut rsa_hash).await;
        let res = tokio::time::timeout(
            step_timeout,
            handle.authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash)),
        )
        .await
        .map_err(|_| timed("public key"))?
        .map_err(|e| auth_err(format!("public key {}: {e}", path.display())))?;
        if res.success() {
            return Ok(());
        }
        tried.push(format!("{} (refused)", path.display()));
    }

    // 3. Password (and keyboard-interactive with the same password).
    if let Some(pw) = &spec.password {
        let res =
            tokio::time::timeout(step_timeout, handle.authenticate_password(user, pw.clone()))
                .await
                .map_err(|_| timed("password"))?
                .map_err(|e| auth_err(format!("password: {e}")))?;
        match res {
            AuthResult::Success => return Ok(()),
            AuthResult::Failure {
                remaining_methods, ..
            } => {
                let ki = remaining_methods
                    .iter()
                    .any(|m| matches!(m, russh::MethodKind::KeyboardInteractive));
                if ki
                    && tokio::time::timeout(step_timeout, keyboard_interactive(handle, user, pw))
                        .await
                        .map_err(|_| timed("keyboard-interactive"))?
                {
                    return Ok(());
                }
                tried.push("password (refused)".into());
            }
        }
    }
    if tried.is_empty() {
        return Err(auth_err(
            "no credentials: no ssh-agent key, no private key file (~/.ssh/id_ed25519, \
             ~/.ssh/id_rsa, --private-key) and no password"
                .into(),
        ));
    }
    Err(auth_err(format!("tried {}", tried.join(", "))))
}

async fn keyboard_interactive(handle: &mut client::Handle<Client>, user: &str, pw: &str) -> bool {
    use russh::client::KeyboardInteractiveAuthResponse as R;
    let mut resp = match handle
        .authenticate_keyboard_interactive_start(user, None::<String>)
        .await
    {
        Ok(r) => r,
        Err(_) => return false,
    };
    for _ in 0..5 {
        match resp {
            R::Success => return true,
            R::Failure { .. } => return false,
            R::InfoRequest { prompts, .. } => {
                let answers = prompts
                    .iter()
                    .map(|p| {
                        if p.echo {
                            String::new()
                        } else {
                            pw.to_string()
                        }
                    })
                    .collect();
                resp = match handle
                    .authenticate_keyboard_interactive_respond(answers)
                    .await
                {
                    Ok(r) => r,
                    Err(_) => return false,
                };
            }
        }
    }
    false
}

/// The signature hash for a key of algorithm `alg`: for RSA the best the server accepts
/// (asked once, cached), nothing for other key types.
async fn rsa_hash_for(
    handle: &client::Handle<Client>,
    alg: &Algorithm,
    cache: &mut Option<Option<HashAlg>>,
) -> Option<HashAlg> {
    if !matches!(alg, Algorithm::Rsa { .. }) {
        return None;
    }
    if let Some(h) = cache {
        return *h;
    }
    let h = handle
        .best_supported_rsa_hash()
        .await
        .ok()
        .flatten()
        .flatten();
    *cache = Some(h);
    h
}

/// `ssh-rsa` keys sign with `rsa-sha2-*`: all RSA algorithms are one key type.
fn same_key_type(a: &Algorithm, b: &Algorithm) -> bool {
    (matches!(a, Algorithm::Rsa { .. }) && matches!(b, Algorithm::Rsa { .. })) || a == b
}

fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "connection refused".into(),
        K::TimedOut => "connection timed out".into(),
        K::HostUnreachable => "no route to host".into(),
        K::NetworkUnreachable => "network is unreachable".into(),
        _ => {
            let s = e.to_string();
            if s.contains("failed to lookup address") || s.contains("Name or service not known") {
                format!("could not resolve the host name ({s})")
            } else {
                s
            }
        }
    }
}

/// The russh event handler: checks the server's host key.
struct Client {
    host: String,
    address: String,
    port: u16,
    policy: HostKeyChecking,
    file: PathBuf,
    entries: Vec<known_hosts::Entry>,
    verdict: Arc<Mutex<Option<ConnectionError>>>,
}

impl Client {
    fn refuse(&self, msg: String) -> bool {
        *self.verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(ConnectionError::HostKey {
            host: self.host.clone(),
            msg,
        });
        false
    }

    fn check(&self, key: &PublicKey) -> bool {
        if self.policy == HostKeyChecking::Off {
            return true;
        }
        let name = known_hosts::host_port(&self.address, self.port);
        let file = self.file.display();
        let fp = key.fingerprint(HashAlg::Sha256);
        match known_hosts::verdict(&self.entries, key) {
            Verdict::Known => true,
            Verdict::Changed(line) => self.refuse(format!(
                "the {} key of {name} ({fp}) differs from the one recorded at {file}:{line} \
                 (possible man-in-the-middle attack; remove that line if the host was reinstalled)",
                key.algorithm().as_str()
            )),
            Verdict::OtherType(line) => self.refuse(format!(
                "{name} offered a {} key ({fp}) but {file}:{line} records a different key type",
                key.algorithm().as_str()
            )),
            Verdict::Revoked(line) => self.refuse(format!(
                "the key of {name} ({fp}) is marked @revoked at {file}:{line}"
            )),
            Verdict::Unknown if self.policy == HostKeyChecking::Strict => self.refuse(format!(
                "{name} is not in {file} and host key checking is strict ({} key {fp})",
                key.algorithm().as_str()
            )),
            Verdict::Unknown => {
                match known_hosts::append(&self.file, &self.address, self.port, key) {
                    Ok(()) => true,
                    Err(e) => self.refuse(format!("cannot add {name} to {file}: {e}")),
                }
            }
        }
    }
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(self.check(&server_public_key.public_key()))
    }
}
