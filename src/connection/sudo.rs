//! sudo with and without a password, the same for every transport.
//!
//! With a password, the command is `sudo -S -p '[flock-sudo-ID]' … /bin/sh -c 'echo OK-ID >&2;
//! exec /bin/sh -c SCRIPT'`: the password goes to sudo's stdin only when its unique prompt shows
//! up on stderr (never in argv, never when sudo does not ask), the command's own stdin follows
//! once the success marker appeared, and a second prompt means the password was wrong. Prompts,
//! sudo's lecture and the marker are removed from the captured stderr.

use tokio::sync::mpsc::UnboundedSender;

use super::{shell_quote, Become, ExecOutput};

/// What the transport writes to the command's stdin.
#[derive(Debug)]
pub(crate) enum Input {
    /// Bytes to write.
    Data(Vec<u8>),
    /// Close stdin.
    Eof,
}

/// The sudo command line and the strings that recognise its prompt and its success.
pub(crate) struct SudoCommand {
    /// The shell command line to run (by `/bin/sh -c` or the login shell).
    pub command: String,
    prompt: Vec<u8>,
    marker: Vec<u8>,
    password: Option<String>,
    user: String,
}

impl SudoCommand {
    /// Wraps `script` to run as `become_.user`.
    pub(crate) fn new(script: &str, become_: &Become) -> Self {
        let user = become_.target_user();
        let id = format!("{:016x}", rand::random::<u64>());
        let prompt = format!("[flock-sudo-{id}]");
        let marker = format!("FLOCK-SUDO-OK-{id}");
        let command = match &become_.password {
            Some(_) => {
                let inner = format!("echo {marker} >&2; exec /bin/sh -c {}", shell_quote(script));
                format!(
                    "sudo -H -S -p {} -u {} /bin/sh -c {}",
                    shell_quote(&prompt),
                    shell_quote(user),
                    shell_quote(&inner)
                )
            }
            None => format!(
                "sudo -H -n -u {} /bin/sh -c {}",
                shell_quote(user),
                shell_quote(script)
            ),
        };
        Self {
            command,
            prompt: prompt.into_bytes(),
            marker: marker.into_bytes(),
            password: become_.password.clone(),
            user: user.to_string(),
        }
    }
}

/// Why a command could not start under sudo.
#[derive(Debug)]
pub(crate) struct SudoFailure(pub String);

/// One command's conversation: feeds stdin at the right time, collects output.
pub(crate) struct Exchange {
    input: UnboundedSender<Input>,
    stdin: Option<Vec<u8>>,
    sudo: Option<SudoCommand>,
    /// stderr seen before sudo started the command (prompts removed).
    pre: Vec<u8>,
    prompts: usize,
    started: bool,
    failure: Option<SudoFailure>,
    out: ExecOutput,
}

impl Exchange {
    /// Starts the conversation. Without a sudo password, stdin (if any) is sent at once and
    /// closed; with one, it waits for sudo.
    pub(crate) fn start(
        input: UnboundedSender<Input>,
        stdin: Option<&[u8]>,
        sudo: Option<SudoCommand>,
    ) -> Self {
        let handshake = sudo.as_ref().is_some_and(|s| s.password.is_some());
        let mut ex = Self {
            input,
            stdin: stdin.map(<[u8]>::to_vec),
            sudo: if handshake { sudo } else { None },
            pre: Vec::new(),
            prompts: 0,
            started: !handshake,
            failure: None,
            out: ExecOutput::default(),
        };
        if !handshake {
            ex.send_stdin();
        }
        ex
    }

    fn send_stdin(&mut self) {
        if let Some(data) = self.stdin.take() {
            if !data.is_empty() {
                let _ = self.input.send(Input::Data(data));
            }
        }
        let _ = self.input.send(Input::Eof);
    }

    /// Output on stdout.
    pub(crate) fn stdout(&mut self, data: &[u8]) {
        self.out.stdout.extend_from_slice(data);
    }

    /// Output on stderr; drives the sudo handshake.
    pub(crate) fn stderr(&mut self, data: &[u8]) {
        if self.started {
            self.out.stderr.extend_from_slice(data);
            return;
        }
        let Some(sudo) = self.sudo.take() else {
            self.out.stderr.extend_from_slice(data);
            return;
        };
        self.pre.extend_from_slice(data);
        self.handshake(&sudo);
        self.sudo = Some(sudo);
    }

