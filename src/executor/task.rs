//! One task on one host: variables, loop, conditions, arguments, then the module (or one of the
//! controller-side actions such as `group_by`, `set_fact`, `debug`, `assert`).

use std::path::Path;
use std::sync::{Arc, Mutex};

use super::connect::Reach;
use super::failures::{legacy_message, modern_message, template_file_message, Stage, TaskRef};
use super::freeform::split_free_form;
use super::loopctl::LoopControl;
use super::play::Runner;
use super::results::{aggregate_items, is_changed, is_failed, is_skipped, truthy};
use crate::modules::{
    self, args::parse_kv, ModuleArgs, ModuleContext, ModuleError, Remote, TemplateRenderer,
};
use crate::output::{Status, REPR_KEY};
use crate::playbook::{ConditionKind, LoopKind, Play, Task};
use crate::template::{Dialect, HostVarsLookup, Templar, TemplateContext};
use crate::value::{Map, Value};

/// One line of output for a host: the whole task, or one loop item.
pub struct ItemLine {
    /// How it went.
    pub status: Status,
    /// The loop item's text, for `(item=…)`.
    pub item: Option<String>,
    /// The result dict shown with `-v` or on failure.
    pub result: Map,
}

/// Everything a host's run of a task produced.
pub struct HostOutcome {
    /// Overall status (aggregate over items).
    pub status: Status,
    /// Lines to print.
    pub lines: Vec<ItemLine>,
    /// Aggregate result (what `register` stores).
    pub result: Map,
    /// Unified diffs for `--diff`.
    pub diffs: Vec<String>,
    /// Warnings (e.g. undefined template variables rendered empty, as 1.2 did).
    pub warnings: Vec<String>,
    /// Handler names to notify if changed (templated).
    pub notify: Vec<String>,
    /// Groups to add the host to (`group_by`).
    pub add_groups: Vec<String>,
    /// Failed `until` attempts, printed before the result: (retries left, the attempt's result).
    pub retries: Vec<(usize, Map)>,
    /// The task had `no_log` for this host (or prints a `no_log` task's registered result):
    /// its lines and diffs are censored before output.
    pub no_log: bool,
    /// Lines an action displays before its result (`pause`'s `Pausing for 1 seconds`).
    pub displays: Vec<String>,
    /// How the host shows in result lines when the task is delegated (modern `h1 -> h2`).
    pub host_label: Option<String>,
}

struct ItemResult {
    status: Status,
    result: Map,
    diffs: Vec<String>,
    warnings: Vec<String>,
    add_groups: Vec<String>,
    /// `until` attempts that failed before this result: (retries left, that attempt's result).
    retries: Vec<(usize, Map)>,
    /// Lines displayed before the result (`pause`).
    displays: Vec<String>,
}

impl ItemResult {
    fn new(status: Status, result: Map) -> Self {
        Self {
            status,
            result,
            diffs: Vec::new(),
            warnings: Vec::new(),
            add_groups: Vec::new(),
            retries: Vec::new(),
            displays: Vec::new(),
        }
    }
    fn msg(status: Status, msg: impl Into<String>) -> Self {
        let mut m = Map::new();
        if status == Status::Failed {
            m.insert("failed".into(), Value::Bool(true));
        }
        if status == Status::Skipped {
            m.insert("skipped".into(), Value::Bool(true));
        }
        m.insert("msg".into(), Value::String(msg.into()));
        Self::new(status, m)
    }
}

/// Runs tasks on hosts for one play; borrows the run's shared state read-only so hosts run
/// concurrently.
pub struct TaskRunner<'r> {
    r: &'r Runner,
    play: &'r Play,
    reach: &'r Reach,
    hostvars: Arc<dyn HostVarsLookup>,
}

/// Renders template files for the `template` module with the task's variables.
struct FileRenderer<'a> {
    templar: &'a Templar,
    vars: &'a Map,
    basedir: &'a Path,
    dialect: Dialect,
    hostvars: Arc<dyn HostVarsLookup>,
    warnings: Mutex<Vec<String>>,
}

impl TemplateRenderer for FileRenderer<'_> {
    fn render_file(&self, path: &Path) -> Result<String, String> {
        let ctx = TemplateContext::new(
            self.vars,
            self.basedir,
            self.dialect,
            Some(self.hostvars.clone()),
        );
        let rendered = self
            .templar
            .render_file(path, &ctx)
            .map_err(|e| template_file_message(&e, self.dialect == Dialect::Modern))?;
        if let Ok(mut w) = self.warnings.lock() {
            w.extend(rendered.warnings.iter().map(|w| w.to_string()));
        }
        Ok(rendered.text)
    }
}

impl<'r> TaskRunner<'r> {
    /// A runner for `play` with a fresh `hostvars` snapshot.
    pub fn new(r: &'r Runner, play: &'r Play, reach: &'r Reach) -> Self {
        let hostvars: Arc<dyn HostVarsLookup> = r.store.hostvars_snapshot();
        Self {
            r,
            play,
            reach,
            hostvars,
        }
    }

    fn dialect(&self) -> Dialect {
        self.r.dialect
    }

