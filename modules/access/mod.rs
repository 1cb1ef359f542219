//! The access family: `user`, `group`, `authorized_key`.

pub mod authorized_key;
pub mod group;
pub mod user;

use super::Module;

/// The modules of this family.
pub static MODULES: &[&dyn Module] = &[&user::User, &group::Group, &authorized_key::AuthorizedKey];
