//! Playbook files → plays: play-level includes, play keywords, roles, dialect detection.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use super::detect;
use super::task::{scalar_string, split_commas, TaskCtx};
use super::{
    smush_node, Become, LoadError, LoadOptions, Play, Playbook, Role, Task, VarsFileEntry,
};
use crate::error::SourcePos;
use crate::template::Dialect;
use crate::value::{Map, Value};
use crate::yaml::{self, Node, NodeKind};

/// Play keywords: Ansible 1.2's whitelist plus the modern ones flock models.
const PLAY_KEYWORDS: &[&str] = &[
    "hosts",
    "name",
    "vars",
    "vars_prompt",
    "vars_files",
    "tasks",
    "handlers",
    "user",
    "port",
    "include",
    "sudo",
    "sudo_user",
    "connection",
    "tags",
    "gather_facts",
    "serial",
    "any_errors_fatal",
    "roles",
    "pre_tasks",
    "post_tasks",
    "remote_user",
    "become",
    "become_user",
    "become_method",
    "strategy",
    "environment",
    "max_fail_percentage",
    "no_log",
    "order",
];

/// How many dialect markers are kept for the report.
const MAX_MARKERS: usize = 10;

/// Loader state shared by the playbook, task and role parsers.
pub(crate) struct Loader<'o> {
    pub(crate) opts: &'o LoadOptions,
    /// The dialect the tree is being built for (smushing, tag splitting).
    pub(crate) dialect: Dialect,
    cache: HashMap<PathBuf, Rc<Vec<Node>>>,
    pub(crate) markers: Vec<(SourcePos, String)>,
    /// Modern-only constructs seen (decide `Modern` when no 1.2-only construct was seen).
    pub(crate) modern_markers: Vec<(SourcePos, String)>,
    include_stack: Vec<PathBuf>,
}

/// Load a playbook: build for Ansible 1.2 first; if no 1.2-only construct but some modern-only
/// construct was seen (and no dialect was forced), rebuild from the cached YAML for modern
/// Ansible. A playbook with neither gets `opts.without_markers` (the entry point's choice;
/// 1.2 when unset).
pub(crate) fn load_playbook(path: &Path, opts: &LoadOptions) -> Result<Playbook, LoadError> {
    let mut loader = Loader {
        opts,
        dialect: opts.dialect.unwrap_or(Dialect::Legacy12),
        cache: HashMap::new(),
        markers: Vec::new(),
        modern_markers: Vec::new(),
        include_stack: Vec::new(),
    };
    let top = SourcePos::file_start(path);
    let mut plays = loader.load_plays(path, &opts.vars, &top)?;
    let detected = if !loader.markers.is_empty() {
        Dialect::Legacy12
    } else if !loader.modern_markers.is_empty() {
        Dialect::Modern
    } else {
        opts.without_markers.unwrap_or(Dialect::Legacy12)
    };
    let dialect = opts.dialect.unwrap_or(detected);
    if dialect != loader.dialect {
        loader.dialect = dialect;
        loader.markers.clear();
        loader.modern_markers.clear();
        plays = loader.load_plays(path, &opts.vars, &top)?;
    }
    for play in &plays {
        loader.check_static_vars_files(play)?;
    }
    Ok(Playbook {
        path: path.to_path_buf(),
        plays,
        dialect,
        legacy_markers: loader.markers,
        modern_markers: loader.modern_markers,
    })
}

/// Load a task file on its own (a role's `tasks/main.yml`, an `include_tasks` target at run
/// time): its tasks get `basedir` for relative paths and remember the file they came from.
pub(crate) fn load_task_file(
    path: &Path,
    basedir: &Path,
    opts: &LoadOptions,
) -> Result<Vec<Task>, LoadError> {
    let mut loader = Loader {
        opts,
        dialect: opts.dialect.unwrap_or(Dialect::Legacy12),
        cache: HashMap::new(),
        markers: Vec::new(),
        modern_markers: Vec::new(),
        include_stack: Vec::new(),
    };
    let abs = normalize(path);
    let docs = loader.read_file(&abs, &SourcePos::file_start(path))?;
    let mut ctx = TaskCtx::for_play(basedir);
    ctx.file_dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    ctx.included_from = Some(abs.clone());
    let empty = Node::new(NodeKind::Null, SourcePos::file_start(path));
    loader.parse_tasks(docs.first().unwrap_or(&empty), &ctx)
}

