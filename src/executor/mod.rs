//! The executor: runs plays on many hosts at once (linear strategy), loops, handlers, results.

mod adhoc;
mod batches;
mod connect;
pub mod connections;
mod failures;
mod freeform;
mod handlers;
mod hoststate;
mod includes;
mod list;
mod loopctl;
mod moddefaults;
mod nohosts;
mod pause;
mod play;
pub mod results;
mod run;
mod runonce;
mod scope;
mod task;
mod throttle;
mod varsfiles;

pub use connect::Passwords;

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
        /// The 2013 toolkit's form (`flock ping @@HOSTS` …, which ran Ansible 1.2's `ansible`):
        /// answer as 1.2 did where ansible-core differs (no matching host: exit 1).
        legacy_cli: bool,
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
pub fn run(req: RunRequest) -> ExitCode {
    run::run_blocking(req)
}

/// Why a run stopped before or between tasks (bad input, a fatal play-level problem).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A message already naming the file, line and column where input is involved.
    #[error("{0}")]
    Msg(String),
    /// Stop with exit code `code` after printing `msg` (when not empty) as it is: Ansible's
    /// own wording, e.g. `No hosts matched`.
    /// SIGINT/SIGTERM: the remote commands in flight were stopped.
    #[error("interrupted")]
    Interrupted,
    #[error("{msg}")]
    Stop {
        /// The line for stderr.
        msg: String,
        /// The exit code.
        code: u8,
    },
}

/// `flock ssh [user@]HOST`: an interactive SSH session to the host's inventory address.
/// Replaces the process with OpenSSH's client (an interactive terminal is OpenSSH's job).
pub fn interactive_ssh(target: &str, opts: RunOptions) -> ExitCode {
    match ssh_argv(target, &opts) {
        Ok(argv) => {
            use std::os::unix::process::CommandExt;
            let err = std::process::Command::new(&argv[0]).args(&argv[1..]).exec();
            eprintln!("flock ssh: cannot run {}: {err}", argv[0]);
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("flock ssh: {e}");
            ExitCode::from(1)
        }
    }
}

/// The `ssh` command line reaching `[user@]HOST` at its inventory address, port and key.
fn ssh_argv(target: &str, opts: &RunOptions) -> Result<Vec<String>, String> {
    let (user, host) = match target.split_once('@') {
        Some((u, h)) => (Some(u.to_string()).filter(|u| !u.is_empty()), h.to_string()),
        None => (None, target.to_string()),
    };
    let inventory = crate::inventory::Inventory::locate_and_load(opts.inventory.as_deref())
        .map_err(|e| e.to_string())?;
    let vars = if inventory.hosts().contains(&host) {
        inventory.host_vars(&host)
    } else {
        crate::value::Map::new()
    };
    let reach = connect::Reach {
        user,
        ..Default::default()
    };
    let spec = connect::connect_spec(&host, &vars, &reach, opts, &Passwords::default());
    let mut argv = vec!["ssh".to_string(), "-p".into(), spec.port.to_string()];
    for key in &spec.private_keys {
        argv.push("-i".into());
        argv.push(key.display().to_string());
    }
    argv.push(format!("{}@{}", spec.user, spec.address));
    Ok(argv)
}
