//! The controller's side of the remote agent (`flock --flock-agent`, see [`crate::agent`]).
//!
//! Per host and privilege, the first operation starts the agent on one long-lived SSH channel:
//! the host runs the cached copy `~/.flock/agent/flock-ID` or, when the host sees the controller's
//! own binary at the same path (a shared filesystem: NFS homes, lab overlays), that binary; the
//! agent checks it is the binary named by ID (version, size, mtime) and owned safely. When neither
//! is there, the controller uploads itself once (same architecture only) and starts again. After
//! that, every operation is one framed request and response on the open channel: no sshd session,
//! no login shell, no process spawn for probes and writes. A host where the agent cannot start
//! (other architecture, sudo asking for a password, `FLOCK_AGENT=0`) gets the plain per-command
//! path instead.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use russh::client;
use russh::ChannelMsg;
use tokio::sync::Mutex;

use crate::agent::proto::{self, Frame, Request};

use super::{shell_quote, Become, ConnectionError};

/// Whether the remote agent is used unless a spec says otherwise (`FLOCK_AGENT=0` turns it off).
pub fn enabled_by_default() -> bool {
    std::env::var("FLOCK_AGENT").map_or(true, |v| v != "0" && v != "no" && v != "false")
}

/// The running binary: where it is and the ID the agent checks itself against.
struct SelfExe {
    path: String,
    id: String,
}

fn self_exe() -> Option<&'static SelfExe> {
    static EXE: OnceLock<Option<SelfExe>> = OnceLock::new();
    EXE.get_or_init(|| {
        let path = std::env::current_exe().ok()?;
        let meta = std::fs::metadata(&path).ok()?;
        Some(SelfExe {
            path: path.to_str()?.to_string(),
            id: crate::agent::binary_id(meta.len(), meta.mtime()),
        })
    })
    .as_ref()
}

/// The agents of one SSH connection, by privilege.
#[derive(Default)]
pub(super) struct Agents {
    slots: Mutex<HashMap<String, Slot>>,
}

#[derive(Clone)]
enum Slot {
    Unavailable,
    Ready(Arc<Mutex<AgentChannel>>),
}

/// One agent's channel.
pub(super) struct AgentChannel {
    reader: russh::ChannelReadHalf,
    writer: russh::ChannelWriteHalf<client::Msg>,
    buf: Vec<u8>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

/// The key of an agent: `""` for the login user, `sudo:USER` for passwordless sudo; `None` when
/// no agent can serve this privilege (sudo with a password).
fn slot_key(become_: Option<&Become>) -> Option<String> {
    match become_ {
        None => Some(String::new()),
        Some(b) if b.password.is_none() => Some(format!("sudo:{}", b.target_user())),
        Some(_) => None,
    }
}

/// What the start command saw.
enum Start {
    Ready(AgentChannel),
    /// No usable binary; the host's `uname -m`.
    Missing(String),
    Failed,
}

impl super::ssh::SshConnection {
    /// Sends `req` (with `blobs`) to the agent for `become_`, starting it on first use; `None`
    /// when no agent serves this host and privilege.
    pub(super) async fn agent_call(
        &self,
        req: &Request,
        blobs: &[&[u8]],
        become_: Option<&Become>,
    ) -> Result<Option<Frame>, ConnectionError> {
        let Some(agent) = self.agent_for(become_).await? else {
            return Ok(None);
        };
        // The agent answers one request at a time; a concurrent operation on the same host
        // (async tasks, parallel loops) takes its own session instead of waiting.
        let Ok(mut chan) = agent.try_lock() else {
            return Ok(None);
        };
        let host = self.host_name().to_string();
        chan.call(&proto::encode(req, blobs))
            .await
            .map(Some)
            .map_err(|msg| match super::interrupt::is_set() {
                true => ConnectionError::Interrupted { host },
                false => ConnectionError::Lost {
                    host,
                    msg: format!("agent: {msg}"),
                },
            })
    }

    /// [`super::Connection::agent_write_stream`] on this host's agent, held for the whole
    /// sequence (a concurrent operation takes its own session meanwhile).
    pub(super) async fn agent_write_stream(
        &self,
        begin: &Request,
        path: &str,
        source: super::stream::WriteSource<'_>,
        sha1: bool,
        become_: Option<&Become>,
    ) -> Result<Option<Frame>, ConnectionError> {
        let Some(agent) = self.agent_for(become_).await? else {
            return Ok(None);
        };
        let Ok(mut chan) = agent.try_lock() else {
            return Ok(None);
        };
        let host = self.host_name().to_string();
        super::stream::write_stream(&mut *chan, begin, path, source, sha1)
            .await
            .map(Some)
            .map_err(|msg| match super::interrupt::is_set() {
                true => ConnectionError::Interrupted { host },
                false => ConnectionError::Lost {
                    host,
                    msg: format!("agent: {msg}"),
                },
            })
    }