/// Ansible's `path_dwim`: absolute paths kept, `~` expanded, others joined to `basedir`; the
/// result is made absolute and normalised lexically (no symlink resolution).
pub(crate) fn path_dwim(basedir: &Path, name: &str) -> PathBuf {
    let joined = if let Some(rest) = name.strip_prefix("~/") {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(rest)
    } else {
        basedir.join(name)
    };
    normalize(&joined)
}

/// Absolute (against the current directory) and lexically normalised.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `file k=v k2="v 2"` → (`file`, {k: v, k2: "v 2"}), values raw (templated later).
pub(crate) fn parse_kv_raw(spec: &str, pos: &SourcePos) -> Result<(String, Map), LoadError> {
    let tokens = shlex::split(spec)
        .ok_or_else(|| LoadError::invalid(pos, format!("unbalanced quotes in include: {spec}")))?;
    let mut tokens = tokens.into_iter();
    let file = tokens.next().unwrap_or_default();
    let mut params = Map::new();
    for t in tokens {
        let Some((k, v)) = t.split_once('=') else {
            return Err(LoadError::invalid(
                pos,
                format!("include parameter '{t}' is not key=value"),
            ));
        };
        params.insert(k.to_string(), Value::String(v.to_string()));
    }
    Ok((file, params))
}

