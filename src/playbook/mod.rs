//! The parsed playbook model (plays, tasks, handlers with source positions) and its loader, for
//! Ansible 1.2-era and modern playbooks.
//!
//! [`Playbook::load`] reads a playbook file with [`crate::yaml`] (PyYAML semantics), follows
//! play-level includes (`- include: f.yml k=v`, `import_playbook`), task includes (`include:`,
//! `import_tasks`, static `include_tasks`) and roles, checks every play and task keyword and
//! module name, and returns the whole tree before anything runs. Values stay raw (`Value`,
//! untemplated): templating happens at run time. Every play keeps the directory of the file it
//! was written in as its `basedir` (spec §3.2); every task keeps its position and basedir.
//!
//! Load errors ([`LoadError`]) name `file:line:col`.

mod detect;
pub mod list;
mod load;
mod modules;
mod task;

use std::path::{Path, PathBuf};

use crate::error::SourcePos;
use crate::template::Dialect;
use crate::value::{Map, Value};
use crate::yaml::YamlError;

pub(crate) use load::path_dwim;
pub use modules::{
    canonical_module_name, is_known_lookup, is_known_module, KNOWN_LOOKUPS, KNOWN_MODULES,
};

/// Options for [`Playbook::load`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Force a dialect instead of detecting it (`--dialect` on the CLI).
    pub dialect: Option<Dialect>,
    /// The dialect of a playbook with no 1.2-only and no modern-only construct (`None`: 1.2).
    pub without_markers: Option<Dialect>,
    /// Variables visible while resolving include file names at load time (1.2: `inventory_dir`
    /// and the parameters of enclosing includes; extra vars). Only plain `{{name}}`, `$name` and
    /// `${name}` references are substituted in include paths.
    pub vars: Map,
    /// Extra directories searched for roles (after `<playbook dir>/roles` and the playbook dir).
    pub roles_path: Vec<PathBuf>,
}

/// A load-time error: YAML syntax, structure, unknown keyword/module, missing include.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum LoadError {
    /// The YAML of a file could not be read or parsed.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// The YAML was fine but the playbook is not.
    #[error("{pos}: {message}")]
    Invalid {
        /// Where.
        pos: SourcePos,
        /// What (Ansible's wording where it had one).
        message: String,
    },
}

impl LoadError {
    /// An [`LoadError::Invalid`] at `pos`.
    pub fn invalid(pos: &SourcePos, message: impl Into<String>) -> Self {
        LoadError::Invalid {
            pos: pos.clone(),
            message: message.into(),
        }
    }

    /// Where the error is.
    pub fn pos(&self) -> SourcePos {
        match self {
            LoadError::Yaml(e) => e.pos(),
            LoadError::Invalid { pos, .. } => pos.clone(),
        }
    }
}

/// A loaded playbook: every play of the file and of the files it includes, flattened in order.
#[derive(Clone, Debug)]
pub struct Playbook {
    /// The playbook file as given.
    pub path: PathBuf,
    /// All plays, includes spliced in place.
    pub plays: Vec<Play>,
    /// The Ansible the playbook was written for (detected or forced).
    pub dialect: Dialect,
    /// Why the dialect is `Legacy12` (the first few 1.2-only constructs found, with positions).
    pub legacy_markers: Vec<(SourcePos, String)>,
    /// Modern-only constructs found (they decide `Modern` when there is no 1.2-only one).
    pub modern_markers: Vec<(SourcePos, String)>,
}

/// Privilege escalation settings of a play or task (`sudo`/`sudo_user` or `become*`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Become {
    /// `sudo:` / `become:` (raw; may be a template or a YAML bool).
    pub enabled: Option<Value>,
    /// `sudo_user:` / `become_user:`.
    pub user: Option<Value>,
    /// `become_method:`; `sudo` when the 1.2 `sudo*` keywords were used.
    pub method: Option<String>,
}

impl Become {
    /// True when no escalation keyword was given.
    pub fn is_empty(&self) -> bool {
        self.enabled.is_none() && self.user.is_none() && self.method.is_none()
    }
}

