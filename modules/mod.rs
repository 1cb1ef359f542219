//! Modules: one per file, grouped by family, all behind the [`Module`] trait.
//!
//! A module runs on the controller and acts on the host through a [`Remote`] handle (typed remote
//! operations over the host's one connection), in two steps like jetporch: *query* what must
//! change, then *apply* it. In `--check` mode the module stops after the query and reports what it
//! would change; in `--diff` mode it returns the content change as [`FileDiff`]s.
//!
//! Families: `files`, `commands`, `packages`, `services`, `access`, `system`, `data`, `control`.

pub mod args;
pub mod remote;

pub mod access;
pub mod commands;
pub mod database;
pub mod files;
pub mod messaging;
pub mod packages;
pub mod protocol;
pub mod services;
pub mod source;
pub mod system;

use std::path::PathBuf;

use async_trait::async_trait;

pub use args::{ArgError, ArgKind, ArgSpec, ModuleArgs, OptSpec};
pub use remote::{FileAttrs, FileStat, Remote};

use crate::connection::ConnectionError;
use crate::value::{Map, Value};

/// Renders a template file on the controller for the `template` module (implemented by the
/// templating stage, so modules do not depend on it).
pub trait TemplateRenderer: Send + Sync {
    /// Renders the file at `path` (already resolved) with the task's variables.
    fn render_file(&self, path: &std::path::Path) -> Result<String, String>;
}

/// What a module gets besides its arguments.
pub struct ModuleContext<'a> {
    /// Typed operations on the host.
    pub remote: Remote<'a>,
    /// `--check`: query only, change nothing.
    pub check_mode: bool,
    /// `--diff`: return content changes.
    pub diff_mode: bool,
    /// Directory that relative controller-side paths (`copy src=`, `template src=`) resolve
    /// against: the directory of the file the play (or task include) was written in.
    pub basedir: PathBuf,
    /// The task's variables (for action-like modules such as `debug var=`).
    pub vars: &'a Map,
    /// Template rendering for the `template` module.
    pub templates: &'a dyn TemplateRenderer,
    /// Which Ansible the playbook was written for (defaults that changed between them, such
    /// as the mode of newly created files).
    pub dialect: crate::template::Dialect,
}

impl ModuleContext<'_> {
    /// Mode of a file a module creates without `mode=`: Ansible 1.2 left its 0600 temp file's
    /// mode; modern Ansible applies the usual umask (0644).
    pub fn new_file_mode(&self) -> u32 {
        match self.dialect {
            crate::template::Dialect::Legacy12 => files::common::NEW_FILE_MODE_12,
            crate::template::Dialect::Modern => 0o644,
        }
    }
}

/// One unified diff of a file's content (`--diff`).
#[derive(Clone, Debug, Default)]
pub struct FileDiff {
    /// Path on the host.
    pub path: String,
    /// Old content (empty for a new file).
    pub before: String,
    /// New content (empty for a removed file).
    pub after: String,
}

/// The outcome of one module run on one host, shaped like Ansible's result dict.
#[derive(Clone, Debug, Default)]
pub struct ModuleResult {
    /// Something changed (or would change, in check mode).
    pub changed: bool,
    /// The module failed.
    pub failed: bool,
    /// The module skipped itself (e.g. `creates=` already there, or no check-mode support).
    pub skipped: bool,
    /// Human message (`msg`).
    pub msg: Option<String>,
    /// Other result keys (`rc`, `stdout`, `stderr`, `dest`, `ansible_facts`, …).
    pub data: Map,
    /// Content changes for `--diff`.
    pub diffs: Vec<FileDiff>,
}

impl ModuleResult {
    /// An unchanged, successful result.
    pub fn ok() -> Self {
        Self::default()
    }
    /// A successful result with `changed` set as given.
    pub fn changed(changed: bool) -> Self {
        Self {
            changed,
            ..Self::default()
        }
    }
    /// A failed result with a message.
    pub fn failed(msg: impl Into<String>) -> Self {
        Self {
            failed: true,
            msg: Some(msg.into()),
            ..Self::default()
        }
    }
    /// A skipped result with a message.
    pub fn skipped(msg: impl Into<String>) -> Self {
        Self {
            skipped: true,
            msg: Some(msg.into()),
            ..Self::default()
        }
    }
    /// Adds Ansible's `warnings` list, when there is any warning.
    pub fn with_warnings(mut self, warnings: Vec<String>) -> Self {
        if !warnings.is_empty() {
            let list = warnings.into_iter().map(Value::String).collect();
            self.data.insert("warnings".into(), Value::Array(list));
        }
        self
    }
    /// Adds a result key.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.data.insert(key.to_string(), value.into());
        self
    }
    /// The whole result as Ansible's result dict (`changed`, `failed`, `msg`, data keys).
    pub fn to_map(&self) -> Map {
        let mut m = Map::new();
        m.insert("changed".into(), Value::Bool(self.changed));
        if self.failed {
            m.insert("failed".into(), Value::Bool(true));
        }
        if self.skipped {
            m.insert("skipped".into(), Value::Bool(true));
        }
        if let Some(msg) = &self.msg {
            m.insert("msg".into(), Value::String(msg.clone()));
        }
        for (k, v) in &self.data {
            m.insert(k.clone(), v.clone());
        }
        m
    }
}

/// Why a module could not produce a result. Both make the host unreachable, as in Ansible 1.2.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// The connection failed.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// A controller-side failure (unreadable template source, render error, …).
    #[error("{0}")]
    Controller(String),
}

/// A module: validates its arguments against its [`ArgSpec`], then queries and applies.
#[async_trait]
pub trait Module: Send + Sync {
    /// The module's name as used in playbooks (`copy`, `lineinfile`, …).
    fn name(&self) -> &'static str;
    /// Its arguments: names, aliases, types, choices, required.
    fn spec(&self) -> &ArgSpec;
    /// Runs the module on one host with validated arguments.
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError>;
}

/// Every module flock knows, by name (aliases such as `action` names included).
pub fn lookup(name: &str) -> Option<&'static dyn Module> {
    registry().iter().copied().find(|m| m.name() == name)
}

/// Whether `name` is a known module (used by the loader to reject unknown modules).
pub fn exists(name: &str) -> bool {
    lookup(name).is_some()
}

/// The module registry: every family's `MODULES`, chained.
pub fn registry() -> &'static [&'static dyn Module] {
    static ALL: std::sync::OnceLock<Vec<&'static dyn Module>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: Vec<&'static dyn Module> = Vec::new();
        all.extend_from_slice(files::MODULES);
        all.extend_from_slice(commands::MODULES);
        all.extend_from_slice(access::MODULES);
        all.extend_from_slice(services::MODULES);
        all.extend_from_slice(system::MODULES);
        all.extend_from_slice(packages::MODULES);
        all.extend_from_slice(source::MODULES);
        all.extend_from_slice(database::MODULES);
        all.extend_from_slice(messaging::MODULES);
        all.push(&crate::jockey::module::JOCKEY); // control: jockey (controller-side)
        all.push(&crate::ca::module::CA); // control: ca (controller-side)
        all
    })
}
