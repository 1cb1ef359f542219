//! Turning module results into Ansible's result dicts: failure rules, loop aggregation and what
//! `register` stores.

use crate::value::{Map, Value};

/// Ansible's rule: a result is failed if it says `failed` or carries a non-zero `rc`.
pub fn is_failed(result: &Map) -> bool {
    let flag = result.get("failed").map(truthy).unwrap_or(false);
    let rc = result
        .get("rc")
        .and_then(Value::as_i64)
        .map(|rc| rc != 0)
        .unwrap_or(false);
    flag || rc
}

/// Whether a result says `changed`.
pub fn is_changed(result: &Map) -> bool {
    result.get("changed").map(truthy).unwrap_or(false)
}

/// Whether a result says `skipped`.
pub fn is_skipped(result: &Map) -> bool {
    result.get("skipped").map(truthy).unwrap_or(false)
}

/// Python-ish truth of a result flag (`True`, `"yes"`, `1`).
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().map(|f| f != 0.0).unwrap_or(false),
        Value::String(s) => matches!(
            s.to_ascii_lowercase().as_str(),
            "yes" | "true" | "on" | "1" | "y"
        ),
        Value::Null => false,
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The text of a scalar (strings as they are, other values as Python's `str()`).
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => crate::modules::args::value_text(other),
    }
}

/// The aggregate of a loop's item results (spec 10.2): changed if any item changed, failed
/// ("One or more items failed.") if any item failed, `results` = the item results.
pub fn aggregate_items(items: Vec<Map>) -> Map {
    let changed = items.iter().any(is_changed);
    let failed = items.iter().any(is_failed);
    let all_skipped = !items.is_empty() && items.iter().all(is_skipped);
    let mut agg = Map::new();
    agg.insert("changed".into(), Value::Bool(changed));
    if failed {
        agg.insert("failed".into(), Value::Bool(true));
        agg.insert(
            "msg".into(),
            Value::String("One or more items failed.".into()),
        );
    } else {
        agg.insert("msg".into(), Value::String("All items completed".into()));
    }
    if all_skipped {
        agg.insert("skipped".into(), Value::Bool(true));
    }
    agg.insert(
        "results".into(),
        Value::Array(items.into_iter().map(Value::Object).collect()),
    );
    agg
}

/// What `register` stores: the result with `stdout_lines` added when `stdout` exists.
pub fn register_value(result: &Map) -> Value {
    let mut r = result.clone();
    r.retain(|k, _| !k.starts_with("_flock"));
    if let Some(Value::String(out)) = r.get("stdout") {
        let lines: Vec<Value> = out.lines().map(|l| Value::String(l.to_string())).collect();
        r.insert("stdout_lines".into(), Value::Array(lines));
    }
    if let Some(Value::String(err)) = r.get("stderr") {
        let lines: Vec<Value> = err.lines().map(|l| Value::String(l.to_string())).collect();
        r.insert("stderr_lines".into(), Value::Array(lines));
    }
    Value::Object(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(v: Value) -> Map {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn rc_nonzero_is_failure() {
        assert!(is_failed(&m(json!({"rc": 1}))));
        assert!(!is_failed(&m(json!({"rc": 0, "changed": true}))));
        assert!(is_failed(&m(json!({"failed": true}))));
    }

    #[test]
    fn loops_aggregate_like_ansible() {
        let agg = aggregate_items(vec![m(json!({"changed": true})), m(json!({"rc": 2}))]);
        assert_eq!(agg["changed"], json!(true));
        assert_eq!(agg["failed"], json!(true));
        assert_eq!(agg["msg"], json!("One or more items failed."));
        let agg = aggregate_items(vec![m(json!({"changed": false}))]);
        assert_eq!(agg["msg"], json!("All items completed"));
    }

    #[test]
    fn register_adds_stdout_lines() {
        let v = register_value(&m(json!({"stdout": "a\nb"})));
        assert_eq!(v["stdout_lines"], json!(["a", "b"]));
    }
}