/// One `vars_files` entry: a single file, or (a YAML list) the first of several that exists.
/// Names are raw (brace-smushed) and may contain per-host variables; resolution is at run time
/// against the play's `basedir`.
#[derive(Clone, Debug, PartialEq)]
pub struct VarsFileEntry {
    /// The candidate file names, in order (one for a plain entry).
    pub candidates: Vec<String>,
    /// True when the entry was written as a list (first-found semantics).
    pub first_found: bool,
    /// Where the entry is.
    pub pos: SourcePos,
}

/// A role applied by a play's `roles:` (or as a dependency of one).
#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    /// Role name as written.
    pub name: String,
    /// The role directory (`roles/<name>`).
    pub dir: PathBuf,
    /// Role parameters (`- {role: x, k: v}`), raw.
    pub params: Map,
    /// `defaults/main.yml`, raw.
    pub defaults: Map,
    /// `vars/main.yml`, raw.
    pub vars: Map,
    /// Where the role is referenced.
    pub pos: SourcePos,
    /// Pulled in as another role's dependency (not listed in the play's `roles:`).
    pub dependency: bool,
}

/// One play.
#[derive(Clone, Debug)]
pub struct Play {
    /// `name:` as written (raw), if any.
    pub name: Option<String>,
    /// `hosts:` pattern (a YAML list is joined with `:`), raw.
    pub hosts: String,
    /// Directory of the file this play was written in: relative paths of the play resolve here.
    pub basedir: PathBuf,
    /// Where the play starts.
    pub pos: SourcePos,
    /// `vars:` (mapping, or a list of one-key mappings, flattened) plus the parameters and
    /// `vars:` of enclosing play-level includes (which override). Raw, untemplated.
    pub vars: Map,
    /// `vars_files:` entries.
    pub vars_files: Vec<VarsFileEntry>,
    /// `vars_prompt:` as written.
    pub vars_prompt: Option<Value>,
    /// `pre_tasks:`.
    pub pre_tasks: Vec<Task>,
    /// Role tasks followed by `tasks:`.
    pub tasks: Vec<Task>,
    /// `post_tasks:`.
    pub post_tasks: Vec<Task>,
    /// Role handlers followed by `handlers:`.
    pub handlers: Vec<Task>,
    /// `user:` / `remote_user:`.
    pub remote_user: Option<Value>,
    /// `port:`.
    pub port: Option<Value>,
    /// `sudo*` / `become*`.
    pub become_: Become,
    /// `connection:` normalised (`paramiko`/`smart` → `ssh`); `ssh`, `local` or `chroot`, or a
    /// raw template.
    pub connection: Option<String>,
    /// `gather_facts:`.
    pub gather_facts: Option<Value>,
    /// `serial:`.
    pub serial: Option<Value>,
    /// Play `tags:` (a string is split on commas); already appended to every task's tags.
    pub tags: Vec<String>,
    /// `any_errors_fatal:`.
    pub any_errors_fatal: Option<Value>,
    /// `order:` (modern): `inventory`, `reverse_inventory`, `sorted`, `reverse_sorted`,
    /// `shuffle`.
    pub order: Option<String>,
    /// `max_fail_percentage:`.
    pub max_fail_percentage: Option<Value>,
    /// `strategy:`.
    pub strategy: Option<String>,
    /// `environment:`.
    pub environment: Option<Value>,
    /// `no_log:` (already copied onto every task that does not set its own).
    pub no_log: Option<Value>,
    /// Roles applied by this play, dependencies first. Tasks refer to them by index.
    pub roles: Vec<Role>,
}

impl Play {
    /// The label Ansible prints for the play: its name, or its hosts pattern.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.hosts)
    }

    /// pre_tasks, tasks, post_tasks in execution order (handlers excluded).
    pub fn all_tasks(&self) -> impl Iterator<Item = &Task> {
        self.pre_tasks
            .iter()
            .chain(&self.tasks)
            .chain(&self.post_tasks)
    }
}

