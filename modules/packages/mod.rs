//! The packages family: `yum` (and `dnf`), `apt`, and `package` (whichever the host has),
//! `apt_repository`, `apt_key`, `pip`, `gem`.

pub mod apt;
pub mod apt_key;
pub mod apt_repository;
pub mod gem;
pub mod package;
pub mod package_facts;
pub mod pip;
pub mod yum;

use super::Module;

/// The modules of this family.
pub static MODULES: &[&dyn Module] = &[
    &yum::YUM,
    &yum::DNF,
    &apt::Apt,
    &package::Package,
    &package_facts::PackageFacts,
    &apt_repository::AptRepository,
    &apt_key::AptKey,
    &pip::Pip,
    &gem::Gem,
];
