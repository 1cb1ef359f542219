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

/// `flock password @HOST`: prints jockey's stored root password of a host.
pub fn print_password(_target: &str) -> ExitCode {
    eprintln!("flock password: not implemented yet");
    ExitCode::FAILURE
}