/// What a condition's expression means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConditionKind {
    /// `when:` (1.2: Jinja2 expression wrapped in `{% if %}`; modern: Jinja2 test).
    When,
    /// `only_if:` (1.2: legacy `$` substitution, then a Python expression).
    OnlyIf,
    /// `when_string:` and the other typed 1.x conditions.
    WhenString,
    /// `when_integer:`.
    WhenInteger,
    /// `when_float:`.
    WhenFloat,
    /// `when_boolean:` / `when_bool:`.
    WhenBool,
    /// `when_set:`.
    WhenSet,
    /// `when_unset:`.
    WhenUnset,
    /// `when_failed:`.
    WhenFailed,
    /// `when_changed:`.
    WhenChanged,
}

impl ConditionKind {
    /// The kind for a `when_<suffix>` keyword.
    pub fn from_when_suffix(suffix: &str) -> Option<Self> {
        Some(match suffix {
            "string" => Self::WhenString,
            "integer" | "int" => Self::WhenInteger,
            "float" => Self::WhenFloat,
            "bool" | "boolean" => Self::WhenBool,
            "set" => Self::WhenSet,
            "unset" => Self::WhenUnset,
            "failed" => Self::WhenFailed,
            "changed" => Self::WhenChanged,
            _ => return None,
        })
    }
}

/// One condition; a task runs when all of its conditions hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// How to evaluate it.
    pub kind: ConditionKind,
    /// The expression, raw (a string, or a YAML bool/number).
    pub expr: Value,
    /// Where it was written (on the task, an include line, a block or a role).
    pub pos: SourcePos,
}

/// How a task loops.
#[derive(Clone, Debug, PartialEq)]
pub enum LoopKind {
    /// `with_<lookup>:` (items, dict, fileglob, nested, ...).
    With(String),
    /// Modern `loop:` (no flattening).
    Loop,
}

/// A task loop: the lookup and its raw terms.
#[derive(Clone, Debug, PartialEq)]
pub struct Loop {
    /// `with_<lookup>` or `loop`.
    pub kind: LoopKind,
    /// The terms as written (string, list, mapping), raw.
    pub terms: Value,
    /// Where.
    pub pos: SourcePos,
}

/// Module arguments as written: the `k=v` string (raw, untemplated, possibly empty) and the
/// mapping form (a mapping module value, `args:`, or a dict `action:`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskArgs {
    /// The free-form / `k=v` string (`""` when none).
    pub raw: String,
    /// Mapping arguments (merged over the parsed `raw` at run time).
    pub map: Map,
}

/// `block` / `rescue` / `always` children of a block task.
#[derive(Clone, Debug, Default)]
pub struct Block {
    /// `block:` tasks.
    pub block: Vec<Task>,
    /// `rescue:` tasks.
    pub rescue: Vec<Task>,
    /// `always:` tasks.
    pub always: Vec<Task>,
}

