//! `flock lab`: real test hosts in network namespaces. (Implemented in issue 2.)

use std::process::ExitCode;

/// Arguments of `flock lab`.
#[derive(clap::Args, Debug)]
pub struct LabArgs {
    /// The lab subcommand and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Runs `flock lab`.
pub fn run(_args: LabArgs) -> ExitCode {
    eprintln!("flock lab: not implemented yet");
    ExitCode::FAILURE
}
