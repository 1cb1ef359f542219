//! The run's interrupt (SIGINT/SIGTERM on the controller, see `executor::run`): once triggered,
//! every remote operation in flight stops its command on the host and returns
//! [`super::ConnectionError::Interrupted`], and no new one starts.
//!
//! How a command is stopped: on the agent, the controller closes the agent's input (`eof`); the
//! agent kills the process group it started the command in (SIGTERM, SIGKILL after
//! [`GRACE`]) and exits. On a plain session, the controller sends the SSH `signal` request
//! (TERM, then KILL after [`GRACE`]); sshd delivers it to the session's process group. Commands
//! run under `trap 'exit 143' HUP INT TERM`, so their `EXIT` traps (which remove temp files) run.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::watch;

/// How long a stopped command gets between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(2);

static CODE: AtomicU8 = AtomicU8::new(0);

fn state() -> &'static watch::Sender<bool> {
    static TX: OnceLock<watch::Sender<bool>> = OnceLock::new();
    TX.get_or_init(|| watch::channel(false).0)
}

/// Marks the run interrupted; `code` is the exit code it ends with (130 for SIGINT, 143 for
/// SIGTERM). Only the first call counts.
pub fn trigger(code: u8) {
    if CODE
        .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
    {
        state().send_replace(true);
    }
}

/// The exit code of the interrupt, if the run was interrupted.
pub fn code() -> Option<u8> {
    match CODE.load(Ordering::SeqCst) {
        0 => None,
        c => Some(c),
    }
}

/// Whether the run was interrupted.
pub fn is_set() -> bool {
    code().is_some()
}

/// Waits until the run is interrupted (forever if it never is).
pub async fn wait() {
    let mut rx = state().subscribe();
    let _ = rx.wait_for(|set| *set).await;
}

/// `script` under traps that turn SIGHUP/SIGINT/SIGTERM into `exit 143`, so that the shell runs
/// its `EXIT` trap (temp file removal) when the run stops the command.
pub(crate) fn stoppable(script: &str) -> String {
    format!("trap 'exit 143' HUP INT TERM; {script}")
}

/// Sends `sig` to the process group `pgid` (ignoring a group that is already gone).
pub(crate) fn kill_group(pgid: u32, sig: nix::sys::signal::Signal) {
    if let Ok(pid) = i32::try_from(pgid) {
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), sig);
    }
}

/// The steps of stopping one command: SIGTERM when the run is interrupted, SIGKILL after
/// [`GRACE`], giving up another [`GRACE`] later (a process that left the group may hold the
/// output open). Used in a `select!` beside the command's output.
#[derive(Default)]
pub(crate) struct Stopper {
    deadline: Option<tokio::time::Instant>,
    killed: bool,
}

impl Stopper {
    /// Whether the interrupt reached this command.
    pub(crate) fn started(&self) -> bool {
        self.deadline.is_some()
    }

    /// Waits for the next step and returns the signal to send (TERM once the run is
    /// interrupted, KILL when the grace is over), or `None` when it is time to stop waiting.
    pub(crate) async fn next(&mut self) -> Option<nix::sys::signal::Signal> {
        use nix::sys::signal::Signal;
        let Some(deadline) = self.deadline else {
            wait().await;
            self.deadline = Some(tokio::time::Instant::now() + GRACE);
            return Some(Signal::SIGTERM);
        };
        tokio::time::sleep_until(deadline).await;
        self.deadline = Some(deadline + GRACE);
        if self.killed {
            return None;
        }
        self.killed = true;
        Some(Signal::SIGKILL)
    }
}