impl Loader<'_> {
    /// Record a 1.2-only construct.
    pub(crate) fn mark(&mut self, pos: &SourcePos, reason: String) {
        if self.markers.len() < MAX_MARKERS {
            self.markers.push((pos.clone(), reason));
        }
    }

    /// Record a modern-only construct.
    pub(crate) fn mark_modern(&mut self, pos: &SourcePos, reason: String) {
        if self.modern_markers.len() < MAX_MARKERS {
            self.modern_markers.push((pos.clone(), reason));
        }
    }

    /// Read a YAML file (cached), brace-smushed in the 1.2 dialect. A missing file is an error
    /// at `from` (the include line).
    pub(crate) fn read_file(
        &mut self,
        path: &Path,
        from: &SourcePos,
    ) -> Result<Vec<Node>, LoadError> {
        let docs = match self.cache.get(path) {
            Some(docs) => docs.clone(),
            None => {
                if !path.is_file() {
                    return Err(LoadError::invalid(
                        from,
                        format!("file not found: {}", path.display()),
                    ));
                }
                let docs = Rc::new(yaml::load_file(path)?);
                self.cache.insert(path.to_path_buf(), docs.clone());
                docs
            }
        };
        if docs.len() > 1 {
            return Err(LoadError::invalid(
                &docs[1].pos,
                "expected a single document in the stream",
            ));
        }
        let mut docs = (*docs).clone();
        if self.dialect == Dialect::Legacy12 {
            docs.iter_mut().for_each(smush_node);
        }
        Ok(docs)
    }

    /// Substitute plain `{{name}}`, `${name}` and `$name` references from `vars` (then the load
    /// options' vars); `None` if a template remains.
    pub(crate) fn substitute(&self, s: &str, vars: &Map) -> Option<String> {
        if !s.contains('$') && !s.contains("{{") {
            return Some(s.to_string());
        }
        let lookup = |name: &str| -> Option<String> {
            let v = vars.get(name).or_else(|| self.opts.vars.get(name))?;
            Some(match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        };
        let re = regex_refs();
        let mut failed = false;
        let out = re.replace_all(s, |c: &regex::Captures| {
            let name = c
                .get(1)
                .or(c.get(2))
                .or(c.get(3))
                .map_or("", |m| m.as_str());
            lookup(name).unwrap_or_else(|| {
                failed = true;
                String::new()
            })
        });
        (!failed && !out.contains("{{")).then(|| out.into_owned())
    }

    /// Ansible's vars_files pass 1 checks, done before anything runs: a plain entry whose name
    /// needs no per-host variable must exist and hold a mapping (or nothing); in a first-found
    /// list, the first existing literal candidate must hold a mapping. Names with unresolved
    /// variables are left to the run-time pass.
    pub(crate) fn check_static_vars_files(&mut self, play: &Play) -> Result<(), LoadError> {
        for entry in &play.vars_files {
            for candidate in &entry.candidates {
                let Some(name) = self.substitute(candidate, &play.vars) else {
                    continue;
                };
                let path = path_dwim(&play.basedir, &name);
                if entry.first_found && !path.exists() {
                    continue;
                }
                let docs = self.read_file(&path, &entry.pos)?;
                match docs.first().map(|d| &d.kind) {
                    None | Some(NodeKind::Null) if !entry.first_found => {}
                    Some(NodeKind::Map(_)) => {}
                    other => {
                        let what = other.map_or("nothing", |_| docs[0].type_name());
                        return Err(LoadError::invalid(
                            &entry.pos,
                            format!(
                                "{} must be stored as a dictionary/hash, not a {what}",
                                path.display()
                            ),
                        ));
                    }
                }
                if entry.first_found {
                    break;
                }
            }
        }
        Ok(())
    }

    /// All plays of `path` (includes spliced), with `inc_vars` merged into their vars.
    fn load_plays(
        &mut self,
        path: &Path,
        inc_vars: &Map,
        from: &SourcePos,
    ) -> Result<Vec<Play>, LoadError> {
        let abs = normalize(path);
        if self.include_stack.contains(&abs) {
            return Err(LoadError::invalid(
                from,
                format!("include loop: {} includes itself", abs.display()),
            ));
        }
        let docs = self.read_file(path, from)?;
        let basedir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        let Some(Node {
            kind: NodeKind::Seq(items),
            ..
        }) = docs.first()
        else {
            let pos = docs
                .first()
                .map_or_else(|| SourcePos::file_start(path), |d| d.pos.clone());
            return Err(LoadError::invalid(
                &pos,
                "parse error: playbooks must be formatted as a YAML list",
            ));
        };
        self.include_stack.push(abs);
        let mut plays = Vec::new();
        for item in items {
            if item.as_map().is_none() {
                return Err(LoadError::invalid(
                    &item.pos,
                    format!("parse error: each play in a playbook must be a YAML dictionary (hash), received: {}", item.key_string()),
                ));
            }
            if let Some(inc) = item.get("include").or_else(|| item.get("import_playbook")) {
                plays.extend(self.play_include(item, inc, &basedir, inc_vars)?);
            } else {
                let mut play = self.parse_play(item, &basedir)?;
                play.vars.extend(inc_vars.clone());
                plays.push(play);
            }
        }
        self.include_stack.pop();
        Ok(plays)
    }

    /// `- include: file.yml k=v` / `- import_playbook: file.yml`.
    fn play_include(
        &mut self,
        item: &Node,
        inc: &Node,
        basedir: &Path,
        inc_vars: &Map,
    ) -> Result<Vec<Play>, LoadError> {
        if item.get("include").is_some() {
            self.mark(&item.pos, "play-level `include:`".into());
        } else {
            self.mark_modern(&item.pos, "`import_playbook`".into());
        }
        let spec = scalar_string(inc).unwrap_or_default();
        let (file, params) = parse_kv_raw(&spec, &inc.pos)?;
        let mut vars = inc_vars.clone();
        match item.get("vars").map(|v| &v.kind) {
            Some(NodeKind::Map(_)) => {
                if let Some(Value::Object(m)) = item.get("vars").map(Node::to_value) {
                    vars.extend(m);
                }
            }
            Some(NodeKind::Seq(list)) => {
                for v in list {
                    if let Value::Object(m) = v.to_value() {
                        vars.extend(m);
                    }
                }
            }
            _ => {}
        }
        vars.extend(params);
        let Some(name) = self.substitute(&file, &vars) else {
            return Err(LoadError::invalid(
                &inc.pos,
                format!("cannot resolve the included playbook name {file} at load time"),
            ));
        };
        let path = path_dwim(basedir, &name);
        let mut plays = self.load_plays(&path, &vars, &inc.pos)?;
        if let Some(tags) = item.get("tags") {
            let extra = super::task::task_tags(tags, self.dialect);
            for play in &mut plays {
                append_play_tags(play, &extra);
            }
        }
        Ok(plays)
    }

    fn parse_play(&mut self, node: &Node, basedir: &Path) -> Result<Play, LoadError> {
        let pairs = node.as_map().unwrap_or_default();
        for (k, _) in pairs {
            let key = k.key_string();
            if !PLAY_KEYWORDS.contains(&key.as_str())
                && !detect::MODERN_ONLY_PLAY_KEYS.contains(&key.as_str())
            {
                return Err(LoadError::invalid(
                    &k.pos,
                    format!("{key} is not a legal parameter in an Ansible Playbook"),
                ));
            }
            if detect::LEGACY_PLAY_KEYS.contains(&key.as_str()) {
                self.mark(&k.pos, format!("play keyword `{key}`"));
            }
            if detect::MODERN_PLAY_KEYS.contains(&key.as_str())
                || detect::MODERN_ONLY_PLAY_KEYS.contains(&key.as_str())
            {
                self.mark_modern(&k.pos, format!("play keyword `{key}`"));
            }
        }
        let hosts = match node.get("hosts") {
            None
            | Some(Node {
                kind: NodeKind::Null,
                ..
            }) => {
                return Err(LoadError::invalid(
                    &node.pos,
                    "hosts declaration is required",
                ))
            }
            Some(Node {
                kind: NodeKind::Seq(items),
                ..
            }) => items
                .iter()
                .filter_map(scalar_string)
                .collect::<Vec<_>>()
                .join(":"),
            Some(h) => h.key_string(),
        };
        let value = |k: &str| node.get(k).map(Node::to_value);
        let mut play = Play {
            name: node.get("name").and_then(scalar_string),
            hosts,
            basedir: basedir.to_path_buf(),
            pos: node.pos.clone(),
            vars: play_vars(node.get("vars"))?,
            vars_files: vars_files(node.get("vars_files"))?,
            vars_prompt: value("vars_prompt"),
            pre_tasks: Vec::new(),
            tasks: Vec::new(),
            post_tasks: Vec::new(),
            handlers: Vec::new(),
            remote_user: value("user").or_else(|| value("remote_user")),
            port: value("port"),
            become_: play_become(node),
            connection: connection(node.get("connection"))?,
            gather_facts: value("gather_facts"),
            serial: value("serial"),
            tags: play_tags(node.get("tags")),
            any_errors_fatal: value("any_errors_fatal"),
            max_fail_percentage: value("max_fail_percentage"),
            strategy: node.get("strategy").and_then(scalar_string),
            order: node.get("order").and_then(scalar_string),
            environment: value("environment"),
            no_log: value("no_log"),
            roles: Vec::new(),
        };
        if let Some(hit) =
            detect::find_legacy_var(node, &["tasks", "handlers", "pre_tasks", "post_tasks"])
        {
            let pos = hit.pos.clone();
            self.mark(&pos, "legacy `$var` in a play value".into());
        }
        let ctx = TaskCtx::for_play(basedir);
        let empty = Node::new(NodeKind::Null, node.pos.clone());
        let list = |k: &str| node.get(k).unwrap_or(&empty);
        play.pre_tasks = self.parse_tasks(list("pre_tasks"), &ctx)?;
        let (role_tasks, role_handlers) = match node.get("roles") {
            Some(roles) => self.load_roles(roles, basedir, &mut play.roles)?,
            None => (Vec::new(), Vec::new()),
        };
        play.tasks = role_tasks;
        play.tasks.extend(self.parse_tasks(list("tasks"), &ctx)?);
        play.post_tasks = self.parse_tasks(list("post_tasks"), &ctx)?;
        play.handlers = role_handlers;
        play.handlers
            .extend(self.parse_tasks(list("handlers"), &ctx)?);
        let tags = play.tags.clone();
        append_play_tags(&mut play, &tags);
        inherit_play_task_keywords(&mut play, node, &ctx);
        Ok(play)
    }

    /// Expand `roles:` into role tasks and handlers (dependencies first).
    fn load_roles(
        &mut self,
        roles: &Node,
        basedir: &Path,
        out: &mut Vec<Role>,
    ) -> Result<(Vec<Task>, Vec<Task>), LoadError> {
        let Some(items) = roles.as_seq() else {
            if roles.is_null() {
                return Ok((Vec::new(), Vec::new()));
            }
            return Err(LoadError::invalid(
                &roles.pos,
                "value of 'roles:' must be a list",
            ));
        };
        let mut tasks = Vec::new();
        let mut handlers = Vec::new();
        for item in items {
            self.load_role(item, basedir, out, &mut tasks, &mut handlers, 0)?;
        }
        Ok((tasks, handlers))
    }

    fn load_role(
        &mut self,
        item: &Node,
        basedir: &Path,
        out: &mut Vec<Role>,
        tasks: &mut Vec<Task>,
        handlers: &mut Vec<Task>,
        depth: usize,
    ) -> Result<(), LoadError> {
        if depth > 32 {
            return Err(LoadError::invalid(
                &item.pos,
                "role dependencies nest too deeply (a dependency loop?)",
            ));
        }
        let reference = RoleRef::parse(item, self.dialect)?;
        let dir = self.find_role(&reference.name, basedir, &item.pos)?;
        let main = |sub: &str| {
            ["main.yml", "main.yaml", "main"]
                .iter()
                .map(|m| dir.join(sub).join(m))
                .find(|p| p.is_file())
        };
        // Dependencies first.
        if let Some(meta) = main("meta") {
            let docs = self.read_file(&meta, &item.pos)?;
            if let Some(deps) = docs
                .first()
                .and_then(|d| d.get("dependencies"))
                .and_then(Node::as_seq)
            {
                for dep in deps {
                    self.load_role(dep, basedir, out, tasks, handlers, depth + 1)?;
                }
            }
        }
        if out
            .iter()
            .any(|r| r.dir == dir && r.params == reference.params)
        {
            return Ok(());
        }
        let mut role = Role {
            name: reference.name.clone(),
            dir: dir.clone(),
            params: reference.params.clone(),
            defaults: Map::new(),
            vars: Map::new(),
            pos: item.pos.clone(),
            dependency: depth > 0,
        };
        for (sub, slot) in [("defaults", &mut role.defaults), ("vars", &mut role.vars)] {
            if let Some(file) = main(sub) {
                let docs = self.read_file(&file, &item.pos)?;
                if let Some(Value::Object(m)) = docs.first().map(Node::to_value) {
                    *slot = m;
                }
            }
        }
        let index = out.len();
        out.push(role);
        for (sub, list) in [("tasks", &mut *tasks), ("handlers", &mut *handlers)] {
            if let Some(file) = main(sub) {
                let docs = self.read_file(&file, &item.pos)?;
                let ctx = TaskCtx {
                    basedir: dir.clone(),
                    file_dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
                    included_from: Some(file.clone()),
                    when: reference.when.clone(),
                    tags: reference.tags.clone(),
                    vars: reference.params.clone(),
                    role: Some(index),
                };
                let empty = Node::new(NodeKind::Null, item.pos.clone());
                list.extend(self.parse_tasks(docs.first().unwrap_or(&empty), &ctx)?);
            }
        }
        Ok(())
    }

    fn find_role(&self, name: &str, basedir: &Path, pos: &SourcePos) -> Result<PathBuf, LoadError> {
        let mut candidates = vec![
            path_dwim(basedir, &format!("roles/{name}")),
            path_dwim(basedir, name),
        ];
        candidates.extend(self.opts.roles_path.iter().map(|p| path_dwim(p, name)));
        // Sibling roles (dependencies named from inside a role directory).
        if let Some(parent) = pos
            .file
            .parent()
            .and_then(Path::parent)
            .and_then(Path::parent)
        {
            candidates.push(path_dwim(parent, name));
        }
        candidates
            .iter()
            .find(|p| p.is_dir())
            .cloned()
            .ok_or_else(|| {
                LoadError::invalid(
                    pos,
                    format!(
                        "the role '{name}' was not found in {}",
                        candidates
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(":")
                    ),
                )
            })
    }
}

