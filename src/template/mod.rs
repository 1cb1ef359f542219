//! Templating: Jinja2 (minijinja with Jinja2 2.7 semantics and Ansible's filters), Ansible 1.2's
//! legacy `$var` pass, conditions (`when`, `only_if`, `when_*`) and loop items (`with_<lookup>`).
//!
//! Entry point: [`Templar`] (cheap to clone, shared by every host's task), called with a
//! [`TemplateContext`] holding the host's variables. Rules and 1.2's quirks: `docs/templating.md`.

mod engine;
mod filters;
mod jinja;
mod legacy;
mod lookup;
mod loopset;
pub(crate) mod py2dict;
mod pyeval;
mod pyfmt;
mod yamlout;

pub use pyeval::{py_eval, safe_eval, PyVal};
pub use pyfmt::{python3_repr, python_repr, python_str};

use crate::playbook::ConditionKind;
use crate::value::{Map, Value};
use engine::Engine;
use jinja::{Jinja, JinjaOutcome, Mode};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which Ansible a playbook was written for. Decides undefined-variable handling, `when`
/// evaluation and variable precedence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Ansible 1.2 (mid 2013): legacy `$var`, `only_if`, undefined variables left unrendered in
    /// arguments and rendered empty in template files, 1.2 precedence.
    #[default]
    Legacy12,
    /// Modern Ansible (2.x+): undefined variables are errors, modern precedence.
    Modern,
}

/// Read access to other hosts' variables (`hostvars`), provided by the vars stage as a cheap
/// snapshot so templates can read `hostvars[h][...]` without copying every host's variables.
pub trait HostVarsLookup: Send + Sync {
    /// The hosts `hostvars` contains, in the order they entered the run (Ansible 1.2: hosts
    /// seen so far in this run; modern: every inventory host).
    fn hosts(&self) -> Vec<String>;
    /// All variables of one host (inventory vars + facts + registered results, …).
    fn get(&self, host: &str) -> Option<Value>;
    /// Where templates keep the hosts' values once converted, for as long as this snapshot
    /// lives: every host of a task renders with the same snapshot, so each host's variables are
    /// built and converted once per task instead of once per host that reads them.
    fn template_cache(&self) -> Option<&HostVarsCache> {
        None
    }
}

/// Converted `hostvars[h]` values, shared by the renders that use one [`HostVarsLookup`].
#[derive(Default)]
pub struct HostVarsCache(std::sync::Mutex<std::collections::HashMap<String, minijinja::Value>>);

impl HostVarsCache {
    fn get(&self, host: &str) -> Option<minijinja::Value> {
        self.0.lock().ok()?.get(host).cloned()
    }

    fn put(&self, host: &str, value: &minijinja::Value) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(host.to_string(), value.clone());
        }
    }
}

impl std::fmt::Debug for HostVarsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostVarsCache")
    }
}

/// A templating failure. Messages name the template (file or abbreviated text) and the line
/// where known.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// Jinja2 failed on a string (module argument, condition, name).
    #[error("template error in \"{source_name}\" (line {line}): {msg}")]
    Jinja {
        /// The (abbreviated) template text.
        source_name: String,
        /// 1-based line inside the text.
        line: usize,
        /// What went wrong.
        msg: String,
    },
    /// Jinja2 failed on a template file.
    #[error("{}:{line}: {msg}", path.display())]
    File {
        /// The template file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What went wrong.
        msg: String,
    },
    /// The template file cannot be read.
    #[error("unable to read {}", .0.display())]
    Unreadable(PathBuf),
    /// The template file is not UTF-8.
    #[error("unable to process as utf-8: {}", .0.display())]
    NotUtf8(PathBuf),
    /// Variables refer to each other without end.
    #[error("template recursion depth exceeded: {0}")]
    Recursion(String),
    /// A lookup plugin failed.
    #[error("{0}")]
    Lookup(String),
    /// A condition did not evaluate to a boolean (1.2: host becomes unreachable).
    #[error("{0}")]
    Condition(String),
}

impl TemplateError {
    /// The name of the undefined variable this error is about, if it is one.
    pub fn undefined_name(&self) -> Option<&str> {
        let msg = match self {
            TemplateError::Jinja { msg, .. } | TemplateError::File { msg, .. } => msg,
            _ => return None,
        };
        let rest = msg.strip_prefix("undefined value")?;
        let start = rest.find('`')? + 1;
        let len = rest[start..].find('`')?;
        Some(&rest[start..start + len])
    }