/// A task or handler.
#[derive(Clone, Debug)]
pub struct Task {
    /// `name:` as written (raw), if any.
    pub name: Option<String>,
    /// Module name without the `ansible.builtin.`/`ansible.legacy.` prefix; `block` for
    /// blocks, `meta` for `meta:` tasks, `include_tasks`/`include_role`/`include` for includes
    /// that can only be resolved at run time.
    pub module: String,
    /// The module as written (e.g. `ansible.builtin.copy`).
    pub module_as_written: String,
    /// Module arguments.
    pub args: TaskArgs,
    /// `action:`/`local_action:` was used (1.2 name default is that string verbatim).
    pub action_string: Option<String>,
    /// `local_action:` (delegate to the control machine, local connection).
    pub local_action: bool,
    /// Conditions, ANDed: inherited ones (includes, blocks, roles) first.
    pub when: Vec<Condition>,
    /// `with_*` / `loop`.
    pub loop_: Option<Loop>,
    /// `loop_control:`.
    pub loop_control: Option<Value>,
    /// Tags: the task's own (a string is one tag in 1.2, comma-split in modern), then inherited
    /// (include `tags=`, block, role), then play tags. `all` is implicit and not listed.
    pub tags: Vec<String>,
    /// `notify:` handler names (raw).
    pub notify: Vec<String>,
    /// A handler's `listen:` topics (modern).
    pub listen: Vec<String>,
    /// `register:`.
    pub register: Option<String>,
    /// `ignore_errors:` (raw: may be a template).
    pub ignore_errors: Option<Value>,
    /// `delegate_to:`.
    pub delegate_to: Option<Value>,
    /// `run_once:`.
    pub run_once: Option<Value>,
    /// `sudo*` / `become*`.
    pub become_: Become,
    /// `user:` / `remote_user:` at task level.
    pub remote_user: Option<Value>,
    /// `connection:` / `transport:`.
    pub connection: Option<String>,
    /// `environment:`.
    pub environment: Option<Value>,
    /// `async:`.
    pub async_: Option<Value>,
    /// `poll:`.
    pub poll: Option<Value>,
    /// `first_available_file:`.
    pub first_available_file: Option<Value>,
    /// `changed_when:`.
    pub changed_when: Option<Value>,
    /// `failed_when:`.
    pub failed_when: Option<Value>,
    /// `until:`.
    pub until: Option<Value>,
    /// `retries:`.
    pub retries: Option<Value>,
    /// `delay:`.
    pub delay: Option<Value>,
    /// `no_log:`.
    pub no_log: Option<Value>,
    /// `check_mode:`.
    pub check_mode: Option<Value>,
    /// `diff:`.
    pub diff: Option<Value>,
    /// `any_errors_fatal:`.
    pub any_errors_fatal: Option<Value>,
    /// `module_defaults:` (modern; a mapping of module name or `group/NAME` to default
    /// arguments, or a list of such mappings), inherited from the block and play, raw.
    pub module_defaults: Option<Value>,
    /// `throttle:` (modern): how many hosts run this task at once, raw.
    pub throttle: Option<Value>,
    /// Task `vars:` plus include parameters / role params (1.2 "module vars"), raw.
    pub vars: Map,
    /// Where the task starts.
    pub pos: SourcePos,
    /// Where relative `src=`, `template`, `with_file`, `lookup('file')` paths resolve: the play
    /// basedir, or the role directory for role tasks.
    pub basedir: PathBuf,
    /// The task file this task came from when it was included (1.2 `_original_file`: `src`
    /// falls back to `../files`/`../templates` next to it).
    pub included_from: Option<PathBuf>,
    /// Index into [`Play::roles`] for role tasks.
    pub role: Option<usize>,
    /// Children of a `block` task.
    pub block: Option<Box<Block>>,
}

impl Task {
    /// The name Ansible shows: `name:`, or the action line (`module args`, 1.2 style).
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        if let Some(action) = &self.action_string {
            return action.clone();
        }
        format!("{} {}", self.module_as_written, self.args.raw)
    }

    /// True for `meta:` tasks (not listed, not counted as tagged tasks).
    pub fn is_meta(&self) -> bool {
        self.module == "meta"
    }
}

impl Playbook {
    /// Load `path` and everything it includes. All errors are load-time errors with positions.
    pub fn load(path: &Path, opts: &LoadOptions) -> Result<Playbook, LoadError> {
        load::load_playbook(path, opts)
    }
}

/// Load a task file on its own (e.g. an `include_tasks` target at run time, or to check a task
/// list). Relative paths of its tasks resolve against `basedir`. The dialect is
/// `opts.dialect` or `Legacy12`.
pub fn load_task_file(
    path: &Path,
    basedir: &Path,
    opts: &LoadOptions,
) -> Result<Vec<Task>, LoadError> {
    load::load_task_file(path, basedir, opts)
}

/// Brace-smushing (spec §3.1): every `{{ ` → `{{` and ` }}` → `}}`, repeatedly.
pub fn smush_braces(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains("{{ ") && !s.contains(" }}") {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = s.to_string();
    while out.contains("{{ ") {
        out = out.replace("{{ ", "{{");
    }
    while out.contains(" }}") {
        out = out.replace(" }}", "}}");
    }
    std::borrow::Cow::Owned(out)
}

/// Brace-smush every string value (not keys) of a loaded YAML tree (vars files).
pub fn smush_node(node: &mut crate::yaml::Node) {
    node.map_strings(&mut |s| {
        if let std::borrow::Cow::Owned(new) = smush_braces(s) {
            *s = new;
        }
    });
}

/// Brace-smush every string value (not keys) of a [`Value`] tree.
pub fn smush_value(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(new) = smush_braces(s) {
                *s = new;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(smush_value),
        Value::Object(map) => map.values_mut().for_each(smush_value),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