    async fn agent_for(
        &self,
        become_: Option<&Become>,
    ) -> Result<Option<Arc<Mutex<AgentChannel>>>, ConnectionError> {
        if !self.agent_enabled() {
            return Ok(None);
        }
        let (Some(key), Some(exe)) = (slot_key(become_), self_exe()) else {
            return Ok(None);
        };
        let mut slots = self.agents().slots.lock().await;
        if let Some(slot) = slots.get(&key) {
            return Ok(match slot {
                Slot::Ready(a) => Some(a.clone()),
                Slot::Unavailable => None,
            });
        }
        let slot = match self.start_agent(exe, become_).await? {
            Some(chan) => Slot::Ready(Arc::new(Mutex::new(chan))),
            None => Slot::Unavailable,
        };
        slots.insert(key, slot.clone());
        Ok(match slot {
            Slot::Ready(a) => Some(a),
            Slot::Unavailable => None,
        })
    }

    /// Starts the agent, uploading the binary when the host has none (once).
    async fn start_agent(
        &self,
        exe: &SelfExe,
        become_: Option<&Become>,
    ) -> Result<Option<AgentChannel>, ConnectionError> {
        match self.try_start(exe, become_, true).await? {
            Start::Ready(c) => return Ok(Some(c)),
            Start::Failed => return Ok(None),
            Start::Missing(arch) if arch.trim() != std::env::consts::ARCH => return Ok(None),
            // `--check`: nothing is written on the host, not even the agent.
            Start::Missing(_) if !self.agent_install() => return Ok(None),
            Start::Missing(_) => {}
        }
        if !self.upload_self(exe).await? {
            return Ok(None);
        }
        Ok(match self.try_start(exe, become_, false).await? {
            Start::Ready(c) => Some(c),
            _ => None,
        })
    }

    async fn try_start(
        &self,
        exe: &SelfExe,
        become_: Option<&Become>,
        shared: bool,
    ) -> Result<Start, ConnectionError> {
        let id = &exe.id;
        let mut candidates = format!("\"$HOME/.flock/agent/flock-{id}\"");
        if shared {
            candidates.push(' ');
            candidates.push_str(&shell_quote(&exe.path));
        }
        let run = match become_ {
            None => "exec \"$a\" --flock-agent \"$id\"".to_string(),
            Some(b) => format!(
                "exec sudo -H -n -u {} -- \"$a\" --flock-agent \"$id\"",
                shell_quote(b.target_user())
            ),
        };
        // The login shell runs this POSIX script directly (no `env`/`sh` in between); a shell that
        // can't (csh, fish) makes the start fail, and the host gets the per-command path.
        let script = format!(
            "id={id}; for a in {candidates}; do [ -x \"$a\" ] && {run}; done; \
             echo \"FLOCK-AGENT-MISSING $(uname -m)\""
        );
        let permit = self.session_permit().await?;
        let channel = self.open_channel().await?;
        let (mut reader, writer) = channel.split();
        if writer.exec(true, script.into_bytes()).await.is_err() {
            return Ok(Start::Failed);
        }
        // The first line decides: the agent's hello, the script's "missing", or the agent's
        // "mismatch" (another binary at that path: upload ours, as when missing).
        let mut buf = Vec::new();
        let deadline = tokio::time::Instant::now() + self.timeout().max(Duration::from_secs(5));
        loop {
            if let Some(nl) = buf.iter().position(|&b| b == b'\n') {
                let line = &buf[..=nl];
                if line == proto::HELLO {
                    buf.drain(..=nl);
                    return Ok(Start::Ready(AgentChannel {
                        reader,
                        writer,
                        buf,
                        _permit: permit,
                    }));
                }
                return Ok(match line.strip_prefix(b"FLOCK-AGENT-MISSING ") {
                    Some(arch) => Start::Missing(String::from_utf8_lossy(arch).into_owned()),
                    None if line.starts_with(b"FLOCK-AGENT-MISMATCH") => {
                        Start::Missing(std::env::consts::ARCH.into())
                    }
                    None => Start::Failed,
                });
            }
            match tokio::time::timeout_at(deadline, reader.wait()).await {
                Ok(Some(ChannelMsg::Data { data })) => buf.extend_from_slice(&data),
                Ok(Some(ChannelMsg::Eof | ChannelMsg::Close | ChannelMsg::ExitStatus { .. }))
                | Ok(None)
                | Err(_) => return Ok(Start::Failed),
                Ok(Some(_)) => {}
            }
        }
    }

