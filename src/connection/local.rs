//! Commands on the controller itself (`connection: local`), optionally inside a chroot.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::sudo::{Exchange, Input, SudoCommand};
use super::{Become, ConnectionError, ExecOutput};

/// A local (or chroot) connection.
pub(super) struct LocalConnection {
    chroot: Option<PathBuf>,
}

impl LocalConnection {
    pub(super) fn new(chroot: Option<PathBuf>) -> Self {
        Self { chroot }
    }

    /// Whether agent operations can run in this process (not in a chroot).
    pub(super) fn in_process(&self) -> bool {
        self.chroot.is_none()
    }

    pub(super) async fn exec(
        &self,
        host: &str,
        script: &str,
        become_: Option<&Become>,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, ConnectionError> {
        // In a chroot everything already runs as root: sudo is not used.
        let sudo = match (become_, &self.chroot) {
            (Some(b), None) => Some(SudoCommand::new(script, b)),
            _ => None,
        };
        let script = sudo.as_ref().map_or(script, |s| s.command.as_str());
        let mut cmd = match &self.chroot {
            Some(dir) => {
                let mut c = Command::new("chroot");
                c.arg(dir).arg("/bin/sh").arg("-c").arg(script);
                c
            }
            None => {
                let mut c = Command::new("/bin/sh");
                c.arg("-c").arg(script);
                c
            }
        };
        let handshake = become_.is_some_and(|b| b.password.is_some()) && sudo.is_some();
        cmd.stdin(if stdin.is_some() || handshake {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .process_group(0)
        .kill_on_drop(true);
        let mut child = cmd.spawn()?;
        let pgid = child.id();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        if let Some(mut pipe) = child.stdin.take() {
            tokio::spawn(async move {
                while let Some(msg) = rx.recv().await {
                    match msg {
                        Input::Data(d) => {
                            if pipe.write_all(&d).await.is_err() {
                                break;
                            }
                        }
                        Input::Eof => break,
                    }
                }
                let _ = pipe.shutdown().await;
            });
        }
        let mut ex = Exchange::start(tx, stdin, sudo);
        let (mut out, mut err) = match (child.stdout.take(), child.stderr.take()) {
            (Some(o), Some(e)) => (o, e),
            _ => return Err(std::io::Error::other("child pipes missing").into()),
        };
        let (mut obuf, mut ebuf) = (vec![0u8; 16384], vec![0u8; 16384]);
        let (mut out_open, mut err_open) = (true, true);
        let mut stop = super::interrupt::Stopper::default();
        while out_open || err_open {
            tokio::select! {
                n = out.read(&mut obuf), if out_open => match n? {
                    0 => out_open = false,
                    n => ex.stdout(&obuf[..n]),
                },
                n = err.read(&mut ebuf), if err_open => match n? {
                    0 => err_open = false,
                    n => ex.stderr(&ebuf[..n]),
                },
                sig = stop.next() => match (sig, pgid) {
                    (Some(sig), Some(pgid)) => super::interrupt::kill_group(pgid, sig),
                    _ => break,
                },
            }
        }
        if stop.started() {
            let _ = child.start_kill();
            return Err(ConnectionError::Interrupted {
                host: host.to_string(),
            });
        }
        let status = child.wait().await?;
        ex.finish(status.code().unwrap_or(-1))
            .map_err(|f| ConnectionError::Become {
                host: host.to_string(),
                msg: f.0,
            })
    }
}