/// `- rolename` or `- {role: name, param: v, tags: [...], when: ...}`.
struct RoleRef {
    name: String,
    params: Map,
    tags: Vec<String>,
    when: Vec<super::Condition>,
}

impl RoleRef {
    fn parse(item: &Node, dialect: Dialect) -> Result<Self, LoadError> {
        if let Some(name) = item.as_str() {
            return Ok(RoleRef {
                name: name.to_string(),
                params: Map::new(),
                tags: Vec::new(),
                when: Vec::new(),
            });
        }
        let Some(pairs) = item.as_map() else {
            return Err(LoadError::invalid(
                &item.pos,
                "a role must be a name or a mapping with role:",
            ));
        };
        let mut r = RoleRef {
            name: String::new(),
            params: Map::new(),
            tags: Vec::new(),
            when: Vec::new(),
        };
        for (k, v) in pairs {
            match k.key_string().as_str() {
                "role" | "name" => r.name = scalar_string(v).unwrap_or_default(),
                "tags" => r.tags = super::task::task_tags(v, dialect),
                "when" => r.when.push(super::Condition {
                    kind: super::ConditionKind::When,
                    expr: v.to_value(),
                    pos: k.pos.clone(),
                }),
                "vars" => {
                    if let Value::Object(m) = v.to_value() {
                        r.params.extend(m);
                    }
                }
                other => {
                    r.params.insert(other.to_string(), v.to_value());
                }
            }
        }
        if r.name.is_empty() {
            return Err(LoadError::invalid(
                &item.pos,
                "role entry without a role: name",
            ));
        }
        Ok(r)
    }
}

