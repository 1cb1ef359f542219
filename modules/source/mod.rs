//! The source family: `git`.

pub mod git;

use super::Module;

/// The modules of this family.
pub static MODULES: &[&dyn Module] = &[&git::Git];
