//! `loop_control` as ansible-core 2.19 runs it (`TaskExecutor._run_loop`): `loop_var`,
//! `index_var`, `extended` (`ansible_loop.*`, `extended_allitems`), `label` and `pause`, for
//! `loop:` and every `with_*` lookup; and how ansible-core's callback shows a `debug` item.

use crate::playbook::Task;
use crate::value::{Map, Value};

/// The `debug` result keys ansible-core shows next to `msg` (`_DEBUG_ALLOWED_KEYS`).
const DEBUG_ALLOWED: &[&str] = &["msg", "exception", "warnings", "deprecations"];
/// The keys ansible-core hides from a `debug: var=` result (`_hide_in_debug`).
const HIDE_IN_DEBUG: &[&str] = &[
    "changed",
    "failed",
    "skipped",
    "invocation",
    "skip_reason",
    "ansible_loop_var",
    "ansible_index_var",
    "ansible_loop",
];

/// A task's `loop_control` settings.
pub(crate) struct LoopControl {
    /// The item's variable name (`item`).
    pub loop_var: String,
    /// The variable holding the item's index (from 0).
    index_var: Option<String>,
    /// The template shown as `(item=…)` instead of the item.
    pub label: Option<Value>,
    /// Whether `ansible_loop` is set.
    extended: bool,
    /// Whether `ansible_loop.allitems` is set (with `extended`).
    extended_allitems: bool,
    /// Seconds to wait between two items.
    pub pause: f64,
}

impl LoopControl {
    /// The task's settings (ansible-core's defaults where absent).
    pub(crate) fn of(task: &Task) -> Self {
        let get = |k: &str| task.loop_control.as_ref().and_then(|c| c.get(k));
        let text = |k: &str| get(k).map(crate::template::python_str);
        let flag = |k: &str, default: bool| get(k).map(super::results::truthy).unwrap_or(default);
        Self {
            loop_var: text("loop_var").unwrap_or_else(|| "item".into()),
            index_var: text("index_var").filter(|s| !s.is_empty()),
            label: get("label").filter(|v| !v.is_null()).cloned(),
            extended: flag("extended", false),
            extended_allitems: flag("extended_allitems", true),
            pause: text("pause")
                .and_then(|s| s.trim().parse::<f64>().ok())
                .unwrap_or(0.0),
        }
    }

    /// The variables item `index` of `items` adds to the task's (ansible-core puts the same
    /// keys in the item's result). `modern`: with `ansible_loop_var` and the `loop_control`
    /// extras; Ansible 1.2 set only the item.
    pub(crate) fn item_vars(&self, items: &[Value], index: usize, modern: bool) -> Map {
        let mut m = Map::new();
        let item = items.get(index).cloned().unwrap_or(Value::Null);
        m.insert(self.loop_var.clone(), item);
        if !modern {
            return m;
        }
        m.insert(
            "ansible_loop_var".into(),
            Value::String(self.loop_var.clone()),
        );
        if let Some(index_var) = &self.index_var {
            m.insert(index_var.clone(), Value::from(index));
            m.insert("ansible_index_var".into(), Value::String(index_var.clone()));
        }
        if self.extended {
            m.insert(
                "ansible_loop".into(),
                Value::Object(self.extended_vars(items, index)),
            );
        }
        m
    }

    /// `ansible_loop` for item `index`.
    fn extended_vars(&self, items: &[Value], index: usize) -> Map {
        let len = items.len();
        let mut l = Map::new();
        l.insert("index".into(), Value::from(index + 1));
        l.insert("index0".into(), Value::from(index));
        l.insert("first".into(), Value::Bool(index == 0));
        l.insert("last".into(), Value::Bool(index + 1 == len));
        l.insert("length".into(), Value::from(len));
        l.insert("revindex".into(), Value::from(len - index));
        l.insert("revindex0".into(), Value::from(len - index - 1));
        if self.extended_allitems {
            l.insert("allitems".into(), Value::Array(items.to_vec()));
        }
        if let Some(next) = items.get(index + 1) {
            l.insert("nextitem".into(), next.clone());
        }
        if let Some(prev) = index.checked_sub(1).and_then(|i| items.get(i)) {
            l.insert("previtem".into(), prev.clone());
        }
        l
    }
}

/// What ansible-core's callback shows of a `debug` item result (`_clean_results`): `msg`
/// alone (with exceptions and warnings), or the `var` without the loop's bookkeeping.
pub(crate) fn clean_debug_item(result: &mut Map) {
    let internal = |k: &str| k.starts_with('_');
    if result.contains_key("msg") {
        result.retain(|k, _| DEBUG_ALLOWED.contains(&k.as_str()) || internal(k));
    } else {
        result.retain(|k, _| !HIDE_IN_DEBUG.contains(&k.as_str()));
    }
}