    /// The reason in ansible-core's words (`'x' is undefined`, `Syntax error in template: …`,
    /// `File '…' could not be decoded as 'utf-8'…`), without where it happened.
    pub fn ansible_reason(&self) -> String {
        if let Some(name) = self.undefined_name() {
            return format!("'{name}' is undefined");
        }
        match self {
            TemplateError::Jinja { msg, .. } | TemplateError::File { msg, .. } => {
                match msg.strip_prefix("syntax error: ") {
                    Some(detail) => format!("Syntax error in template: {detail}"),
                    None => msg.clone(),
                }
            }
            TemplateError::NotUtf8(path) => format!(
                "File '{}' could not be decoded as 'utf-8'. This file must be UTF-8 encoded.",
                path.display()
            ),
            other => other.to_string(),
        }
    }
}

/// The variables and settings of one templating call.
pub struct TemplateContext<'a> {
    /// The host's variables for this task (including `item`, `inventory_hostname`, `groups`…).
    pub vars: &'a Map,
    /// Relative paths (lookups, template files) resolve against this (the play's basedir).
    pub basedir: &'a Path,
    /// 1.2 or modern semantics.
    pub dialect: Dialect,
    /// Other hosts' variables for `hostvars` (else `vars["hostvars"]` is used if present).
    pub hostvars: Option<Arc<dyn HostVarsLookup>>,
    /// Make undefined variables in template files errors instead of empty text (1.2 default:
    /// empty, with a warning).
    pub strict_undefined: bool,
}

impl<'a> TemplateContext<'a> {
    /// A context with lenient template files (`strict_undefined` off).
    pub fn new(
        vars: &'a Map,
        basedir: &'a Path,
        dialect: Dialect,
        hostvars: Option<Arc<dyn HostVarsLookup>>,
    ) -> Self {
        Self {
            vars,
            basedir,
            dialect,
            hostvars,
            strict_undefined: false,
        }
    }
}

/// A rendered template file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The file's new content.
    pub text: String,
    /// Things 1.2 did silently (undefined variables rendered empty), with file and line.
    pub warnings: Vec<String>,
}

/// Shared templating state (compiled-template caches).
pub(crate) struct Inner {
    pub(crate) jinja: Jinja,
}

/// The templating engine. Clone it freely; compiled templates are cached by source text.
#[derive(Clone)]
pub struct Templar {
    inner: Arc<Inner>,
}

impl Default for Templar {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Templar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templar")
    }
}

