//! The executor: runs plays on many hosts at once (linear strategy), loops, handlers, results.

pub mod connections;
pub mod results;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{PlaybookOptions, RunOptions};

/// What to run.
#[derive(Debug)]
pub enum RunKind {
    /// Playbook files, in order.
    Playbooks(Vec<PathBuf>),
    /// One ad-hoc module call on a host pattern (`ansible HOSTS -m MOD -a ARGS`).
    Adhoc {
        /// Host pattern.
        pattern: String,
        /// Module name.
        module: String,
        /// Module arguments (`k=v …` or free form).
        args: String,
        /// Only list the hosts.
        list_hosts: bool,
    },
}

/// A whole run as the command line asked for it.
#[derive(Debug)]
pub struct RunRequest {
    /// Playbooks or an ad-hoc call.
    pub kind: RunKind,
    /// Common options.
    pub opts: RunOptions,
    /// Playbook-only options.
    pub pb: PlaybookOptions,
}

/// Runs a request; the exit code follows Ansible: 0 ok, 1 error before or during the run,
/// 2 a host failed, 4 a host was unreachable.
pub fn run(_req: RunRequest) -> ExitCode {
    eprintln!("flock: the executor is not wired yet");
    ExitCode::from(1)
}

/// `flock ssh [user@]HOST`: an interactive SSH session to the host's inventory address.
pub fn interactive_ssh(_target: &str, _opts: RunOptions) -> ExitCode {
    eprintln!("flock ssh: not wired yet");
    ExitCode::from(1)
}
