//! `flock jockey`: the network-install server. (Issue 11.)

use std::process::ExitCode;

/// Arguments of `flock jockey`.
#[derive(clap::Args, Debug)]
pub struct JockeyArgs {
    /// The subcommand and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Runs `flock jockey`.
pub fn run(_args: JockeyArgs) -> ExitCode {
    eprintln!("flock jockey: not implemented yet");
    ExitCode::FAILURE
}