impl Templar {
    /// A new engine with empty caches.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                jinja: Jinja::new(),
            }),
        }
    }

    /// Template every string inside `v` recursively (Legacy12: Jinja2, then 1.2's legacy `$`
    /// pass; Modern: Jinja2 only). A string that is one `$var` token (1.2) or one `{{ expr }}`
    /// (modern) keeps the value's type.
    pub fn template_value(&self, v: &Value, ctx: &TemplateContext) -> Result<Value, TemplateError> {
        Engine::new(&self.inner, ctx).template(v, 0, true)
    }

    /// Template a string and return Python's `str()` of the result.
    pub fn template_str(&self, s: &str, ctx: &TemplateContext) -> Result<String, TemplateError> {
        let v = self.template_value(&Value::String(s.to_string()), ctx)?;
        Ok(python_str(&v))
    }

    /// Evaluate a task condition. `expr` is the raw condition as written (string, bool, or a
    /// list for modern `when:` lists, all of which must hold).
    pub fn eval_condition(
        &self,
        kind: ConditionKind,
        expr: &Value,
        ctx: &TemplateContext,
    ) -> Result<bool, TemplateError> {
        let eng = Engine::new(&self.inner, ctx);
        if let Value::Array(items) = expr {
            for item in items {
                if !self.eval_condition(kind, item, ctx)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        if ctx.dialect == Dialect::Modern && kind == ConditionKind::When {
            return modern_when(&eng, expr);
        }
        let compiled = compile_condition(kind, expr)?;
        let templated = eng.template(&compiled, 0, false)?;
        check_conditional(&templated)
    }

    /// The items of a `with_<lookup>` loop (or `loop:` with `lookup` = `"loop"`): `terms` is
    /// templated, then the lookup plugin runs.
    pub fn loop_items(
        &self,
        lookup: &str,
        terms: &Value,
        ctx: &TemplateContext,
    ) -> Result<Vec<Value>, TemplateError> {
        let eng = Engine::new(&self.inner, ctx);
        let templated = eng.template(terms, 0, true)?;
        if lookup == "loop" {
            return match templated {
                Value::Array(a) => Ok(a),
                Value::Null => Ok(vec![]),
                other => Err(TemplateError::Lookup(format!(
                    "Invalid data passed to 'loop', it requires a list, got this instead: {}",
                    python_str(&other)
                ))),
            };
        }
        match eng.run_lookup(&lookup.to_lowercase(), &templated)? {
            Some(items) => Ok(items),
            None => Err(TemplateError::Lookup(format!(
                "lookup plugin ({lookup}) not found"
            ))),
        }
    }

    /// Render a template file like 1.2's `template_from_file`: Jinja2 with lenient undefined
    /// (empty text, reported in `warnings`), the `template_*`/`ansible_managed` variables, a
    /// final newline kept, then the legacy pass over the output. `path` is relative to
    /// `ctx.basedir` unless absolute.
    pub fn render_file(
        &self,
        path: &Path,
        ctx: &TemplateContext,
    ) -> Result<Rendered, TemplateError> {
        Engine::new(&self.inner, ctx).render_file_text(path)
    }
}

impl Engine<'_> {
    /// `template_from_file`.
    pub(crate) fn render_file_text(&self, path: &Path) -> Result<Rendered, TemplateError> {
        let realpath = lookup::path_dwim(self.ctx.basedir, &path.to_string_lossy());
        let bytes =
            std::fs::read(&realpath).map_err(|_| TemplateError::Unreadable(realpath.clone()))?;
        let bytes = crate::vault::plaintext_of(bytes).map_err(|e| TemplateError::File {
            path: realpath.clone(),
            line: 1,
            msg: e.to_string(),
        })?;
        let mut data =
            String::from_utf8(bytes).map_err(|_| TemplateError::NotUtf8(realpath.clone()))?;
        let mut warnings = Vec::new();
        if data.starts_with("#jinja2:") {
            let eol = data.find('\n').unwrap_or(data.len());
            warnings.push(format!(
                "{}:1: ignoring Jinja2 environment overrides {}",
                realpath.display(),
                &data[..eol]
            ));
            data = data.get(eol + 1..).unwrap_or("").to_string();
        }
        // Only templates that mention them pay for the host/owner/time look-ups.
        let extra = if data.contains("template_") || data.contains("ansible_managed") {
            file_vars(&realpath)
        } else {
            Map::new()
        };
        let eng = Engine {
            inner: self.inner,
            ctx: self.ctx,
            extra: Some(&extra),
            misses: Default::default(),
        };
        let mode = if self.ctx.dialect == Dialect::Modern {
            Mode::Modern
        } else if self.ctx.strict_undefined {
            Mode::Strict12
        } else {
            Mode::Lenient12
        };
        let file_err = |e: minijinja::Error| TemplateError::File {
            path: realpath.clone(),
            line: e.line().unwrap_or(1),
            msg: jinja::error_text(&e),
        };
        let mut res = match self.inner.jinja.render(&eng, &data, mode, 0)? {
            JinjaOutcome::Rendered(s) => s,
            JinjaOutcome::Undefined(e) | JinjaOutcome::Syntax(e) | JinjaOutcome::Failed(e) => {
                return Err(file_err(e))
            }
        };
        for name in eng.misses.borrow().iter() {
            if warnings
                .iter()
                .any(|w| w.ends_with(&format!("'{name}' rendered empty")))
            {
                continue;
            }
            let line = data
                .lines()
                .position(|l| l.contains(name.as_str()))
                .map(|i| i + 1)
                .unwrap_or(1);
            warnings.push(format!(
                "{}:{line}: undefined variable '{name}' rendered empty",
                realpath.display()
            ));
        }
        if data.ends_with('\n') && !res.ends_with('\n') {
            res.push('\n');
        }
        let text = if self.ctx.dialect == Dialect::Legacy12 {
            let v = eng.template(&Value::String(res), 0, true)?;
            python_str(&v)
        } else {
            res
        };
        Ok(Rendered { text, warnings })
    }
}

/// The `template_*` and `ansible_managed` variables of a template file.
fn file_vars(realpath: &Path) -> Map {
    use std::os::unix::fs::MetadataExt;
    let mut m = Map::new();
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    let meta = std::fs::metadata(realpath).ok();
    let uid = meta.as_ref().map(|m| m.uid()).unwrap_or(0);
    let owner = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string());
    let mtime = meta.as_ref().map(|m| m.mtime()).unwrap_or(0);
    let fmt_time = |secs: i64, fmt: &[time::format_description::FormatItem<'_>]| {
        let t = time::OffsetDateTime::from_unix_timestamp(secs)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let offset = time::UtcOffset::local_offset_at(t).unwrap_or(time::UtcOffset::UTC);
        t.to_offset(offset).format(fmt).unwrap_or_default()
    };
    let ymdhms = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let path = realpath.to_string_lossy().into_owned();
    m.insert("template_host".into(), Value::String(host.clone()));
    m.insert("template_path".into(), Value::String(path.clone()));
    m.insert(
        "template_mtime".into(),
        Value::String(fmt_time(mtime, ymdhms)),
    );
    m.insert("template_uid".into(), Value::String(owner.clone()));
    m.insert("template_fullpath".into(), Value::String(path.clone()));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    m.insert(
        "template_run_date".into(),
        Value::String(fmt_time(now, ymdhms)),
    );
    m.insert(
        "ansible_managed".into(),
        Value::String(format!(
            "Ansible managed: {path} modified on {} by {owner} on {host}",
            fmt_time(mtime, ymdhms)
        )),
    );
    m
}