    /// Copies the running binary to `~/.flock/agent/flock-ID` (mode 0700, the binary's mtime, so
    /// that the agent recognises itself), atomically, streamed in chunks (the binary is never
    /// held in memory whole). `false` when the host refused.
    async fn upload_self(&self, exe: &SelfExe) -> Result<bool, ConnectionError> {
        use tokio::io::AsyncReadExt;
        let Ok(mut file) = tokio::fs::File::open(&exe.path).await else {
            return Ok(false);
        };
        let Ok(meta) = file.metadata().await else {
            return Ok(false);
        };
        let id = &exe.id;
        let script = format!(
            "set -e; umask 077; d=\"$HOME/.flock/agent\"; mkdir -p \"$d\"; \
             for o in \"$d\"/flock-*; do [ \"$o\" = \"$d/flock-{id}\" ] || rm -f \"$o\"; done; \
             t=$(mktemp \"$d/.up.XXXXXX\"); trap 'rm -f \"$t\"' EXIT; cat > \"$t\"; \
             [ \"$(wc -c < \"$t\")\" -eq {size} ]; chmod 700 \"$t\"; \
             touch -m -d @{mtime} \"$t\"; mv -f \"$t\" \"$d/flock-{id}\"; trap - EXIT",
            mtime = meta.mtime(),
            size = meta.len()
        );
        // A cut upload (interrupt, lost connection) fails the size check and leaves nothing.
        let script = super::interrupt::stoppable(&script);
        let command = format!("/bin/sh -c {}", shell_quote(&script));
        let _permit = self.session_permit().await?;
        let channel = self.open_channel().await?;
        let (mut reader, writer) = channel.split();
        if writer.exec(true, command.into_bytes()).await.is_err() {
            return Ok(false);
        }
        let mut chunk = vec![0u8; 256 * 1024];
        loop {
            if super::interrupt::is_set() {
                return Ok(false);
            }
            let n = match file.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => n,
                Err(_) => return Ok(false),
            };
            if writer.data_bytes(chunk[..n].to_vec()).await.is_err() {
                return Ok(false);
            }
        }
        let _ = writer.eof().await;
        while let Some(msg) = reader.wait().await {
            match msg {
                ChannelMsg::ExitStatus { exit_status } => return Ok(exit_status == 0),
                ChannelMsg::Close => break,
                _ => {}
            }
        }
        Ok(false)
    }
}

impl super::stream::AgentCalls for AgentChannel {
    async fn call(&mut self, req: &Request, blobs: &[&[u8]]) -> Result<Frame, String> {
        AgentChannel::call(self, &proto::encode(req, blobs)).await
    }
}

impl AgentChannel {
    /// Writes one request frame and reads the response frame.
    async fn call(&mut self, frame: &[u8]) -> Result<Frame, String> {
        self.writer
            .data_bytes(frame.to_vec())
            .await
            .map_err(|e| format!("write failed: {e}"))?;
        loop {
            if let Some(n) = proto::complete_len(&self.buf) {
                let body: Vec<u8> = self.buf.drain(..n).skip(4).collect();
                return proto::decode_body(&body);
            }
            if self.buf.len() >= 4 {
                let len = u32::from_le_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
                if len as usize > proto::MAX_FRAME {
                    return Err("corrupt frame length".into());
                }
            }
            let msg = tokio::select! {
                msg = self.reader.wait() => msg,
                () = super::interrupt::wait() => return Err(self.stop().await),
            };
            match msg {
                Some(ChannelMsg::Data { data }) => self.buf.extend_from_slice(&data),
                Some(ChannelMsg::ExtendedData { .. }) => {}
                Some(ChannelMsg::Eof | ChannelMsg::Close | ChannelMsg::ExitStatus { .. })
                | None => return Err("the agent exited".into()),
                Some(_) => {}
            }
        }
    }

    /// The run was interrupted: closes the agent's input, which makes it kill the command's
    /// process group and exit, and waits (a bounded time) until it has.
    async fn stop(&mut self) -> String {
        let _ = self.writer.eof().await;
        let wait_exit = async {
            while let Some(msg) = self.reader.wait().await {
                if matches!(msg, ChannelMsg::Close | ChannelMsg::ExitStatus { .. }) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(super::interrupt::GRACE * 3, wait_exit).await;
        "interrupted".into()
    }
}
