//! The system family: `mount`, `filesystem`, `lvol`, `seboolean`, `setup` (facts), `sysctl`,
//! `hostname`, `getent`, `cron`, `selinux`, `debconf`, `lvg`.

pub mod cron;
pub mod debconf;
pub mod filesystem;
pub mod getent;
pub mod hostname;
pub mod lvg;
pub mod lvol;
pub mod mount;
pub mod seboolean;
pub mod selinux;
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
    &hostname::Hostname,
    &getent::Getent,
    &cron::Cron,
    &selinux::Selinux,
    &debconf::Debconf,
    &lvg::Lvg,
];
