//! See cli.rs for the `flock lab` command.

pub mod cli;
