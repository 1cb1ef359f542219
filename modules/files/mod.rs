//! The file family: `file`, `copy`, `template`, `lineinfile`, `authorized_key`, `get_url`, `stat`.

pub mod common;
pub mod copy;
pub mod file;
pub mod get_url;
pub mod lineinfile;
pub mod stat;
pub mod template;

use super::Module;

/// The modules of this family.
pub static MODULES: &[&dyn Module] = &[
    &template::Template,
    &file::File,
    &copy::Copy,
    &lineinfile::LineInFile,
    &get_url::GetUrl,
    &stat::Stat,
];
