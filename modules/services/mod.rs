//! The service family: `service` (and `systemd`, same implementation).

pub mod service;

use super::Module;

/// The modules of this family.
pub static MODULES: &[&dyn Module] = &[&service::SERVICE, &service::SYSTEMD];
