//! The system family: `mount`, `filesystem`, `lvol`, `seboolean`, `setup` (facts).

pub mod filesystem;
pub mod lvol;
pub mod mount;
pub mod seboolean;
pub mod setup;

use super::Module;

/// The modules of this family.
pub static MODULES: &[&dyn Module] = &[
    &mount::Mount,
    &filesystem::Filesystem,
    &lvol::Lvol,
    &seboolean::SeBoolean,
    &setup::Setup,
];
