//! The database family: `mysql_db`, `mysql_user` (through the host's `mysql` client).

pub mod common;
pub mod mysql_db;
pub mod mysql_user;

use super::Module;

/// The modules of this family.
pub static MODULES: &[&dyn Module] = &[&mysql_db::MysqlDb, &mysql_user::MysqlUser];
