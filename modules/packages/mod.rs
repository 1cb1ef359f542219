//! The packages family: `yum` (and `dnf`), `apt`, and `package` (whichever the host has).

pub mod apt;
pub mod package;
pub mod yum;

use super::Module;

/// The modules of this family.
pub static MODULES: &[&dyn Module] = &[&yum::YUM, &yum::DNF, &apt::Apt, &package::Package];
