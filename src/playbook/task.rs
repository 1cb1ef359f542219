//! Tasks and handlers: keyword checks, module detection, task includes, blocks.

use std::path::{Path, PathBuf};

use super::detect;
use super::load::{parse_kv_raw, Loader};
use super::modules::{canonical_module_name, is_known_lookup, is_known_module};
use super::{Become, Block, Condition, ConditionKind, LoadError, Loop, LoopKind, Task, TaskArgs};
use crate::error::SourcePos;
use crate::template::Dialect;
use crate::value::{Map, Value};
use crate::yaml::{Node, NodeKind};

/// Keys allowed next to `block:`.
const BLOCK_KEYWORDS: &[&str] = &[
    "block",
    "rescue",
    "always",
    "name",
    "when",
    "tags",
    "become",
    "become_user",
    "become_method",
    "sudo",
    "sudo_user",
    "environment",
    "vars",
    "ignore_errors",
    "any_errors_fatal",
    "delegate_to",
    "run_once",
    "no_log",
    "check_mode",
    "diff",
    "connection",
    "remote_user",
    "notify",
    "module_defaults",
    "throttle",
];

/// Keys allowed on a task include (`include`, `import_tasks`, `include_tasks`).
const INCLUDE_KEYWORDS: &[&str] = &[
    "include",
    "import_tasks",
    "include_tasks",
    "name",
    "when",
    "only_if",
    "vars",
    "tags",
    "loop",
    "loop_control",
    "apply",
    "ignore_errors",
    "args",
    "notify",
];

/// What tasks inherit from the include / block / role that contains them.
#[derive(Clone, Debug)]
pub(crate) struct TaskCtx {
    /// Where relative `src` etc. resolve (play basedir or role dir).
    pub basedir: PathBuf,
    /// Directory of the file being parsed (task includes resolve against it).
    pub file_dir: PathBuf,
    /// The included task file, when not the play's own file.
    pub included_from: Option<PathBuf>,
    /// Conditions ANDed before the task's own.
    pub when: Vec<Condition>,
    /// Tags appended after the task's own.
    pub tags: Vec<String>,
    /// Include parameters / block / role vars (task vars override them).
    pub vars: Map,
    /// Role index for role tasks.
    pub role: Option<usize>,
}

impl TaskCtx {
    /// The context of a play's own task list.
    pub(crate) fn for_play(basedir: &Path) -> Self {
        TaskCtx {
            basedir: basedir.to_path_buf(),
            file_dir: basedir.to_path_buf(),
            included_from: None,
            when: Vec::new(),
            tags: Vec::new(),
            vars: Map::new(),
            role: None,
        }
    }
}

/// The string form of a scalar node (Python `str()`), `None` for null.
pub(crate) fn scalar_string(node: &Node) -> Option<String> {
    match node.kind {
        NodeKind::Null => None,
        _ => Some(node.key_string()),
    }
}

/// A task's `register:` name. Modern playbooks refuse what ansible-core refuses: a value that
/// is not a string, or not a valid variable name (letters, digits, `_`, not starting with a
/// digit).
fn register_name(node: &Node, dialect: Dialect) -> Result<Option<String>, LoadError> {
    let name = scalar_string(node);
    if dialect != Dialect::Modern {
        return Ok(name);
    }
    let type_name = match &node.kind {
        NodeKind::Null => return Ok(None),
        NodeKind::Str(_) => None,
        NodeKind::Int(_) => Some("int"),
        NodeKind::Float(_) => Some("float"),
        NodeKind::Bool(_) => Some("bool"),
        NodeKind::Seq(_) => Some("list"),
        NodeKind::Map(_) => Some("dict"),
        _ => Some("str"),
    };
    let text = name.clone().unwrap_or_default();
    let valid = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match type_name {
        Some(t) => Err(LoadError::invalid(
            &node.pos,
            format!("Invalid 'register' specified: Invalid variable name '{text}' of type '{t}'."),
        )),
        None if !valid => Err(LoadError::invalid(
            &node.pos,
            format!("Invalid 'register' specified: Invalid variable name '{text}'."),
        )),
        None => Ok(name),
    }
}

fn str_list(node: &Node) -> Vec<String> {
    match &node.kind {
        NodeKind::Null => Vec::new(),
        NodeKind::Seq(items) => items.iter().filter_map(scalar_string).collect(),
        _ => scalar_string(node).into_iter().collect(),
    }
}

