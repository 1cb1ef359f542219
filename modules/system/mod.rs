//! The system family: `mount`, `filesystem`, `lvol`, `seboolean`, `setup` (facts), `sysctl`.

pub mod filesystem;
pub mod lvol;
pub mod mount;
pub mod seboolean;
pub mod setup;
pub mod sysctl;

use super::Module;

/// The modules of this family.
pub static MODULES: &[&dyn Module] = &[
    &mount::Mount,
    &filesystem::Filesystem,
    &lvol::Lvol,
    &seboolean::SeBoolean,
    &setup::Setup,
    &sysctl::Sysctl,
];
