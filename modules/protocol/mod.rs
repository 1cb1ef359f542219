//! Ansible's module protocol for modules flock does not implement natively (issue 20, tier 2).
//!
//! This first piece parses what such a module printed, the way ansible-core's
//! `ActionBase._parse_returned_data` does; lookup, payload building and running follow.

pub mod result;

pub use result::{parse_module_output, ModuleOutput};
