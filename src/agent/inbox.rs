//! The agent's input, read on its own thread, so that the agent notices the controller leaving
//! while a command runs: the controller closes the agent's input when the run is interrupted
//! (and sshd closes it when the connection is lost). The agent then kills the command's process
//! group (SIGTERM, SIGKILL after [`GRACE`]) and exits, leaving nothing running on the host.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use super::ops;
use super::proto::Frame;

/// How long a stopped command gets between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(2);

/// What the agent's main loop waits for.
enum Event {
    /// A request frame from the controller.
    Request(Frame),
    /// The input ended (or broke): the controller is gone or cancelled.
    Closed,
    /// The running command finished: `(rc, stdout, stderr)`.
    Done((i32, Vec<u8>, Vec<u8>)),
}

/// The agent's requests and the events of the command it runs.
pub struct Inbox {
    tx: Sender<Event>,
    rx: Receiver<Event>,
    /// Requests that came while a command ran (the controller sends one at a time).
    pending: VecDeque<Frame>,
    closed: bool,
}

impl Inbox {
    /// Starts reading frames from `input` on a thread.
    pub fn start(mut input: impl Read + Send + 'static) -> Inbox {
        let (tx, rx) = channel();
        let reader = tx.clone();
        std::thread::spawn(move || loop {
            match super::read_frame(&mut input) {
                Ok(Some(frame)) => {
                    if reader.send(Event::Request(frame)).is_err() {
                        return;
                    }
                }
                Ok(None) | Err(_) => {
                    let _ = reader.send(Event::Closed);
                    return;
                }
            }
        });
        Inbox {
            tx,
            rx,
            pending: VecDeque::new(),
            closed: false,
        }
    }

    /// The next request; `None` once the input ended.
    pub fn next_request(&mut self) -> Option<Frame> {
        if let Some(f) = self.pending.pop_front() {
            return Some(f);
        }
        while !self.closed {
            match self.rx.recv() {
                Ok(Event::Request(f)) => return Some(f),
                Ok(Event::Closed) | Err(_) => self.closed = true,
                Ok(Event::Done(_)) => {}
            }
        }
        None
    }

    /// Runs `script` (see [`ops::exec`]) in its own process group; `None` when the input ended
    /// while it ran, after the group was killed.
    pub fn exec(&mut self, script: &str, stdin: Option<&[u8]>) -> Option<(i32, Vec<u8>, Vec<u8>)> {
        let running = match ops::spawn(script, stdin) {
            Ok(r) => r,
            Err(failed) => return Some(failed),
        };
        let pgid = Pid::from_raw(i32::try_from(running.pid()).unwrap_or(i32::MAX));
        let done = self.tx.clone();
        std::thread::spawn(move || {
            let _ = done.send(Event::Done(running.wait()));
        });
        loop {
            match self.rx.recv() {
                Ok(Event::Done(out)) => return Some(out),
                Ok(Event::Request(f)) => self.pending.push_back(f),
                Ok(Event::Closed) | Err(_) => {
                    self.closed = true;
                    self.stop(pgid);
                    return None;
                }
            }
        }
    }

    /// Kills the process group `pgid`: SIGTERM, then SIGKILL if it has not finished after
    /// [`GRACE`]; waits (bounded) for the command to be reaped.
    fn stop(&mut self, pgid: Pid) {
        let _ = killpg(pgid, Signal::SIGTERM);
        if self.wait_done(GRACE) {
            return;
        }
        let _ = killpg(pgid, Signal::SIGKILL);
        self.wait_done(GRACE);
    }

    fn wait_done(&mut self, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(Event::Done(_)) => return true,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return false,
            }
        }
    }
}
