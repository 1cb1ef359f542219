//! `flock ca` and `flock vpn`: grid and OpenVPN certificate authorities. (Issue 10.)

use std::process::ExitCode;

/// Arguments of `flock ca`.
#[derive(clap::Args, Debug)]
pub struct CaArgs {
    /// The subcommand and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Runs `flock ca`.
pub fn run(_args: CaArgs) -> ExitCode {
    eprintln!("flock ca: not implemented yet");
    ExitCode::FAILURE
}

/// Arguments of `flock vpn`.
#[derive(clap::Args, Debug)]
pub struct VpnArgs {
    /// The vpn subcommand and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Runs `flock vpn`.
pub fn run_vpn(_args: VpnArgs) -> ExitCode {
    eprintln!("flock vpn: not implemented yet");
    ExitCode::FAILURE
}