/// Task-level tags: a string is one tag in 1.2, comma-separated in modern Ansible.
pub(crate) fn task_tags(node: &Node, dialect: Dialect) -> Vec<String> {
    match (&node.kind, dialect) {
        (NodeKind::Str(s), Dialect::Modern) => split_commas(s),
        _ => str_list(node),
    }
}

/// `a, b,c` → `[a, b, c]` (1.2 does not strip; we strip spaces, which 1.2 users never relied on).
pub(crate) fn split_commas(s: &str) -> Vec<String> {
    s.split(',')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn push_unique(tags: &mut Vec<String>, more: impl IntoIterator<Item = String>) {
    for t in more {
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
}

fn opt_value(node: &Node) -> Option<Value> {
    Some(node.to_value())
}

fn conditions_from(kind: ConditionKind, key: &Node, value: &Node) -> Vec<Condition> {
    let one = |expr: Value| Condition {
        kind,
        expr,
        pos: key.pos.clone(),
    };
    match &value.kind {
        NodeKind::Seq(items) if kind == ConditionKind::When => {
            items.iter().map(|i| one(i.to_value())).collect()
        }
        _ => vec![one(value.to_value())],
    }
}

fn mapping_to_map(node: &Node, what: &str) -> Result<Map, LoadError> {
    match &node.kind {
        NodeKind::Null => Ok(Map::new()),
        NodeKind::Map(_) => match node.to_value() {
            Value::Object(m) => Ok(m),
            _ => Ok(Map::new()),
        },
        _ => Err(LoadError::invalid(
            &node.pos,
            format!("{what} must be a mapping, got a {}", node.type_name()),
        )),
    }
}

/// A task being assembled from its keys.
#[derive(Default)]
struct Draft {
    module: Option<(String, SourcePos)>,
    args: TaskArgs,
    action_string: Option<String>,
    local_action: bool,
    only_if: bool,
    when_seen: bool,
    when_kind_seen: Option<String>,
}

impl Loader<'_> {
    /// Parse a task list (`tasks:`, `handlers:`, a task file, block children). Null is empty.
    pub(crate) fn parse_tasks(
        &mut self,
        list: &Node,
        ctx: &TaskCtx,
    ) -> Result<Vec<Task>, LoadError> {
        let items = match &list.kind {
            NodeKind::Null => return Ok(Vec::new()),
            NodeKind::Seq(items) => items,
            _ => {
                return Err(LoadError::invalid(
                    &list.pos,
                    format!(
                        "a task list must be a YAML list, got a {}",
                        list.type_name()
                    ),
                ))
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if item.as_map().is_none() {
                return Err(LoadError::invalid(
                    &item.pos,
                    format!("expecting dict; got: {}", item.key_string()),
                ));
            }
            if let Some(found) = include_key(item) {
                out.extend(self.parse_include(item, &found, ctx)?);
            } else if item.get("block").is_some() {
                out.push(self.parse_block(item, ctx)?);
            } else {
                out.push(self.parse_task(item, ctx)?);
            }
        }
        Ok(out)
    }

    fn parse_task(&mut self, node: &Node, ctx: &TaskCtx) -> Result<Task, LoadError> {
        let pairs = node.as_map().unwrap_or_default();
        let mut draft = Draft::default();
        let mut task = empty_task(node, ctx);
        let mut own_when = Vec::new();
        let mut own_tags = Vec::new();
        for (k, v) in pairs {
            let key = k.key_string();
            if detect::LEGACY_TASK_KEYS.contains(&key.as_str()) || key.starts_with("when_") {
                self.mark(&k.pos, format!("task keyword `{key}`"));
            }
            if detect::MODERN_TASK_KEYS.contains(&key.as_str()) || key.contains('.') {
                self.mark_modern(&k.pos, format!("task keyword or module `{key}`"));
            }
            match key.as_str() {
                "name" => task.name = scalar_string(v),
                "when" => {
                    draft.when_seen = true;
                    own_when.extend(conditions_from(ConditionKind::When, k, v));
                }
                "only_if" => {
                    draft.only_if = true;
                    own_when.extend(conditions_from(ConditionKind::OnlyIf, k, v));
                }
                "loop" => set_loop(&mut task, LoopKind::Loop, k, v)?,
                "loop_control" => task.loop_control = opt_value(v),
                "tags" => own_tags = task_tags(v, self.dialect),
                "notify" => task.notify.extend(str_list(v)),
                "listen" => task.listen.extend(str_list(v)),
                "register" => task.register = register_name(v, self.dialect)?,
                "ignore_errors" => task.ignore_errors = opt_value(v),
                "delegate_to" => task.delegate_to = opt_value(v),
                "run_once" => task.run_once = opt_value(v),
                "sudo" | "become" => task.become_.enabled = opt_value(v),
                "sudo_user" | "become_user" => task.become_.user = opt_value(v),
                "sudo_pass" => {}
                "become_method" => task.become_.method = scalar_string(v),
                "remote_user" => task.remote_user = opt_value(v),
                "environment" => task.environment = opt_value(v),
                "async" => task.async_ = opt_value(v),
                "poll" => task.poll = opt_value(v),
                "first_available_file" => task.first_available_file = opt_value(v),
                "changed_when" => task.changed_when = opt_value(v),
                "failed_when" => task.failed_when = opt_value(v),
                "until" => task.until = opt_value(v),
                "retries" => task.retries = opt_value(v),
                "delay" => task.delay = opt_value(v),
                "no_log" => task.no_log = opt_value(v),
                "check_mode" => task.check_mode = opt_value(v),
                "diff" => task.diff = opt_value(v),
                "any_errors_fatal" => task.any_errors_fatal = opt_value(v),
                "module_defaults" => task.module_defaults = opt_value(v),
                "throttle" => task.throttle = opt_value(v),
                "vars" => task.vars.extend(mapping_to_map(v, "task vars")?),
                "connection" | "transport" => task.connection = scalar_string(v),
                "args" => {
                    let map = mapping_to_map(v, "args")?;
                    draft.args.map.extend(map);
                }
                "meta" => set_module(&mut draft, "meta", k, v)?,
                "action" | "local_action" => {
                    draft.local_action = key == "local_action";
                    self.action_keyword(&mut draft, k, v)?;
                }
                _ => self.other_task_key(&mut draft, &mut task, &mut own_when, &key, k, v)?,
            }
        }
        if draft.only_if && (draft.when_seen || draft.when_kind_seen.is_some()) {
            return Err(LoadError::invalid(
                &node.pos,
                "when obsoletes only_if, only use one or the other",
            ));
        }
        let Some((module, _)) = draft.module.take() else {
            return Err(LoadError::invalid(
                &node.pos,
                format!(
                    "no action in task \"{}\": a module name, action: or local_action: is required",
                    task.name.as_deref().unwrap_or("<Unnamed>")
                ),
            ));
        };
        self.scan_task_strings(node, &module);
        task.module = canonical_module_name(&module).to_string();
        task.module_as_written = module;
        task.args = draft.args;
        task.action_string = draft.action_string;
        task.local_action = draft.local_action;
        finish_inheritance(&mut task, ctx, own_when, own_tags);
        Ok(task)
    }

    /// `with_*`, `when_*` or a module name.
    fn other_task_key(
        &mut self,
        draft: &mut Draft,
        task: &mut Task,
        own_when: &mut Vec<Condition>,
        key: &str,
        k: &Node,
        v: &Node,
    ) -> Result<(), LoadError> {
        if let Some(lookup) = key.strip_prefix("with_") {
            if !is_known_lookup(lookup) {
                return Err(LoadError::invalid(
                    &k.pos,
                    format!("cannot find lookup plugin named {lookup} for usage in with_{lookup}"),
                ));
            }
            return set_loop(task, LoopKind::With(lookup.to_string()), k, v);
        }
        if let Some(suffix) = key.strip_prefix("when_") {
            let Some(kind) = ConditionKind::from_when_suffix(suffix) else {
                return Err(LoadError::invalid(
                    &k.pos,
                    format!("unknown conditional {key}"),
                ));
            };
            if draft.when_kind_seen.is_some() || draft.when_seen {
                return Err(LoadError::invalid(
                    &k.pos,
                    "multiple when_* statements specified in task",
                ));
            }
            draft.when_kind_seen = Some(key.to_string());
            own_when.extend(conditions_from(kind, k, v));
            return Ok(());
        }
        if is_known_module(key) {
            return set_module(draft, key, k, v);
        }
        Err(LoadError::invalid(
            &k.pos,
            format!("{key} is not a legal parameter in an Ansible task or handler (not a task keyword nor a known module)"),
        ))
    }

    /// `action: module args` / `local_action: module args` (or a dict with `module:`).
    fn action_keyword(&mut self, draft: &mut Draft, k: &Node, v: &Node) -> Result<(), LoadError> {
        if draft.module.is_some() {
            return Err(LoadError::invalid(
                &k.pos,
                "multiple actions specified in task",
            ));
        }
        let (module, raw, map) = match &v.kind {
            NodeKind::Map(_) => {
                let mut map = mapping_to_map(v, "action")?;
                let Some(Value::String(module)) = map.remove("module") else {
                    return Err(LoadError::invalid(
                        &v.pos,
                        "'module' attribute missing from action",
                    ));
                };
                (module, String::new(), map)
            }
            NodeKind::Str(s) => {
                let s = s.trim_start();
                if detect::has_legacy_var(s) {
                    self.mark(&v.pos, "`$` variable in an action string".into());
                }
                draft.action_string = Some(s.to_string());
                let (m, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
                (m.to_string(), rest.trim_start().to_string(), Map::new())
            }
            _ => return Err(LoadError::invalid(&v.pos, "invalid/missing action in task")),
        };
        if module.is_empty() {
            return Err(LoadError::invalid(&v.pos, "invalid/missing action in task"));
        }
        if !is_known_module(&module) && !module.contains(['$', '{']) {
            return Err(LoadError::invalid(
                &v.pos,
                format!("unknown module {module}"),
            ));
        }
        draft.args.raw = raw;
        draft.args.map.extend(map);
        draft.module = Some((module, v.pos.clone()));
        Ok(())
    }

    fn scan_task_strings(&mut self, node: &Node, module: &str) {
        let shell = detect::shell_keys().contains(&canonical_module_name(module));
        let skip: &[&str] = if shell {
            &[module, "args", "action", "local_action"]
        } else {
            &[]
        };
        if let Some(hit) = detect::find_legacy_var(node, skip) {
            let pos = hit.pos.clone();
            self.mark(&pos, "legacy `$var` in a task value".into());
        }
    }

    fn parse_block(&mut self, node: &Node, ctx: &TaskCtx) -> Result<Task, LoadError> {
        self.mark_modern(&node.pos, "`block`".into());
        let mut block_task = empty_task(node, ctx);
        block_task.module = "block".into();
        block_task.module_as_written = "block".into();
        let mut own_when = Vec::new();
        let mut own_tags = Vec::new();
        for (k, v) in node.as_map().unwrap_or_default() {
            let key = k.key_string();
            if !BLOCK_KEYWORDS.contains(&key.as_str()) {
                return Err(LoadError::invalid(
                    &k.pos,
                    format!("{key} is not a valid attribute for a Block"),
                ));
            }
            match key.as_str() {
                "name" => block_task.name = scalar_string(v),
                "when" => own_when.extend(conditions_from(ConditionKind::When, k, v)),
                "tags" => own_tags = task_tags(v, self.dialect),
                "vars" => block_task.vars.extend(mapping_to_map(v, "block vars")?),
                "become" | "sudo" => block_task.become_.enabled = opt_value(v),
                "become_user" | "sudo_user" => block_task.become_.user = opt_value(v),
                "become_method" => block_task.become_.method = scalar_string(v),
                "environment" => block_task.environment = opt_value(v),
                "ignore_errors" => block_task.ignore_errors = opt_value(v),
                "any_errors_fatal" => block_task.any_errors_fatal = opt_value(v),
                "module_defaults" => block_task.module_defaults = opt_value(v),
                "throttle" => block_task.throttle = opt_value(v),
                "delegate_to" => block_task.delegate_to = opt_value(v),
                "run_once" => block_task.run_once = opt_value(v),
                "no_log" => block_task.no_log = opt_value(v),
                "check_mode" => block_task.check_mode = opt_value(v),
                "diff" => block_task.diff = opt_value(v),
                "connection" => block_task.connection = scalar_string(v),
                "remote_user" => block_task.remote_user = opt_value(v),
                "notify" => block_task.notify = str_list(v),
                _ => {}
            }
        }
        finish_inheritance(&mut block_task, ctx, own_when, own_tags);
        let mut child_ctx = ctx.clone();
        child_ctx.when = block_task.when.clone();
        child_ctx.tags = block_task.tags.clone();
        child_ctx.vars = block_task.vars.clone();
        let mut block = Block::default();
        for (section, list) in [
            ("block", &mut block.block),
            ("rescue", &mut block.rescue),
            ("always", &mut block.always),
        ] {
            if let Some(children) = node.get(section) {
                *list = self.parse_tasks(children, &child_ctx)?;
                list.iter_mut()
                    .for_each(|t| inherit_block_settings(t, &block_task));
            }
        }
        block_task.block = Some(Box::new(block));
        Ok(block_task)
    }

    /// `include: f k=v` (1.2), `import_tasks: f`, `include_tasks: f`: expanded at load time
    /// when the file name is literal and there is no loop; otherwise kept as a run-time task.
    fn parse_include(
        &mut self,
        node: &Node,
        found: &IncludeKey<'_>,
        ctx: &TaskCtx,
    ) -> Result<Vec<Task>, LoadError> {
        let (key, value) = (found.key, found.value);
        if key == "include" {
            self.mark(&node.pos, "task-level `include:`".into());
        } else {
            self.mark_modern(&node.pos, format!("`{key}`"));
        }
        let mut own_when = Vec::new();
        let mut own_tags = Vec::new();
        let mut vars = ctx.vars.clone();
        let mut loop_items: Option<&Node> = None;
        for (k, v) in node.as_map().unwrap_or_default() {
            let kname = k.key_string();
            match kname.as_str() {
                "when" => own_when.extend(conditions_from(ConditionKind::When, k, v)),
                "only_if" => own_when.extend(conditions_from(ConditionKind::OnlyIf, k, v)),
                "tags" => own_tags = task_tags(v, self.dialect),
                "vars" => vars.extend(mapping_to_map(v, "include vars")?),
                n if n.starts_with("when_") => {
                    let kind = ConditionKind::from_when_suffix(&n[5..]).ok_or_else(|| {
                        LoadError::invalid(&k.pos, format!("unknown conditional {n}"))
                    })?;
                    self.mark(&k.pos, format!("task keyword `{n}`"));
                    own_when.extend(conditions_from(kind, k, v));
                }
                n if n.starts_with("with_") || n == "loop" => loop_items = Some(v),
                n if INCLUDE_KEYWORDS.contains(&n) || n == found.written => {}
                n => {
                    return Err(LoadError::invalid(
                        &k.pos,
                        format!(
                            "parse error: task includes cannot be used with other directives: {n}"
                        ),
                    ))
                }
            }
        }
        let spec = match &value.kind {
            NodeKind::Str(s) => s.clone(),
            NodeKind::Map(_) => value
                .get("file")
                .and_then(scalar_string)
                .unwrap_or_default(),
            _ => String::new(),
        };
        // ansible-core keeps a templated name whole (`{{ lookup('first_found', files) }}`).
        let (file, params) = if key != "include" && spec.contains("{{") {
            (spec.trim().to_string(), Map::new())
        } else {
            parse_kv_raw(&spec, &value.pos)?
        };
        if key == "include_tasks" && self.dialect == Dialect::Modern {
            // ansible-core: `include_tasks` is always dynamic (its `when` applies to the include).
            return Ok(vec![self.dynamic_include(node, found, &spec, ctx)?]);
        }
        if let Some(Value::String(t)) = params.get("tags") {
            push_unique(&mut own_tags, split_commas(t));
        }
        vars.extend(params);
        let items = match loop_items {
            None => vec![None],
            Some(terms) => match literal_items(terms) {
                Some(items) => items.into_iter().map(Some).collect(),
                None => return Ok(vec![self.dynamic_include(node, found, &spec, ctx)?]),
            },
        };
        let notify = node.get("notify").map(str_list).unwrap_or_default();
        let mut out = Vec::new();
        for item in items {
            let mut item_vars = vars.clone();
            if let Some(item) = item {
                item_vars.insert("item".into(), item);
            }
            let Some(name) = self.substitute(&file, &item_vars) else {
                if key == "include" && loop_items.is_none() {
                    return Err(LoadError::invalid(
                        &value.pos,
                        format!("cannot resolve the include file name {file} at load time"),
                    ));
                }
                return Ok(vec![self.dynamic_include(node, found, &spec, ctx)?]);
            };
            let path = super::load::path_dwim(&ctx.file_dir, &name);
            let docs = self.read_file(&path, &value.pos)?;
            let mut child = ctx.clone();
            child.file_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            child.included_from = Some(path.clone());
            child.when.extend(own_when.iter().cloned());
            push_unique(&mut child.tags, own_tags.iter().cloned());
            child.vars = item_vars;
            let empty = Node::new(NodeKind::Null, value.pos.clone());
            let list = docs.first().unwrap_or(&empty);
            let mut tasks = self.parse_tasks(list, &child)?;
            tasks.iter_mut().for_each(|t| add_notify(t, &notify));
            out.extend(tasks);
        }
        Ok(out)
    }

    /// A task include that can only be resolved at run time.
    fn dynamic_include(
        &mut self,
        node: &Node,
        found: &IncludeKey<'_>,
        spec: &str,
        ctx: &TaskCtx,
    ) -> Result<Task, LoadError> {
        let key = found.key;
        let mut task = empty_task(node, ctx);
        task.module = if key == "import_tasks" {
            "include_tasks".into()
        } else {
            key.to_string()
        };
        task.module_as_written = found.written.to_string();
        task.args.raw = spec.to_string();
        let mut own_when = Vec::new();
        let mut own_tags = Vec::new();
        for (k, v) in node.as_map().unwrap_or_default() {
            match k.key_string().as_str() {
                "name" => task.name = scalar_string(v),
                "when" => own_when.extend(conditions_from(ConditionKind::When, k, v)),
                "only_if" => own_when.extend(conditions_from(ConditionKind::OnlyIf, k, v)),
                "tags" => own_tags = task_tags(v, self.dialect),
                "vars" => task.vars.extend(mapping_to_map(v, "include vars")?),
                "loop" => set_loop(&mut task, LoopKind::Loop, k, v)?,
                "loop_control" => task.loop_control = opt_value(v),
                n if n.starts_with("with_") => {
                    set_loop(&mut task, LoopKind::With(n[5..].to_string()), k, v)?
                }
                _ => {}
            }
        }
        finish_inheritance(&mut task, ctx, own_when, own_tags);
        Ok(task)
    }
}

/// A task's include keyword: its short name, the key as written (maybe FQCN), its value.
struct IncludeKey<'n> {
    /// `include`, `import_tasks` or `include_tasks`.
    key: &'static str,
    /// The key as written (`ansible.builtin.include_tasks`, …).
    written: String,
    /// The key's value (file name or argument mapping).
    value: &'n Node,
}

/// The include keyword of a task mapping (short or FQCN form), if it is an include.
fn include_key(node: &Node) -> Option<IncludeKey<'_>> {
    const KEYS: [&str; 3] = ["include", "import_tasks", "include_tasks"];
    node.as_map().unwrap_or_default().iter().find_map(|(k, v)| {
        let written = k.key_string();
        let key = KEYS
            .into_iter()
            .find(|s| *s == canonical_module_name(&written))?;
        Some(IncludeKey {
            key,
            written,
            value: v,
        })
    })
}

/// Loop terms that are a literal list without templates (usable at load time).
fn literal_items(terms: &Node) -> Option<Vec<Value>> {
    let items = terms.as_seq()?;
    let values: Vec<Value> = items.iter().map(Node::to_value).collect();
    let templated = values.iter().any(|v| {
        v.as_str()
            .is_some_and(|s| s.contains("{{") || detect::has_legacy_var(s))
    });
    (!templated).then_some(values)
}

fn set_module(draft: &mut Draft, key: &str, k: &Node, v: &Node) -> Result<(), LoadError> {
    if let Some((other, _)) = &draft.module {
        return Err(LoadError::invalid(
            &k.pos,
            format!("multiple actions specified in task: {other} and {key}"),
        ));
    }
    match &v.kind {
        NodeKind::Null => {}
        NodeKind::Str(s) => draft.args.raw = s.clone(),
        NodeKind::Map(_) => {
            if !draft.args.map.is_empty() {
                return Err(LoadError::invalid(
                    &k.pos,
                    format!("can't combine args: and a dict for {key}:"),
                ));
            }
            draft.args.map = mapping_to_map(v, key)?;
        }
        NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Timestamp(_)
            if key == "meta" =>
        {
            draft.args.raw = v.key_string();
        }
        _ => {
            return Err(LoadError::invalid(
                &v.pos,
                format!(
                    "action specified for task {key} has invalid type {}",
                    v.type_name()
                ),
            ))
        }
    }
    draft.module = Some((key.to_string(), k.pos.clone()));
    Ok(())
}

fn set_loop(task: &mut Task, kind: LoopKind, k: &Node, v: &Node) -> Result<(), LoadError> {
    if task.loop_.is_some() {
        return Err(LoadError::invalid(
            &k.pos,
            "only one loop (with_* or loop) is allowed per task",
        ));
    }
    task.loop_ = Some(Loop {
        kind,
        terms: v.to_value(),
        pos: k.pos.clone(),
    });
    Ok(())
}

/// A task with only its position and context filled in.
pub(crate) fn empty_task(node: &Node, ctx: &TaskCtx) -> Task {
    Task {
        name: None,
        module: String::new(),
        module_as_written: String::new(),
        args: TaskArgs::default(),
        action_string: None,
        local_action: false,
        when: Vec::new(),
        loop_: None,
        loop_control: None,
        tags: Vec::new(),
        notify: Vec::new(),
        listen: Vec::new(),
        register: None,
        ignore_errors: None,
        delegate_to: None,
        run_once: None,
        become_: Become::default(),
        remote_user: None,
        connection: None,
        environment: None,
        async_: None,
        poll: None,
        first_available_file: None,
        changed_when: None,
        failed_when: None,
        until: None,
        retries: None,
        delay: None,
        no_log: None,
        check_mode: None,
        diff: None,
        any_errors_fatal: None,
        module_defaults: None,
        throttle: None,
        vars: Map::new(),
        pos: node.pos.clone(),
        basedir: ctx.basedir.clone(),
        included_from: ctx.included_from.clone(),
        role: ctx.role,
        block: None,
    }
}

/// Inherited conditions first, own tags then inherited tags, inherited vars under own vars.
fn finish_inheritance(
    task: &mut Task,
    ctx: &TaskCtx,
    own_when: Vec<Condition>,
    own_tags: Vec<String>,
) {
    let mut when = ctx.when.clone();
    when.extend(own_when);
    task.when = when;
    let mut tags = Vec::new();
    push_unique(&mut tags, own_tags);
    push_unique(&mut tags, ctx.tags.iter().cloned());
    task.tags = tags;
    if !ctx.vars.is_empty() {
        let mut vars = ctx.vars.clone();
        vars.extend(std::mem::take(&mut task.vars));
        task.vars = vars;
    }
}

/// `notify` of an `import_tasks`: every imported task (and block child) notifies too.
fn add_notify(task: &mut Task, notify: &[String]) {
    if notify.is_empty() {
        return;
    }
    match task.block.as_mut() {
        Some(block) => block
            .block
            .iter_mut()
            .chain(block.rescue.iter_mut())
            .chain(block.always.iter_mut())
            .for_each(|t| add_notify(t, notify)),
        None => push_unique(&mut task.notify, notify.iter().cloned()),
    }
}

/// `module_defaults` of a parent (play or block) and a child: the parent's entries first, the
/// child's after them (so the child's win), as ansible-core extends the list.
fn extend_module_defaults(parent: &Value, child: &Value) -> Value {
    let as_list = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    let mut items = as_list(parent);
    items.extend(as_list(child));
    Value::Array(items)
}

/// Block settings a child inherits when it does not set them itself.
pub(crate) fn inherit_block_settings(child: &mut Task, block: &Task) {
    fn fill<T: Clone>(slot: &mut Option<T>, from: &Option<T>) {
        if slot.is_none() {
            slot.clone_from(from);
        }
    }
    fill(&mut child.become_.enabled, &block.become_.enabled);
    fill(&mut child.become_.user, &block.become_.user);
    fill(&mut child.become_.method, &block.become_.method);
    fill(&mut child.environment, &block.environment);
    fill(&mut child.ignore_errors, &block.ignore_errors);
    fill(&mut child.any_errors_fatal, &block.any_errors_fatal);
    fill(&mut child.delegate_to, &block.delegate_to);
    fill(&mut child.run_once, &block.run_once);
    fill(&mut child.no_log, &block.no_log);
    fill(&mut child.check_mode, &block.check_mode);
    fill(&mut child.diff, &block.diff);
    fill(&mut child.connection, &block.connection);
    fill(&mut child.remote_user, &block.remote_user);
    child.module_defaults = match (&block.module_defaults, child.module_defaults.take()) {
        (Some(parent), Some(own)) => Some(extend_module_defaults(parent, &own)),
        (parent, own) => own.or_else(|| parent.clone()),
    };
    fill(&mut child.throttle, &block.throttle);
    if let Some(b) = &mut child.block {
        for t in b.block.iter_mut().chain(&mut b.rescue).chain(&mut b.always) {
            inherit_block_settings(t, block);
        }
    }
}