/// Task keywords set on the play (`no_log`, `check_mode`, `diff`, `ignore_errors`,
/// `run_once`, `module_defaults`, `throttle`): every task that does not set its own inherits them, as block
/// children inherit their block's.
fn inherit_play_task_keywords(play: &mut Play, node: &Node, ctx: &TaskCtx) {
    let value = |k: &str| node.get(k).map(Node::to_value);
    let mut from = super::task::empty_task(node, ctx);
    from.no_log = value("no_log");
    from.check_mode = value("check_mode");
    from.diff = value("diff");
    from.ignore_errors = value("ignore_errors");
    from.run_once = value("run_once");
    from.module_defaults = value("module_defaults");
    from.throttle = value("throttle");
    let set = [
        &from.no_log,
        &from.check_mode,
        &from.diff,
        &from.ignore_errors,
        &from.run_once,
        &from.module_defaults,
        &from.throttle,
    ];
    if set.iter().all(|v| v.is_none()) {
        return;
    }
    for list in [
        &mut play.pre_tasks,
        &mut play.tasks,
        &mut play.post_tasks,
        &mut play.handlers,
    ] {
        for t in list.iter_mut() {
            super::task::inherit_block_settings(t, &from);
        }
    }
}

fn append_play_tags(play: &mut Play, tags: &[String]) {
    fn add(tasks: &mut [Task], tags: &[String]) {
        for t in tasks {
            for tag in tags {
                if !t.tags.contains(tag) {
                    t.tags.push(tag.clone());
                }
            }
            if let Some(b) = &mut t.block {
                add(&mut b.block, tags);
                add(&mut b.rescue, tags);
                add(&mut b.always, tags);
            }
        }
    }
    for list in [
        &mut play.pre_tasks,
        &mut play.tasks,
        &mut play.post_tasks,
        &mut play.handlers,
    ] {
        add(list, tags);
    }
    for tag in tags {
        if !play.tags.contains(tag) {
            play.tags.push(tag.clone());
        }
    }
}

