//! The command family: `command`, `shell`, `raw`, and `ping`.

pub mod command;

use super::Module;

/// The modules of this family.
pub static MODULES: &[&dyn Module] = &[
    &command::Shell,
    &command::Command,
    &command::Raw,
    &command::Ping,
];