    fn ctx<'a>(&'a self, vars: &'a Map, basedir: &'a Path) -> TemplateContext<'a> {
        TemplateContext::new(vars, basedir, self.dialect(), Some(self.hostvars.clone()))
    }

    /// Gathers facts on `host` with the `setup` module.
    pub async fn gather(&self, host: &str) -> Result<Map, String> {
        let vars = self.r.play_host_vars(self.play, host);
        let (spec, become_) = self.r.reach_host(host, &vars, self.reach);
        let conn = self.r.pool.get(&spec).await.map_err(|e| e.to_string())?;
        let module = modules::lookup("setup").ok_or("the setup module is missing")?;
        let args =
            ModuleArgs::validate(module.spec(), &Map::new(), None).map_err(|e| e.to_string())?;
        let renderer = FileRenderer {
            templar: &self.r.templar,
            vars: &vars,
            basedir: &self.play.basedir,
            dialect: self.dialect(),
            hostvars: self.hostvars.clone(),
            warnings: Mutex::new(Vec::new()),
        };
        let mctx = ModuleContext {
            remote: Remote::new(&conn, become_),
            check_mode: false,
            diff_mode: false,
            basedir: self.play.basedir.clone(),
            vars: &vars,
            templates: &renderer,
            dialect: self.dialect(),
        };
        let res = module.run(&mctx, &args).await.map_err(|e| e.to_string())?;
        if res.failed {
            return Err(res.msg.unwrap_or_else(|| "fact gathering failed".into()));
        }
        let mut facts = match res.data.get("ansible_facts") {
            Some(Value::Object(f)) => f.clone(),
            _ => Map::new(),
        };
        if self.dialect() == Dialect::Legacy12 {
            facts.insert("module_setup".into(), Value::Bool(true));
        }
        Ok(facts)
    }

    /// Runs `task` on `host`: loop, conditions, arguments, module.
    pub async fn run(&self, task: &Task, host: &str) -> HostOutcome {
        let vars = self.r.task_host_vars(self.play, task, host);
        let mut out = self.run_with_vars(task, host, &vars).await;
        out.no_log = self.no_log(task, host, &vars);
        out.host_label = self.delegated_label(task, host, &vars);
        out
    }

    /// ansible-core's `host_label` for a delegated task: `h1 -> h2`, and `(address)` after it
    /// when the delegated host's `ansible_host` differs from its name (modern only).
    fn delegated_label(&self, task: &Task, host: &str, vars: &Map) -> Option<String> {
        if self.dialect() != Dialect::Modern {
            return None;
        }
        let raw = task.delegate_to.as_ref()?;
        let to = self.template_plain(&crate::executor::results::text(raw), vars, &task.basedir);
        if to == host {
            return None;
        }
        let address = self
            .r
            .play_host_vars(self.play, &to)
            .get("ansible_host")
            .map(crate::template::python_str)
            .filter(|a| *a != to);
        Some(match address {
            Some(a) => format!("{host} -> {to}({a})"),
            None => format!("{host} -> {to}"),
        })
    }

    /// Whether the task's output must be hidden on `host`: its `no_log` (templated; a template
    /// that fails hides), or, without an explicit `no_log: false`, a `debug` naming a result
    /// registered by a `no_log` task.
    fn no_log(&self, task: &Task, host: &str, vars: &Map) -> bool {
        match &task.no_log {
            Some(v) => self.flag(v, vars, &task.basedir).unwrap_or(true),
            None => task.module == "debug" && self.names_no_log_result(task, host),
        }
    }

    /// Whether the task's arguments mention a variable registered by a `no_log` task on `host`.
    fn names_no_log_result(&self, task: &Task, host: &str) -> bool {
        let Some(names) = self.r.no_log_registered.get(host) else {
            return false;
        };
        let mut text = task.args.raw.clone();
        if !task.args.map.is_empty() {
            text.push(' ');
            text.push_str(&crate::template::python_str(&Value::Object(
                task.args.map.clone(),
            )));
        }
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|word| names.contains(word))
    }

    /// A task flag (`ignore_errors`, `no_log`): a template is rendered first; `None` when the
    /// template fails.
    fn flag(&self, v: &Value, vars: &Map, basedir: &Path) -> Option<bool> {
        match v {
            Value::String(s) if s.contains("{{") || s.contains('$') => {
                let ctx = self.ctx(vars, basedir);
                self.r
                    .templar
                    .template_value(&Value::String(s.clone()), &ctx)
                    .ok()
                    .map(|v| truthy(&v))
            }
            other => Some(truthy(other)),
        }
    }

    async fn run_with_vars(&self, task: &Task, host: &str, vars: &Map) -> HostOutcome {
        let reach = self.reach.over(&task_reach(task));
        let notify = self.templated_notify(task, vars);
        let Some(lp) = &task.loop_ else {
            let item = self.run_item(task, host, vars, &reach, None).await;
            return single_outcome(item, notify);
        };
        let lookup = match &lp.kind {
            LoopKind::With(name) => name.as_str(),
            LoopKind::Loop => "loop",
        };
        let items = {
            let ctx = self.ctx(vars, &task.basedir);
            self.r.templar.loop_items(lookup, &lp.terms, &ctx)
        };
        let items = match items {
            Ok(items) => items,
            Err(e) => {
                let r = self.template_failure(task, vars, &Stage::Loop, &e);
                return single_outcome(r, notify);
            }
        };
        if items.is_empty() {
            let r = ItemResult::msg(Status::Skipped, "No items in the list");
            return single_outcome(r, notify);
        }
        let control = LoopControl::of(task);
        let loop_var = control.loop_var.clone();
        if self.collapses(task, &items) {
            let joined: Vec<String> = items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            let item = Value::String(joined.join(","));
            let mut r = self
                .run_item(task, host, vars, &reach, Some((&loop_var, item.clone())))
                .await;
            let label = joined.join(",");
            let mut out = single_outcome_with_item(&mut r, Some(label));
            out.notify = notify;
            return out;
        }
        let mut lines = Vec::new();
        let mut results = Vec::new();
        let mut diffs = Vec::new();
        let mut warnings = Vec::new();
        let mut add_groups = Vec::new();
        let mut retries = Vec::new();
        let mut displays = Vec::new();
        let mut unreachable = None;
        let modern = self.dialect() == Dialect::Modern;
        for index in 0..items.len() {
            if index > 0 && control.pause > 0.0 {
                tokio::time::sleep(std::time::Duration::from_secs_f64(control.pause)).await;
            }
            let extra = control.item_vars(&items, index, modern);
            let mut item_vars = vars.clone();
            item_vars.extend(extra.clone());
            let mut r = self.run_item(task, host, &item_vars, &reach, None).await;
            let label = self.item_label(task, &control, &item_vars, &items[index], &mut r);
            r.result.extend(extra);
            let mut shown = r.result.clone();
            if modern && module_name(task) == "debug" {
                super::loopctl::clean_debug_item(&mut shown);
            }
            diffs.append(&mut r.diffs);
            warnings.append(&mut r.warnings);
            add_groups.append(&mut r.add_groups);
            retries.append(&mut r.retries);
            displays.append(&mut r.displays);
            lines.push(ItemLine {
                status: r.status,
                item: Some(label),
                result: shown,
            });
            if r.status == Status::Unreachable {
                unreachable = Some(r.result.clone());
                break;
            }
            results.push(r.result);
        }
        if let Some(result) = unreachable {
            return HostOutcome {
                status: Status::Unreachable,
                lines,
                result,
                diffs,
                warnings,
                notify,
                add_groups,
                retries,
                no_log: false,
                displays,
                host_label: None,
            };
        }
        let mut result = aggregate_items(results);
        if self.dialect() == Dialect::Legacy12 {
            // 1.2's with_items result has no `skipped` key even when every item was skipped
            // (runner `_executor_internal`): the host counts as ok in the recap.
            result.remove("skipped");
        }
        let status = self.final_status(task, &result, vars);
        HostOutcome {
            status,
            lines,
            result,
            diffs,
            warnings,
            notify,
            add_groups,
            retries,
            no_log: false,
            displays,
            host_label: None,
        }
    }

    /// The item's `(item=…)` text: `loop_control.label` templated with the item's variables
    /// (a label that fails to template fails the item, as in ansible-core), else the item.
    fn item_label(
        &self,
        task: &Task,
        control: &LoopControl,
        item_vars: &Map,
        item: &Value,
        r: &mut ItemResult,
    ) -> String {
        let Some(label) = &control.label else {
            return item_text(item, self.dialect());
        };
        let mut vars_owned;
        let mut vars = item_vars;
        if let Some(name) = &task.register {
            // ansible-core registers each item's result before templating the label.
            vars_owned = item_vars.clone();
            vars_owned.insert(name.clone(), Value::Object(r.result.clone()));
            vars = &vars_owned;
        }
        let ctx = self.ctx(vars, &task.basedir);
        match self.r.templar.template_value(label, &ctx) {
            Ok(v) => item_text(&v, self.dialect()),
            Err(e) => {
                r.status = match self.ignore_errors(task, item_vars) {
                    true => Status::Ignored,
                    false => Status::Failed,
                };
                r.result.insert("failed".into(), Value::Bool(true));
                r.result.insert(
                    "msg".into(),
                    Value::String(format!(
                        "Failed to template loop_control.label: {}",
                        e.ansible_reason()
                    )),
                );
                // The callback falls back to the item, which a `debug` result no longer has.
                match module_name(task) {
                    "debug" => "None".into(),
                    _ => item_text(item, self.dialect()),
                }
            }
        }
    }

    /// yum/apt with string items run once with the items joined by commas (spec 10.3; 1.2 and
    /// modern Ansible up to 2.11 squashed these).
    fn collapses(&self, task: &Task, items: &[Value]) -> bool {
        matches!(
            task.module.as_str(),
            "yum" | "apt" | "pkgng" | "dnf" | "package"
        ) && self.dialect() == Dialect::Legacy12
            && items.iter().all(Value::is_string)
    }

    fn templated_notify(&self, task: &Task, vars: &Map) -> Vec<String> {
        let ctx = self.ctx(vars, &task.basedir);
        task.notify
            .iter()
            .map(|n| {
                match self
                    .r
                    .templar
                    .template_value(&Value::String(n.clone()), &ctx)
                {
                    Ok(Value::String(s)) => s,
                    _ => n.clone(),
                }
            })
            .collect()
    }

    fn controller_failure(&self, msg: String) -> ItemResult {
        match self.dialect() {
            // Ansible 1.2 turned every controller-side exception into an unreachable host.
            Dialect::Legacy12 => ItemResult::msg(Status::Unreachable, msg),
            Dialect::Modern => ItemResult::msg(Status::Failed, msg),
        }
    }

    /// A task failure (modern: `ignore_errors` applies, as in ansible-core).
    fn task_failed(&self, task: &Task, vars: &Map, msg: String) -> ItemResult {
        let mut r = ItemResult::msg(Status::Failed, msg);
        r.result.insert("changed".into(), Value::Bool(false));
        if self.ignore_errors(task, vars) {
            r.status = Status::Ignored;
        }
        r
    }

    /// Templating the task's condition, arguments or loop failed: a task failure with
    /// ansible-core's message in modern playbooks; in 1.2 playbooks the host is unreachable, as
    /// 1.2 counted it, with the file, line and undefined variable named.
    fn template_failure(
        &self,
        task: &Task,
        vars: &Map,
        stage: &Stage<'_>,
        e: &crate::template::TemplateError,
    ) -> ItemResult {
        let at = TaskRef {
            module: &task.module_as_written,
            pos: &task.pos,
        };
        match self.dialect() {
            Dialect::Modern => self.task_failed(task, vars, modern_message(&at, stage, e)),
            Dialect::Legacy12 => {
                let undefined = match stage {
                    Stage::Condition(_) => self.undefined_in_condition(task, vars),
                    _ => None,
                };
                let msg = legacy_message(&at, stage, e, undefined.as_deref());
                ItemResult::msg(Status::Unreachable, msg)
            }
        }
    }

    /// The first undefined variable of the task's conditions (1.2 rendered them leniently, so
    /// its error never names it): evaluated again as modern Ansible would, strictly.
    fn undefined_in_condition(&self, task: &Task, vars: &Map) -> Option<String> {
        let ctx = TemplateContext::new(
            vars,
            &task.basedir,
            Dialect::Modern,
            Some(self.hostvars.clone()),
        );
        task.when.iter().find_map(|c| {
            let e = self
                .r
                .templar
                .eval_condition(ConditionKind::When, &c.expr, &ctx)
                .err()?;
            e.undefined_name().map(str::to_string)
        })
    }

    /// The argument whose templating fails (ansible-core names it): `_raw_params` for a command
    /// line, else the first `k=v` or mapping value that fails alone.
    fn failing_arg(&self, task: &Task, ctx: &TemplateContext<'_>) -> String {
        let fails = |v: &Value| self.r.templar.template_value(v, ctx).is_err();
        if !task.args.raw.is_empty() && !is_free_form(&task.module) {
            let (kv, _) = parse_kv(&task.args.raw);
            if let Some((k, _)) = kv.iter().find(|(_, v)| fails(v)) {
                return k.clone();
            }
        }
        task.args
            .map
            .iter()
            .find(|(_, v)| fails(v))
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| "_raw_params".into())
    }

    async fn run_item(
        &self,
        task: &Task,
        host: &str,
        base_vars: &Map,
        reach: &Reach,
        item: Option<(&str, Value)>,
    ) -> ItemResult {
        let mut vars_owned;
        let vars = match item {
            Some((name, value)) => {
                vars_owned = base_vars.clone();
                vars_owned.insert(name.to_string(), value);
                &vars_owned
            }
            None => {
                vars_owned = Map::new();
                let _ = &vars_owned;
                base_vars
            }
        };
        let ctx = self.ctx(vars, &task.basedir);
        for cond in &task.when {
            match self.r.templar.eval_condition(cond.kind, &cond.expr, &ctx) {
                Ok(true) => {}
                Ok(false) => {
                    let mut m = Map::new();
                    m.insert("skipped".into(), Value::Bool(true));
                    m.insert("changed".into(), Value::Bool(false));
                    return ItemResult::new(Status::Skipped, m);
                }
                Err(e) => {
                    return self.template_failure(task, vars, &Stage::Condition(&cond.pos), &e)
                }
            }
        }
        let Some((total, delay)) = self.attempts(task, vars) else {
            return self.attempt(task, host, vars, reach, None).await;
        };
        // ansible-core's attempt loop (TaskExecutor._execute): the result of each attempt is
        // registered for `until`, `changed_when` and `failed_when`; a failed attempt is
        // reported as `FAILED - RETRYING` and retried after `delay` seconds.
        let mut retried = Vec::new();
        let mut attempt_vars = vars.clone();
        for attempt in 1..=total {
            let mut r = self
                .attempt(task, host, &attempt_vars, reach, Some(attempt))
                .await;
            if r.status == Status::Unreachable {
                r.retries = retried;
                return r;
            }
            if let Some(reg) = &task.register {
                attempt_vars.insert(reg.clone(), Value::Object(r.result.clone()));
            }
            let done = match &task.until {
                Some(until) => {
                    let ctx = self.ctx(&attempt_vars, &task.basedir);
                    match self.until_met(until, &ctx) {
                        Ok(b) => b,
                        Err(e) => return self.task_failed(task, vars, e),
                    }
                }
                None => !is_failed(&r.result),
            };
            if done {
                r.retries = retried;
                return r;
            }
            if attempt < total {
                retried.push((total - attempt, r.result.clone()));
                if crate::connection::interrupt::is_set() {
                    return ItemResult::msg(Status::Unreachable, "interrupted");
                }
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_secs(delay)) => {}
                    () = crate::connection::interrupt::wait() => {}
                }
            } else {
                r.result.insert("attempts".into(), Value::from(total - 1));
                r.result.insert("failed".into(), Value::Bool(true));
                r.status = self.final_status(task, &r.result, vars);
                r.retries = retried;
                return r;
            }
        }
        ItemResult::msg(Status::Failed, "no attempt ran")
    }

    /// `(attempts, delay seconds)` when the task retries (modern `until` / `retries`):
    /// 1 + `retries` (3 when only `until` is given), `delay` 5 by default (1 when negative).
    fn attempts(&self, task: &Task, vars: &Map) -> Option<(usize, u64)> {
        if self.dialect() != Dialect::Modern || (task.until.is_none() && task.retries.is_none()) {
            return None;
        }
        let number = |v: &Option<Value>| -> Option<i64> {
            let v = v.as_ref()?;
            let ctx = self.ctx(vars, &task.basedir);
            let t = self.r.templar.template_value(v, &ctx).ok()?;
            match t {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }
        };
        let total = match number(&task.retries) {
            Some(r) => 1 + r.max(0) as usize,
            None => 4,
        };
        let delay = match number(&task.delay) {
            Some(d) if d < 0 => 1,
            Some(d) => d as u64,
            None => 5,
        };
        (total > 1).then_some((total, delay))
    }

    /// Whether the `until` condition(s) hold (a list: all of them).
    fn until_met(&self, until: &Value, ctx: &TemplateContext<'_>) -> Result<bool, String> {
        let conds: Vec<&Value> = match until {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for c in conds {
            match self.r.templar.eval_condition(ConditionKind::When, c, ctx) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(true)
    }

    /// One run of the task's action: arguments templated, the controller action or module run,
    /// `changed_when`/`failed_when` applied. `attempt` (retrying tasks) is in the result as
    /// `attempts` before those conditions see it.
    async fn attempt(
        &self,
        task: &Task,
        host: &str,
        vars: &Map,
        reach: &Reach,
        attempt: Option<usize>,
    ) -> ItemResult {
        let ctx = self.ctx(vars, &task.basedir);
        let with_attempt = |mut r: ItemResult| {
            if let Some(n) = attempt {
                r.result.insert("attempts".into(), Value::from(n));
            }
            r
        };
        let (args_map, free_form) = match self.template_args(task, &ctx) {
            Ok(a) => a,
            Err(e) => {
                let stage = Stage::Args(self.failing_arg(task, &ctx));
                return self.template_failure(task, vars, &stage, &e);
            }
        };
        if let Some(r) =
            self.controller_action(task, host, vars, &ctx, &args_map, free_form.as_deref())
        {
            return self.finish_item(task, with_attempt(r), vars);
        }
        // The values of the module's secret (`no_log`) options are masked wherever the result,
        // diffs or warnings repeat them (ansible-core's `no_log_values`).
        let secrets = modules::lookup(module_name(task))
            .map(|m| modules::args::no_log_values(m.spec(), &args_map))
            .unwrap_or_default();
        let mut r = self
            .run_module(task, host, vars, reach, args_map, free_form)
            .await;
        hide_item_secrets(&mut r, &secrets);
        self.finish_item(task, with_attempt(r), vars)
    }

    /// Applies `changed_when` / `failed_when` / `ignore_errors` and decides the status.
    fn finish_item(&self, task: &Task, mut r: ItemResult, vars: &Map) -> ItemResult {
        if matches!(r.status, Status::Unreachable | Status::Skipped) {
            return r;
        }
        if task.changed_when.is_some() || task.failed_when.is_some() {
            let mut v = vars.clone();
            if let Some(reg) = &task.register {
                v.insert(reg.clone(), Value::Object(r.result.clone()));
            }
            let ctx = self.ctx(&v, &task.basedir);
            if let Some(c) = &task.changed_when {
                match self.r.templar.eval_condition(ConditionKind::When, c, &ctx) {
                    Ok(b) => {
                        r.result.insert("changed".into(), Value::Bool(b));
                    }
                    Err(e) => return self.task_failed(task, vars, e.to_string()),
                }
            }
            if let Some(c) = &task.failed_when {
                match self.r.templar.eval_condition(ConditionKind::When, c, &ctx) {
                    Ok(b) => {
                        r.result.insert("failed".into(), Value::Bool(b));
                        if !b {
                            r.result.remove("rc_failed");
                        }
                        r.result.insert("failed_when_result".into(), Value::Bool(b));
                    }
                    Err(e) => return self.task_failed(task, vars, e.to_string()),
                }
            }
        }
        r.status = self.final_status(task, &r.result, vars);
        r
    }

    fn final_status(&self, task: &Task, result: &Map, vars: &Map) -> Status {
        let failed = if task.failed_when.is_some() {
            result.get("failed").map(truthy).unwrap_or(false)
        } else {
            is_failed(result)
        };
        if failed {
            if self.ignore_errors(task, vars) {
                Status::Ignored
            } else {
                Status::Failed
            }
        } else if is_skipped(result) {
            Status::Skipped
        } else if is_changed(result) {
            Status::Changed
        } else {
            Status::Ok
        }
    }

    fn ignore_errors(&self, task: &Task, vars: &Map) -> bool {
        task.ignore_errors
            .as_ref()
            .is_some_and(|v| self.flag(v, vars, &task.basedir).unwrap_or(false))
    }

    /// Templates the task's arguments and splits them into options and the free-form part: the
    /// `k=v` string first (templated as a whole, then split, as 1.2 did), the mapping over it.
    fn template_args(
        &self,
        task: &Task,
        ctx: &TemplateContext<'_>,
    ) -> Result<(Map, Option<String>), crate::template::TemplateError> {
        let free_form_module = is_free_form(&task.module);
        let mut map = Map::new();
        let mut free = None;
        if !task.args.raw.is_empty() {
            let v = self
                .r
                .templar
                .template_value(&Value::String(task.args.raw.clone()), ctx)?;
            let text = match v {
                Value::String(s) => s,
                other => crate::template::python_str(&other),
            };
            if free_form_module {
                let (opts, cmd) = split_free_form(&text);
                map = opts;
                free = Some(cmd);
            } else {
                let (kv, rest) = parse_kv(&text);
                map = kv;
                free = (!rest.is_empty()).then(|| rest.join(" "));
            }
        }
        if !task.args.map.is_empty() {
            let v = self
                .r
                .templar
                .template_value(&Value::Object(task.args.map.clone()), ctx)?;
            if let Value::Object(m) = v {
                for (k, v) in m {
                    map.insert(k, v);
                }
            }
        }
        if let Some(md) = &task.module_defaults {
            if self.dialect() == Dialect::Modern {
                let md = self.r.templar.template_value(md, ctx)?;
                super::moddefaults::apply(
                    &mut map,
                    super::moddefaults::defaults_for(&task.module, &md),
                );
            }
        }
        let raw_params = map.remove("_raw_params").or_else(|| {
            if free_form_module {
                map.remove("cmd")
            } else {
                None
            }
        });
        if let Some(v) = raw_params {
            let text = crate::executor::results::text(&v);
            if free_form_module {
                let (opts, cmd) = split_free_form(&text);
                for (k, v) in opts {
                    map.entry(k).or_insert(v);
                }
                free = Some(cmd);
            } else {
                free = Some(text);
            }
        }
        Ok((map, free))
    }

    /// Actions Ansible runs on the controller (action plugins). `None` = not one of them.
    fn controller_action(
        &self,
        task: &Task,
        host: &str,
        vars: &Map,
        ctx: &TemplateContext<'_>,
        args: &Map,
        free_form: Option<&str>,
    ) -> Option<ItemResult> {
        let mut m = Map::new();
        m.insert("changed".into(), Value::Bool(false));
        let r = match task.module.as_str() {
            "group_by" => {
                let key = args
                    .get("key")
                    .map(crate::template::python_str)
                    .unwrap_or_default();
                let group = key.replace(' ', "-");
                let already = self.r.inventory.groups_of(host).contains(&group);
                m.insert("changed".into(), Value::Bool(!already));
                m.insert("groups".into(), Value::String(group.clone()));
                let mut r = ItemResult::new(Status::Ok, m);
                r.add_groups.push(group);
                r
            }
            "set_fact" => match self.set_fact_facts(args, ctx) {
                Ok(facts) => {
                    m.insert("ansible_facts".into(), Value::Object(facts));
                    ItemResult::new(Status::Ok, m)
                }
                Err(e) => ItemResult::msg(Status::Failed, e),
            },
            "include_vars" => {
                let file = args
                    .get("file")
                    .or_else(|| args.get("_raw_params"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| free_form.map(str::to_string))?;
                let path = task.basedir.join(&file);
                let alt = task.basedir.join("vars").join(&file);
                let path = if path.exists() { path } else { alt };
                match crate::executor::varsfiles::load_vars_file(&path) {
                    Ok(facts) => {
                        m.insert("ansible_facts".into(), Value::Object(facts));
                        ItemResult::new(Status::Ok, m)
                    }
                    Err(e) => ItemResult::msg(Status::Failed, e),
                }
            }
            "include_tasks" => {
                let file = args
                    .get("file")
                    .or_else(|| args.get("_raw_params"))
                    .map(crate::template::python_str)
                    .or_else(|| free_form.map(str::to_string))?;
                let r = super::includes::include_result(task, vars, file.trim());
                ItemResult::new(Status::Ok, r)
            }
            "meta" => ItemResult::new(Status::Ok, m),
            "fail" => {
                let msg = args
                    .get("msg")
                    .map(crate::template::python_str)
                    .unwrap_or_else(|| "Failed as requested from task".into());
                ItemResult::msg(Status::Failed, msg)
            }
            "debug" => self.debug(args, free_form, ctx),
            "assert" => self.assert(args, ctx),
            "pause" if self.dialect() == Dialect::Modern => {
                let paused = super::pause::pause(&task.display_name(), args);
                let mut r = ItemResult::new(Status::Ok, paused.result);
                r.displays = paused.displays;
                r.warnings = paused.warnings;
                r
            }
            "pause" => {
                let secs = args
                    .get("seconds")
                    .map(crate::template::python_str)
                    .and_then(|s| s.parse::<u64>().ok());
                let mins = args
                    .get("minutes")
                    .map(crate::template::python_str)
                    .and_then(|s| s.parse::<u64>().ok());
                let total = secs.unwrap_or(0) + mins.unwrap_or(0) * 60;
                std::thread::sleep(std::time::Duration::from_secs(total.min(3600)));
                ItemResult::new(Status::Ok, m)
            }
            _ => return None,
        };
        Some(r)
    }

    /// `set_fact`'s facts: its arguments without `cacheable`, keys templated as ansible-core
    /// does (`set_fact: "{{ 'x' + item }}={{ item }}"` sets `x0`, `x1`, …).
    fn set_fact_facts(&self, args: &Map, ctx: &TemplateContext<'_>) -> Result<Map, String> {
        let mut facts = Map::new();
        for (k, v) in args {
            if k == "cacheable" {
                continue;
            }
            let key = if k.contains("{{") {
                self.r
                    .templar
                    .template_str(k, ctx)
                    .map_err(|e| e.to_string())?
            } else {
                k.clone()
            };
            facts.insert(key, v.clone());
        }
        Ok(facts)
    }

    fn debug(&self, args: &Map, free_form: Option<&str>, ctx: &TemplateContext<'_>) -> ItemResult {
        let mut m = Map::new();
        if self.dialect() == Dialect::Modern && self.debug_too_verbose(args) {
            // ansible-core's debug action below its `verbosity`: a skip, not a failure.
            m.insert(
                "skipped_reason".into(),
                Value::String("Verbosity threshold not met.".into()),
            );
            m.insert("skipped".into(), Value::Bool(true));
            m.insert("failed".into(), Value::Bool(false));
            return ItemResult::new(Status::Skipped, m);
        }
        if let Some(var) = args.get("var").and_then(Value::as_str) {
            let expr = Value::String(format!("{{{{ {var} }}}}"));
            let v = match self.r.templar.template_value(&expr, ctx) {
                Ok(v) => v,
                // ansible-core 2.19 prints an undefined `var` as a marker (and warns).
                Err(e) if self.dialect() == Dialect::Modern && e.undefined_name().is_some() => {
                    Value::String(format!("<< error 1 - {} >>", e.ansible_reason()))
                }
                Err(e) if crate::vault::undecryptable_use(&e.to_string()).is_some() => {
                    let text = e.to_string();
                    let why = crate::vault::undecryptable_use(&text).unwrap_or_default();
                    let msg = format!("Task failed: Error while resolving `var` expression: {why}");
                    return ItemResult::msg(Status::Failed, msg);
                }
                Err(_) => expr,
            };
            m.insert(var.to_string(), v);
        } else {
            let msg = args
                .get("msg")
                .cloned()
                .or_else(|| free_form.map(|s| Value::String(s.to_string())))
                .unwrap_or_else(|| Value::String("Hello world!".into()));
            m.insert("msg".into(), msg);
        }
        let failed = args.get("fail").map(truthy).unwrap_or(false);
        if failed {
            m.insert("failed".into(), Value::Bool(true));
        }
        m.insert("_flock_show".into(), Value::Bool(true));
        ItemResult::new(if failed { Status::Failed } else { Status::Ok }, m)
    }

    /// Whether a `debug` task's `verbosity` is above the run's `-v` count.
    fn debug_too_verbose(&self, args: &Map) -> bool {
        args.get("verbosity")
            .map(crate::template::python_str)
            .and_then(|s| s.trim().parse::<i64>().ok())
            .is_some_and(|v| v > i64::from(self.r.opts.verbose))
    }

    fn assert(&self, args: &Map, ctx: &TemplateContext<'_>) -> ItemResult {
        let that: Vec<String> = match args.get("that") {
            Some(Value::Array(a)) => a.iter().map(crate::template::python_str).collect(),
            Some(v) => vec![crate::template::python_str(v)],
            None => return ItemResult::msg(Status::Failed, "missing required arguments: that"),
        };
        for cond in &that {
            match self.r.templar.eval_condition(
                ConditionKind::When,
                &Value::String(cond.clone()),
                ctx,
            ) {
                Ok(true) => {}
                Ok(false) => {
                    let msg = args
                        .get("fail_msg")
                        .or_else(|| args.get("msg"))
                        .map(crate::template::python_str)
                        .unwrap_or_else(|| "Assertion failed".into());
                    let mut r = ItemResult::msg(Status::Failed, msg);
                    r.result
                        .insert("assertion".into(), Value::String(cond.clone()));
                    return r;
                }
                Err(e) => return ItemResult::msg(Status::Failed, e.to_string()),
            }
        }
        let mut m = Map::new();
        m.insert("changed".into(), Value::Bool(false));
        m.insert("msg".into(), Value::String("All assertions passed".into()));
        ItemResult::new(Status::Ok, m)
    }

    async fn run_module(
        &self,
        task: &Task,
        host: &str,
        vars: &Map,
        reach: &Reach,
        args_map: Map,
        free_form: Option<String>,
    ) -> ItemResult {
        let name = module_name(task);
        let Some(module) = modules::lookup(name) else {
            return self.controller_failure(format!(
                "module {name} not found in configured module paths"
            ));
        };
        let spec = module.spec();
        if !spec.free_form {
            if let Some(rest) = free_form.as_deref().filter(|s| !s.trim().is_empty()) {
                return ItemResult::msg(
                    Status::Failed,
                    format!("this module requires key=value arguments ({rest})"),
                );
            }
        }
        let args = match ModuleArgs::validate(spec, &args_map, free_form) {
            Ok(a) => a,
            Err(e) if self.dialect() == Dialect::Modern => {
                let mut r = ItemResult::msg(Status::Failed, e.modern_message(name, spec));
                r.result.insert("changed".into(), Value::Bool(false));
                return r;
            }
            Err(e) => return ItemResult::msg(Status::Failed, e.to_string()),
        };
        let task_check = task.check_mode.as_ref().map(truthy);
        let check = task_check.unwrap_or(self.r.opts.check);
        // Modern `command`/`shell` without `creates`/`removes` answer check mode themselves.
        let module_checks = self.dialect() == Dialect::Modern
            && matches!(name, "command" | "shell")
            && args.str("creates").is_none()
            && args.str("removes").is_none();
        if check && !module_checks && matches!(name, "command" | "shell" | "raw" | "script") {
            let mut m = Map::new();
            m.insert("skipped".into(), Value::Bool(true));
            m.insert(
                "msg".into(),
                Value::String("skipped, running in check mode".into()),
            );
            return ItemResult::new(Status::Skipped, m);
        }
        let target_host = task
            .delegate_to
            .as_ref()
            .map(|d| self.template_plain(&crate::executor::results::text(d), vars, &task.basedir));
        let conn_vars_owned;
        let (conn_host, conn_vars) = match &target_host {
            Some(d) if d != host => {
                conn_vars_owned = self.r.play_host_vars(self.play, d);
                (d.as_str(), &conn_vars_owned)
            }
            _ => (host, vars),
        };
        let (spec, become_) = self.r.reach_host(conn_host, conn_vars, reach);
        let conn = match self.r.pool.get(&spec).await {
            Ok(c) => c,
            Err(e) => return ItemResult::msg(Status::Unreachable, e.to_string()),
        };
        let renderer = FileRenderer {
            templar: &self.r.templar,
            vars,
            basedir: &task.basedir,
            dialect: self.dialect(),
            hostvars: self.hostvars.clone(),
            warnings: Mutex::new(Vec::new()),
        };
        let mctx = ModuleContext {
            remote: Remote::new(&conn, become_),
            check_mode: check,
            diff_mode: task.diff.as_ref().map(truthy).unwrap_or(self.r.opts.diff),
            basedir: task.basedir.clone(),
            vars,
            templates: &renderer,
            dialect: self.dialect(),
        };
        let outcome = module.run(&mctx, &args).await;
        let diff_mode = mctx.diff_mode;
        drop(mctx);
        let warnings = renderer.warnings.into_inner().unwrap_or_default();
        match outcome {
            Ok(res) => {
                let diffs = if diff_mode {
                    res.diffs.iter().map(unified_diff).collect()
                } else {
                    Vec::new()
                };
                let mut r = ItemResult::new(Status::Ok, res.to_map());
                r.diffs = diffs;
                r.warnings = warnings;
                r
            }
            Err(ModuleError::Connection(e)) => ItemResult::msg(Status::Unreachable, e.to_string()),
            Err(ModuleError::Controller(msg)) => {
                let mut r = self.controller_failure(msg);
                if r.status == Status::Unreachable {
                    // 1.2's action plugin returned `dict(failed=True, msg=...)` with
                    // comm_ok=False: the callback printed the dict's repr.
                    r.result.insert("failed".into(), Value::Bool(true));
                    r.result.insert(REPR_KEY.into(), Value::Bool(true));
                }
                r.warnings = warnings;
                r
            }
        }
    }

    fn template_plain(&self, s: &str, vars: &Map, basedir: &Path) -> String {
        let ctx = self.ctx(vars, basedir);
        match self
            .r
            .templar
            .template_value(&Value::String(s.to_string()), &ctx)
        {
            Ok(Value::String(s)) => s,
            _ => s.to_string(),
        }
    }
}

/// The task's module name without the `ansible.builtin.` prefix.
fn module_name(task: &Task) -> &str {
    task.module
        .strip_prefix("ansible.builtin.")
        .unwrap_or(&task.module)
}

/// Masks `secrets` in everything an item result can show.
fn hide_item_secrets(r: &mut ItemResult, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    let mut v = Value::Object(std::mem::take(&mut r.result));
    modules::args::hide_values(&mut v, secrets);
    if let Value::Object(m) = v {
        r.result = m;
    }
    for text in r.diffs.iter_mut().chain(r.warnings.iter_mut()) {
        *text = modules::args::hide_in_text(text, secrets);
    }
}

/// Modules whose arguments are a command line rather than `k=v` pairs.
fn is_free_form(module: &str) -> bool {
    matches!(
        module.strip_prefix("ansible.builtin.").unwrap_or(module),
        "command" | "shell" | "raw" | "script"
    )
}

fn task_reach(task: &Task) -> Reach {
    let connection = if task.local_action {
        Some("local")
    } else {
        task.connection.as_deref()
    };
    Reach::from_model(task.remote_user.as_ref(), connection, &task.become_)
}

/// How an item shows in `(item=…)`: a string as it is; else Python's repr (Python 3's, with
/// dicts in insertion order, in modern playbooks).
fn item_text(item: &Value, dialect: Dialect) -> String {
    match item {
        Value::String(s) => s.clone(),
        Value::Number(_) => crate::template::python_str(item),
        other if dialect == Dialect::Modern => crate::template::python3_repr(other),
        other => crate::template::python_str(other),
    }
}

fn single_outcome(mut r: ItemResult, notify: Vec<String>) -> HostOutcome {
    let mut out = single_outcome_with_item(&mut r, None);
    out.notify = notify;
    out
}

fn single_outcome_with_item(r: &mut ItemResult, item: Option<String>) -> HostOutcome {
    HostOutcome {
        status: r.status,
        lines: vec![ItemLine {
            status: r.status,
            item,
            result: r.result.clone(),
        }],
        result: std::mem::take(&mut r.result),
        diffs: std::mem::take(&mut r.diffs),
        warnings: std::mem::take(&mut r.warnings),
        notify: Vec::new(),
        add_groups: std::mem::take(&mut r.add_groups),
        retries: std::mem::take(&mut r.retries),
        no_log: false,
        displays: std::mem::take(&mut r.displays),
        host_label: None,
    }
}

/// A unified diff (10 lines of context, as 1.2 printed) of one file change.
pub fn unified_diff(d: &crate::modules::FileDiff) -> String {
    let diff = similar::TextDiff::from_lines(&d.before, &d.after);
    let mut out = String::new();
    if d.path.is_empty() {
        // A diff of no file (`hostname`, `cron` of a user): ansible-core's bare headers.
        out.push_str("--- before\n+++ after\n");
    } else {
        out.push_str(&format!("--- before: {}\n+++ after: {}\n", d.path, d.path));
    }
    for hunk in diff.unified_diff().context_radius(10).iter_hunks() {
        out.push_str(&hunk.to_string());
    }
    out
}
