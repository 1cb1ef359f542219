//! The `flock` command line: the original toolkit's commands and Ansible's entry points.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// flock runs Ansible playbooks, fast.
#[derive(Parser, Debug)]
#[command(name = "flock", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Real test hosts on this machine, in network namespaces.
    Lab(crate::lab::cli::LabArgs),
    /// The grid certificate authority (what `flock-ca` did).
    Ca(crate::ca::cli::CaArgs),
    /// The OpenVPN certificate authority (what `flock-vpn` did).
    Vpn(crate::ca::cli::VpnArgs),
    /// The network-install server (what `jockey` did).
    Jockey(crate::jockey::cli::JockeyArgs),
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Lab(a) => crate::lab::cli::run(a),
        Command::Ca(a) => crate::ca::cli::run(a),
        Command::Vpn(a) => crate::ca::cli::run_vpn(a),
        Command::Jockey(a) => crate::jockey::cli::run(a),
    }
}