fn play_tags(node: Option<&Node>) -> Vec<String> {
    match node.map(|n| &n.kind) {
        Some(NodeKind::Str(s)) => split_commas(s),
        Some(NodeKind::Seq(items)) => items.iter().filter_map(scalar_string).collect(),
        _ => Vec::new(),
    }
}

/// `vars:` as a mapping or a list of one-key mappings.
fn play_vars(node: Option<&Node>) -> Result<Map, LoadError> {
    let Some(node) = node else {
        return Ok(Map::new());
    };
    match (&node.kind, node.to_value()) {
        (NodeKind::Null, _) => Ok(Map::new()),
        (_, Value::Object(m)) => Ok(m),
        (NodeKind::Seq(items), _) => {
            let mut map = Map::new();
            for item in items {
                match item.to_value() {
                    Value::Object(m) => map.extend(m),
                    _ => {
                        return Err(LoadError::invalid(
                            &item.pos,
                            "vars must be a mapping or a list of mappings",
                        ))
                    }
                }
            }
            Ok(map)
        }
        _ => Err(LoadError::invalid(
            &node.pos,
            "vars must be a mapping or a list of mappings",
        )),
    }
}

fn vars_files(node: Option<&Node>) -> Result<Vec<VarsFileEntry>, LoadError> {
    let Some(node) = node else {
        return Ok(Vec::new());
    };
    let items = match &node.kind {
        NodeKind::Null => return Ok(Vec::new()),
        NodeKind::Seq(items) => items.as_slice(),
        _ => std::slice::from_ref(node),
    };
    items
        .iter()
        .map(|item| match &item.kind {
            NodeKind::Seq(alts) => Ok(VarsFileEntry {
                candidates: alts.iter().filter_map(scalar_string).collect(),
                first_found: true,
                pos: item.pos.clone(),
            }),
            NodeKind::Map(_) | NodeKind::Null => Err(LoadError::invalid(
                &item.pos,
                "a vars_files entry must be a file name or a list of file names",
            )),
            _ => Ok(VarsFileEntry {
                candidates: vec![item.key_string()],
                first_found: false,
                pos: item.pos.clone(),
            }),
        })
        .collect()
}

