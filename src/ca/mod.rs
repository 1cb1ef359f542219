//! See cli.rs for the `flock ca` command.

pub mod cli;