    fn handshake(&mut self, sudo: &SudoCommand) {
        if let Some(pos) = find(&self.pre, &sudo.marker) {
            let mut rest = pos + sudo.marker.len();
            if self.pre.get(rest) == Some(&b'\n') {
                rest += 1;
            }
            let tail = self.pre.split_off(rest);
            self.pre.clear();
            self.out.stderr.extend_from_slice(&tail);
            self.started = true;
            self.send_stdin();
            return;
        }
        while let Some(pos) = find(&self.pre, &sudo.prompt) {
            self.pre.drain(pos..pos + sudo.prompt.len());
            self.prompts += 1;
            if self.prompts == 1 {
                let mut line = sudo.password.clone().unwrap_or_default().into_bytes();
                line.push(b'\n');
                let _ = self.input.send(Input::Data(line));
            } else if self.failure.is_none() {
                let said = String::from_utf8_lossy(&self.pre).trim().to_string();
                self.failure = Some(SudoFailure(format!(
                    "incorrect sudo password (sudo -u {}{}{})",
                    sudo.user,
                    if said.is_empty() { "" } else { ": " },
                    said
                )));
                let _ = self.input.send(Input::Eof);
            }
        }
    }

    /// The command ended with exit status `rc`.
    pub(crate) fn finish(mut self, rc: i32) -> Result<ExecOutput, SudoFailure> {
        if let Some(f) = self.failure.take() {
            return Err(f);
        }
        if !self.started {
            // sudo refused before running anything (not in sudoers, …): its messages are the
            // command's stderr.
            let mut pre = std::mem::take(&mut self.pre);
            pre.extend_from_slice(&self.out.stderr);
            self.out.stderr = pre;
        }
        self.out.rc = rc;
        Ok(self.out)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn become_(pw: Option<&str>) -> Become {
        Become {
            user: "alice".into(),
            password: pw.map(str::to_string),
        }
    }

    #[test]
    fn password_never_in_command() {
        let s = SudoCommand::new("id -u", &become_(Some("s3cret-pw")));
        assert!(!s.command.contains("s3cret-pw"));
        assert!(s.command.starts_with("sudo -H -S -p '[flock-sudo-"));
        let n = SudoCommand::new("id -u", &become_(None));
        assert_eq!(n.command, "sudo -H -n -u alice /bin/sh -c 'id -u'");
    }

    #[test]
    fn handshake_sends_password_then_stdin() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let s = SudoCommand::new("cat", &become_(Some("pw")));
        let (prompt, marker) = (s.prompt.clone(), s.marker.clone());
        let mut ex = Exchange::start(tx, Some(b"data"), Some(s));
        assert!(rx.try_recv().is_err(), "nothing before the prompt");
        // The prompt split over two reads.
        ex.stderr(&prompt[..5]);
        ex.stderr(&prompt[5..]);
        assert!(matches!(rx.try_recv(), Ok(Input::Data(d)) if d == b"pw\n"));
        let mut m = marker.clone();
        m.extend_from_slice(b"\nwarning\n");
        ex.stderr(&m);
        assert!(matches!(rx.try_recv(), Ok(Input::Data(d)) if d == b"data"));
        assert!(matches!(rx.try_recv(), Ok(Input::Eof)));
        ex.stdout(b"data");
        let out = ex.finish(0).unwrap();
        assert_eq!(out.stderr, b"warning\n");
        assert_eq!(out.stdout, b"data");
    }

    #[test]
    fn second_prompt_is_a_wrong_password() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let s = SudoCommand::new("true", &become_(Some("bad")));
        let prompt = s.prompt.clone();
        let mut ex = Exchange::start(tx, None, Some(s));
        ex.stderr(&prompt);
        let mut again = b"Sorry, try again.\n".to_vec();
        again.extend_from_slice(&prompt);
        ex.stderr(&again);
        assert!(matches!(rx.try_recv(), Ok(Input::Data(_))));
        assert!(matches!(rx.try_recv(), Ok(Input::Eof)));
        let err = ex.finish(1).unwrap_err();
        assert!(err.0.contains("incorrect sudo password"), "{}", err.0);
        assert!(!err.0.contains("bad"));
    }
}
