//! See cli.rs for the `flock jockey` command.

pub mod cli;