fn play_become(node: &Node) -> Become {
    let value = |k: &str| node.get(k).map(Node::to_value);
    Become {
        enabled: value("become").or_else(|| value("sudo")),
        user: value("become_user").or_else(|| value("sudo_user")),
        method: node
            .get("become_method")
            .and_then(scalar_string)
            .or_else(|| {
                (node.get("sudo").is_some() || node.get("sudo_user").is_some())
                    .then(|| "sudo".to_string())
            }),
    }
}

/// `connection:` normalised: `paramiko`/`smart` → `ssh`; unknown literal values are errors.
fn connection(node: Option<&Node>) -> Result<Option<String>, LoadError> {
    let Some(node) = node else { return Ok(None) };
    let Some(s) = scalar_string(node) else {
        return Ok(None);
    };
    Ok(Some(match s.as_str() {
        "ssh" | "paramiko" | "smart" => "ssh".into(),
        "local" | "chroot" => s,
        other if other.contains("{{") || other.contains('$') => s,
        other => {
            return Err(LoadError::invalid(
                &node.pos,
                format!("unknown connection type {other} (ssh, local, chroot, paramiko, smart)"),
            ))
        }
    }))
}

fn regex_refs() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
            .unwrap_or_else(|_| unreachable!("static regex"))
    })
}
