//! Commands on the controller itself (`connection: local`), optionally inside a chroot.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::{sudo_wrap, Become, ConnectionError, ExecOutput};

/// A local (or chroot) connection.
pub(super) struct LocalConnection {
    chroot: Option<PathBuf>,
}

impl LocalConnection {
    pub(super) fn new(chroot: Option<PathBuf>) -> Self {
        Self { chroot }
    }

    pub(super) async fn exec(
        &self,
        script: &str,
        become_: Option<&Become>,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, ConnectionError> {
        let wrapped;
        let script = match (become_, &self.chroot) {
            (Some(b), None) => {
                wrapped = sudo_wrap(script, b);
                wrapped.as_str()
            }
            _ => script,
        };
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
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("LANG", "C")
        .env("LC_ALL", "C");
        let mut child = cmd.spawn()?;
        if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let data = data.to_vec();
            tokio::spawn(async move {
                let _ = pipe.write_all(&data).await;
                let _ = pipe.shutdown().await;
            });
        }
        let out = child.wait_with_output().await?;
        Ok(ExecOutput {
            rc: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}