/// 1.2's `compile_when_to_only_if` (and `only_if` as written).
fn compile_condition(kind: ConditionKind, expr: &Value) -> Result<Value, TemplateError> {
    let text = || python_str(expr);
    let invalid =
        |e: &str| TemplateError::Condition(format!("invalid usage of when_ operator: {e}"));
    let tokens = |s: &str| -> Result<Vec<String>, TemplateError> {
        let t: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        if t.is_empty() {
            return Err(invalid(s));
        }
        Ok(t)
    };
    Ok(match kind {
        ConditionKind::OnlyIf => expr.clone(),
        ConditionKind::When => {
            let s = text();
            let t = tokens(&s)?;
            Value::String(format!(
                "{{% if {} %}} True {{% else %}} False {{% endif %}}",
                t.join(" ").trim()
            ))
        }
        ConditionKind::WhenSet | ConditionKind::WhenUnset => {
            let which = if kind == ConditionKind::WhenSet {
                "set"
            } else {
                "unset"
            };
            let s = text();
            let t: Vec<String> = tokens(&s)?
                .into_iter()
                .map(|t| {
                    if t.contains('$') {
                        format!("is_{which}('''{t}''')")
                    } else {
                        t
                    }
                })
                .collect();
            Value::String(t.join(" "))
        }
        ConditionKind::WhenFailed | ConditionKind::WhenChanged => {
            let which = if kind == ConditionKind::WhenFailed {
                "failed"
            } else {
                "changed"
            };
            let s = text();
            let t: Vec<String> = tokens(&s)?
                .into_iter()
                .map(|t| {
                    if t.contains('$') {
                        format!("is_{which}({t})")
                    } else {
                        t
                    }
                })
                .collect();
            Value::String(t.join(" "))
        }
        ConditionKind::WhenString | ConditionKind::WhenInteger | ConditionKind::WhenFloat => {
            let s = text();
            let is_str = kind == ConditionKind::WhenString;
            let t: Vec<String> = tokens(&s)?
                .into_iter()
                .map(|t| {
                    let first = t.trim().chars().next().unwrap_or(' ');
                    if is_str && (first.is_alphabetic() || first == '$') && t.trim() != "in" {
                        format!("'{t}'")
                    } else {
                        t
                    }
                })
                .collect();
            Value::String(t.join(" "))
        }
        ConditionKind::WhenBool => {
            let s = text();
            let t: Vec<String> = tokens(&s)?
                .into_iter()
                .map(|t| {
                    if t.contains('$') {
                        format!("(is_set('''{t}''') and '''{t}'''.lower() not in ('false', 'no', 'n', 'none', '0', ''))")
                    } else {
                        t
                    }
                })
                .collect();
            Value::String(t.join(" "))
        }
    })
}

/// 1.2's `check_conditional` (plus the runner's truth test).
fn check_conditional(v: &Value) -> Result<bool, TemplateError> {
    let Value::String(s) = v else {
        return Ok(match v {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_f64().unwrap_or(0.0) != 0.0,
            Value::Array(a) => !a.is_empty(),
            Value::Object(m) => !m.is_empty(),
            Value::String(_) => unreachable!(),
        });
    };
    let s = s.replace('\n', "\\n");
    match safe_eval(&s) {
        PyVal::Bool(b) => Ok(b),
        PyVal::Int(i) if i == 0 || i == 1 => Ok(i == 1),
        PyVal::Float(f) if f == 0.0 || f == 1.0 => Ok(f == 1.0),
        _ => Err(TemplateError::Condition(format!(
            "Conditional expression must evaluate to True or False: {s}"
        ))),
    }
}

/// Modern `when:`: a bare Jinja2 expression (or `{{ expr }}`), true if truthy; bools as is.
fn modern_when(eng: &Engine<'_>, expr: &Value) -> Result<bool, TemplateError> {
    let s = match expr {
        Value::String(s) => s.trim().to_string(),
        Value::Bool(b) => return Ok(*b),
        Value::Null => return Ok(false),
        other => python_str(other),
    };
    let s = match s.strip_prefix("{{").and_then(|x| x.strip_suffix("}}")) {
        Some(inner) => inner.trim().to_string(),
        None => s,
    };
    let (_, truthy) = eng.inner.jinja.eval_expr_mj(eng, &s, 0, Mode::Modern)?;
    Ok(truthy)
}

#[cfg(test)]
mod tests;
