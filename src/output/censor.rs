//! `no_log`: the one place where a result is censored before any renderer sees it.
//!
//! The executor marks the result of a `no_log` task with [`NO_LOG_KEY`] (as ansible-core marks
//! `_ansible_no_log`); [`censor_event`] then replaces such a result by ansible-core's censored
//! shape (`{"censored": "...", "changed": …}`), hides loop item labels and drops `--diff` output,
//! so nothing a renderer prints can carry the task's output.

use std::borrow::Cow;

use super::Event;
use crate::value::{Map, Value};

/// The result key marking a result whose task had `no_log` (ansible-core's name). Never printed.
pub const NO_LOG_KEY: &str = "_ansible_no_log";

/// What ansible-core prints instead of a `no_log` result (`censored` key).
pub const CENSORED_TEXT: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// ansible-core's loop item label for a `no_log` item.
pub const CENSORED_ITEM: &str = "(censored due to no_log)";

/// Keys a censored result keeps (ansible-core's `_PRESERVE`, without `exception`, whose
/// traceback can quote the task's values; plus flock's rendering flags).
const PRESERVED: &[&str] = &[
    "attempts",
    "changed",
    "retries",
    "warnings",
    "deprecations",
    "_flock_show",
    super::REPR_KEY,
];

/// Whether a result carries the `no_log` mark.
pub fn is_no_log(result: &Map) -> bool {
    result.get(NO_LOG_KEY) == Some(&Value::Bool(true))
}

/// ansible-core's `censor_result`: only the preserved keys, plus `censored`.
pub fn censor_result(result: &Map) -> Map {
    let mut out: Map = result
        .iter()
        .filter(|(k, _)| PRESERVED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.insert("censored".into(), Value::String(CENSORED_TEXT.into()));
    out
}

/// The event as it may be shown: `None` when nothing of it may be (a `no_log` task's diff);
/// a `no_log` host result censored, with its loop item label hidden; anything else unchanged.
pub fn censor_event(event: &Event) -> Option<Cow<'_, Event>> {
    match event {
        Event::HostResult {
            host,
            status,
            item,
            result,
        } if is_no_log(result) => Some(Cow::Owned(Event::HostResult {
            host: host.clone(),
            status: *status,
            item: item.as_ref().map(|_| CENSORED_ITEM.to_string()),
            result: censor_result(result),
        })),
        Event::Diff { no_log: true, .. } => None,
        Event::Retry {
            host,
            task,
            left,
            result,
        } if is_no_log(result) => Some(Cow::Owned(Event::Retry {
            host: host.clone(),
            task: task.clone(),
            left: *left,
            result: censor_result(result),
        })),
        other => Some(Cow::Borrowed(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Status;
    use serde_json::json;

    fn map(v: Value) -> Map {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn censored_result_keeps_only_the_preserved_keys() {
        let r = map(
            json!({"changed": true, "stdout": "s3cret", "cmd": "echo s3cret",
            "rc": 0, "attempts": 2, NO_LOG_KEY: true}),
        );
        let c = censor_result(&r);
        assert_eq!(
            Value::Object(c),
            json!({"changed": true, "attempts": 2, "censored": CENSORED_TEXT})
        );
    }

    #[test]
    fn only_marked_results_are_censored() {
        let plain = Event::HostResult {
            host: "h".into(),
            status: Status::Ok,
            item: Some("s3cret".into()),
            result: map(json!({"stdout": "s3cret"})),
        };
        assert!(matches!(censor_event(&plain), Some(Cow::Borrowed(_))));
        let marked = Event::HostResult {
            host: "h".into(),
            status: Status::Failed,
            item: Some("s3cret".into()),
            result: map(json!({"stdout": "s3cret", "msg": "s3cret", NO_LOG_KEY: true})),
        };
        let Some(Cow::Owned(Event::HostResult { item, result, .. })) = censor_event(&marked) else {
            panic!("a no_log result must be replaced");
        };
        assert_eq!(item.as_deref(), Some(CENSORED_ITEM));
        assert!(!format!("{result:?}").contains("s3cret"));
    }

    #[test]
    fn no_log_diffs_are_dropped() {
        let d = |no_log| Event::Diff {
            host: "h".into(),
            text: "+s3cret\n".into(),
            no_log,
        };
        assert!(censor_event(&d(true)).is_none());
        assert!(censor_event(&d(false)).is_some());
    }
}
