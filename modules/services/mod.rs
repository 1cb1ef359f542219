//! The service family: `service`, `systemd`/`systemd_service`, `service_facts`.

pub mod service;
pub mod service_facts;
pub mod systemd;

use super::Module;

/// The modules of this family.
pub static MODULES: &[&dyn Module] = &[
    &service::SERVICE,
    &systemd::SYSTEMD,
    &systemd::SYSTEMD_SERVICE,
    &service_facts::ServiceFacts,
];
