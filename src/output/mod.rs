//! Events from the executor and their Ansible-style rendering (`PLAY [...]`, `ok: [host]`, recap).
//!
//! The executor never prints: it sends [`Event`]s to an [`Output`], which renders them in the
//! style of the playbook's dialect (Ansible 1.2's `TASK: [name]` banners or modern `TASK [name]`).

pub mod censor;

use std::collections::BTreeMap;
use std::io::Write;

use crate::template::Dialect;
use crate::value::{Map, Value};

/// How one host finished one task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Succeeded, nothing changed.
    Ok,
    /// Succeeded and changed something.
    Changed,
    /// Failed (the host stops for the rest of the play unless ignored).
    Failed,
    /// Failed, but `ignore_errors` was set.
    Ignored,
    /// Condition false, or nothing to do.
    Skipped,
    /// Could not be reached (or a controller-side error made it "dark", as 1.2 did).
    Unreachable,
}

/// Per-host counters for the recap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostStats {
    /// Tasks that succeeded (changed ones included, as Ansible counts).
    pub ok: u32,
    /// Tasks that changed something.
    pub changed: u32,
    /// 1 if the host became unreachable.
    pub unreachable: u32,
    /// Tasks that failed.
    pub failed: u32,
    /// Tasks skipped.
    pub skipped: u32,
    /// Failures ignored (`ignore_errors`).
    pub ignored: u32,
    /// Failures rescued by a block's `rescue`.
    pub rescued: u32,
}

/// Everything the executor reports.
#[derive(Clone, Debug)]
pub enum Event {
    /// A play starts.
    PlayStart { name: String },
    /// The play's pattern matched no host.
    NoHostsMatched,
    /// Fact gathering starts.
    GatheringFacts,
    /// A task (or handler) starts.
    TaskStart { name: String, handler: bool },
    /// One host's result for the current task (or one loop item of it).
    HostResult {
        host: String,
        status: Status,
        item: Option<String>,
        result: Map,
    },
    /// A vars_files import line (1.2: `core-01: importing /path`).
    Import {
        host: String,
        path: String,
        imported: bool,
    },
    /// A unified diff for `--diff` (`no_log`: the task had `no_log`, so it is never shown).
    Diff {
        host: String,
        text: String,
        no_log: bool,
    },
    /// A dynamic include (`include_tasks`) that some hosts included:
    /// `included: FILE for h1, h2 => (item=…)`.
    Included {
        /// The included file's path.
        path: String,
        /// The hosts that include it (in run order).
        hosts: Vec<String>,
        /// The loop item's label, when the include loops.
        item: Option<String>,
    },
    /// A warning for the user.
    Warning(String),
    /// A line an action displays as it is (`pause`'s `Pausing for 1 seconds`).
    Display(String),
    /// A failed attempt of a retrying task (`until`/`retries`), before the next one.
    Retry {
        /// The host.
        host: String,
        /// The task's name as in its banner.
        task: String,
        /// Attempts left.
        left: usize,
        /// The failed attempt's result (shown with `-vv`).
        result: Map,
    },
    /// Every host failed: the run stops.
    AllHostsFailed,
    /// The recap at the end, with the `.retry` file written for the failed hosts (if any).
    Recap {
        stats: BTreeMap<String, HostStats>,
        retry: Option<String>,
    },
}

/// A result key (never printed) asking for an unreachable result to be printed as 1.2 printed a
/// controller-side failure dict: `fatal: [h] => {'msg': '...', 'failed': True}`.
pub const REPR_KEY: &str = "_flock_repr";

/// Renders events as text on a writer (stdout by default).
pub struct Output {
    dialect: Dialect,
    verbosity: u8,
    out: Box<dyn Write + Send>,
}

impl Output {
    /// Output on stdout.
    pub fn stdout(dialect: Dialect, verbosity: u8) -> Self {
        Self {
            dialect,
            verbosity,
            out: Box::new(std::io::stdout()),
        }
    }

    /// Output to any writer (tests).
    pub fn to_writer(dialect: Dialect, verbosity: u8, out: Box<dyn Write + Send>) -> Self {
        Self {
            dialect,
            verbosity,
            out,
        }
    }

    /// Renders one event, censored first ([`censor::censor_event`]).
    pub fn emit(&mut self, event: &Event) {
        let Some(event) = censor::censor_event(event) else {
            return;
        };
        let text = render(&event, self.dialect, self.verbosity);
        if !text.is_empty() {
            let _ = self.out.write_all(text.as_bytes());
            let _ = self.out.flush();
        }
    }
}

/// A banner line as Ansible 1.2 printed it: a blank line, the text, a space, stars up to column
/// 79 (at least 3) and a trailing space.
pub fn banner(text: &str) -> String {
    let stars = 78usize.saturating_sub(text.chars().count()).max(3);
    format!("\n{} {} \n", text, "*".repeat(stars))
}

/// A banner line as ansible-core prints it without a terminal (79 columns): a blank line, the
/// text, a space, stars up to column 80 (at least 3), no trailing space.
pub fn banner_modern(text: &str) -> String {
    let stars = 79usize.saturating_sub(text.chars().count()).max(3);
    format!("\n{} {}\n", text, "*".repeat(stars))
}

/// Renders one event as text.
pub fn render(event: &Event, dialect: Dialect, verbosity: u8) -> String {
    let text = render_event(event, dialect, verbosity);
    if dialect == Dialect::Modern {
        // Same text, ansible-core's banner width.
        return modern_banners(text);
    }
    text
}

/// Rewrites 1.2-style banner lines (`\nTEXT ****… \n`) into [`banner_modern`]'s form.
fn modern_banners(text: String) -> String {
    if !text.starts_with('\n') || !text.ends_with(" \n") || !text.contains(" ***") {
        return text;
    }
    let Some(body) = text[1..text.len() - 2].rsplit_once(' ') else {
        return text;
    };
    if body.1.chars().all(|c| c == '*') {
        banner_modern(body.0)
    } else {
        text
    }
}

fn render_event(event: &Event, dialect: Dialect, verbosity: u8) -> String {
    match event {
        Event::PlayStart { name } => banner(&format!("PLAY [{name}]")),
        Event::NoHostsMatched => "skipping: no hosts matched\n".to_string(),
        Event::GatheringFacts => match dialect {
            Dialect::Legacy12 => banner("GATHERING FACTS"),
            Dialect::Modern => banner("TASK [Gathering Facts]"),
        },
        Event::TaskStart { name, handler } => match (dialect, handler) {
            (Dialect::Legacy12, false) => banner(&format!("TASK: [{name}]")),
            (Dialect::Legacy12, true) => banner(&format!("NOTIFIED: [{name}]")),
            (Dialect::Modern, false) => banner(&format!("TASK [{name}]")),
            (Dialect::Modern, true) => banner(&format!("RUNNING HANDLER [{name}]")),
        },
        Event::HostResult {
            host,
            status,
            item,
            result,
        } => host_line(host, *status, item.as_deref(), result, verbosity, dialect),
        Event::Import {
            host,
            path,
            imported,
        } => {
            if *imported {
                format!("{host}: importing {path}\n")
            } else {
                format!("{host}: not importing file: {path}\n")
            }
        }
        Event::Diff { text, .. } => text.clone(),
        Event::Warning(msg) => format!("[WARNING]: {msg}\n"),
        Event::Display(line) => format!("{line}\n"),
        Event::Included { path, hosts, item } => match item {
            Some(item) => format!(
                "included: {path} for {} => (item={item})\n",
                hosts.join(", ")
            ),
            None => format!("included: {path} for {}\n", hosts.join(", ")),
        },
        Event::Retry {
            host,
            task,
            left,
            result,
        } => {
            // ansible-core's v2_runner_retry.
            let mut line = format!("FAILED - RETRYING: [{host}]: {task} ({left} retries left).");
            if verbosity >= 2 {
                let mut shown = result.clone();
                shown.retain(|k, _| !k.starts_with("_flock"));
                line.push_str(&format!("Result was: {}", python_json(&shown)));
            }
            line.push('\n');
            line
        }
        Event::AllHostsFailed => match dialect {
            Dialect::Legacy12 => "\nFATAL: all hosts have already failed -- aborting\n".to_string(),
            // ansible-core's linear strategy stops without a line of its own.
            Dialect::Modern => String::new(),
        },
        Event::Recap { stats, retry } => match dialect {
            Dialect::Legacy12 => format!("{}\n", recap(stats, retry.as_deref())),
            Dialect::Modern => {
                let hint = retry
                    .as_deref()
                    .map(|p| format!("\nto retry, use: --limit @{p}\n"))
                    .unwrap_or_default();
                format!("{}\n{hint}", recap_modern(stats))
            }
        },
    }
}

fn host_line(
    host: &str,
    status: Status,
    item: Option<&str>,
    result: &Map,
    verbosity: u8,
    dialect: Dialect,
) -> String {
    let item_part = item.map(|i| format!(" => (item={i})")).unwrap_or_default();
    let always = is_debug(result);
    let mut shown = result.clone();
    shown.retain(|k, _| !k.starts_with("_flock") && k != "invocation" && k != "verbose_always");
    match status {
        Status::Ok | Status::Changed => {
            let word = if status == Status::Ok {
                "ok"
            } else {
                "changed"
            };
            if dialect == Dialect::Modern && (always || verbosity > 2) {
                // ansible-core's _dump_results: indent 4 for debug-like results and at -vvv.
                let json = python_json_pretty(&Value::Object(shown), 4);
                format!("{word}: [{host}]{item_part} => {json}\n")
            } else if verbosity > 0 || always {
                format!("{word}: [{host}]{item_part} => {}\n", python_json(&shown))
            } else {
                format!("{word}: [{host}]{item_part}\n")
            }
        }
        Status::Skipped => format!("skipping: [{host}]{item_part}\n"),
        Status::Failed | Status::Ignored if dialect == Dialect::Modern => {
            modern_failed_line(host, item, &shown, status == Status::Ignored)
        }
        Status::Unreachable if dialect == Dialect::Modern => {
            let mut shown = shown;
            shown.shift_remove(REPR_KEY);
            shown.insert("unreachable".into(), Value::Bool(true));
            shown.entry("changed").or_insert(Value::Bool(false));
            format!("fatal: [{host}]: UNREACHABLE! => {}\n", python_json(&shown))
        }
        Status::Failed | Status::Ignored => {
            if dialect == Dialect::Legacy12 && shown.get("changed") == Some(&Value::Bool(false)) {
                // 1.2's fail_json and action-plugin failures carry no `changed` key.
                shown.shift_remove("changed");
            }
            failed_lines(host, &item_part, shown, status == Status::Ignored)
        }
        Status::Unreachable => {
            let msg = result
                .get("msg")
                .or_else(|| result.get("censored"))
                .and_then(Value::as_str)
                .unwrap_or("unreachable");
            if result.get(REPR_KEY) == Some(&Value::Bool(true)) {
                // CPython 2.7's dict order for {failed, msg}; 1.2 printed this line twice
                // (docs/compat.md), flock once.
                let repr = crate::template::python_repr(&Value::String(msg.to_string()));
                format!("fatal: [{host}]{item_part} => {{'msg': {repr}, 'failed': True}}\n")
            } else {
                format!("fatal: [{host}] => {msg}\n")
            }
        }
    }
}

/// ansible-core's default callback: `fatal: [h]: FAILED! => {...}` (`failed: [h] (item=x) =>
/// {...}` for a loop item), the whole result as sorted JSON, then `...ignoring` when ignored.
fn modern_failed_line(host: &str, item: Option<&str>, shown: &Map, ignored: bool) -> String {
    // ansible-core's callback drops `failed` and always shows `changed`.
    let mut shown = shown.clone();
    shown.shift_remove("failed");
    shown.entry("changed").or_insert(Value::Bool(false));
    let json = python_json(&shown);
    let mut s = match item {
        Some(i) => format!("failed: [{host}] (item={i}) => {json}\n"),
        None => format!("fatal: [{host}]: FAILED! => {json}\n"),
    };
    if ignored {
        s.push_str("...ignoring\n");
    }
    s
}

/// Ansible 1.2's failure report: the result without `stdout`/`stderr`/`msg` as JSON, then those
/// on lines of their own.
fn failed_lines(host: &str, item_part: &str, mut shown: Map, ignored: bool) -> String {
    let stderr = shown.shift_remove("stderr");
    let stdout = shown.shift_remove("stdout");
    let msg = shown.shift_remove("msg");
    let mut s = format!("failed: [{host}]{item_part} => {}\n", python_json(&shown));
    let text = |v: &Value| match v {
        Value::String(t) => t.clone(),
        other => python_json_value(other),
    };
    for (label, v) in [("stderr", stderr), ("stdout", stdout), ("msg", msg)] {
        if let Some(v) = v.filter(|v| !matches!(v, Value::Null) && v.as_str() != Some("")) {
            s.push_str(&format!("{label}: {}\n", text(&v)));
        }
    }
    if ignored {
        s.push_str("...ignoring\n");
    }
    s
}

/// A result as Python's `json.dumps(result, sort_keys=True)` writes it (what Ansible prints).
pub fn python_json(map: &Map) -> String {
    python_json_value(&Value::Object(map.clone()))
}

/// A value as Python's `json.dumps(v, indent=N, sort_keys=True, ensure_ascii=False)` writes
/// it (ansible-core's callbacks).
pub fn python_json_pretty(v: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_py_json_pretty(v, indent, 0, &mut out);
    out
}

fn write_py_json_pretty(v: &Value, indent: usize, depth: usize, out: &mut String) {
    let pad = |d: usize| " ".repeat(indent * d);
    match v {
        Value::Object(m) if !m.is_empty() => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push_str("{\n");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                out.push_str(&pad(depth + 1));
                write_py_str_unicode(k, out);
                out.push_str(": ");
                write_py_json_pretty(&m[*k], indent, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&pad(depth));
            out.push('}');
        }
        Value::Array(a) if !a.is_empty() => {
            out.push_str("[\n");
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                out.push_str(&pad(depth + 1));
                write_py_json_pretty(x, indent, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&pad(depth));
            out.push(']');
        }
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
        Value::String(s) => write_py_str_unicode(s, out),
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON string as Python writes it with `ensure_ascii=False`: only `"`, `\\` and control
/// characters escaped.
fn write_py_str_unicode(s: &str, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One value as Python's `json.dumps` writes it.
pub fn python_json_value(v: &Value) -> String {
    let mut out = String::new();
    write_py_json(v, &mut out);
    out
}

fn write_py_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py_str(k, out);
                out.push_str(": ");
                write_py_json(&m[*k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py_json(x, out);
            }
            out.push(']');
        }
        Value::String(s) => write_py_str(s, out),
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON string with Python's `ensure_ascii` escaping.
fn write_py_str(s: &str, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04x}", unit));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn is_debug(result: &Map) -> bool {
    result
        .get("_flock_show")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || result
            .get("verbose_always")
            .and_then(Value::as_bool)
            .unwrap_or(false)
}

/// 1.2's recap: the banner, the retry hint (indented, then a blank line), the host lines.
fn recap(stats: &BTreeMap<String, HostStats>, retry: Option<&str>) -> String {
    let mut s = banner("PLAY RECAP");
    if let Some(path) = retry {
        s.push_str(&format!("           to retry, use: --limit @{path}\n\n"));
    }
    for (host, st) in stats {
        s.push_str(&format!(
            "{:<26} : ok={:<4} changed={:<4} unreachable={:<4} failed={:<4}\n",
            host, st.ok, st.changed, st.unreachable, st.failed
        ));
    }
    s
}

/// Modern Ansible's recap (skipped, rescued and ignored counted too).
fn recap_modern(stats: &BTreeMap<String, HostStats>) -> String {
    let mut s = banner_modern("PLAY RECAP");
    for (host, st) in stats {
        s.push_str(&format!(
            "{:<26} : ok={:<4} changed={:<4} unreachable={:<4} failed={:<4} skipped={:<4} rescued={:<4} ignored={:<4}\n",
            host, st.ok, st.changed, st.unreachable, st.failed, st.skipped, st.rescued, st.ignored
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_print_as_python_json() {
        let mut m = Map::new();
        m.insert("msg".into(), Value::String("h\u{e9}\"".into()));
        m.insert("changed".into(), Value::Bool(true));
        m.insert("list".into(), serde_json::json!([1, "a"]));
        assert_eq!(
            python_json(&m),
            r#"{"changed": true, "list": [1, "a"], "msg": "h\u00e9\""}"#
        );
    }

    #[test]
    fn banners_pad_to_79_columns() {
        let b = banner("PLAY [all]");
        assert_eq!(b, format!("\nPLAY [all] {} \n", "*".repeat(68)));
    }

    fn result(pairs: serde_json::Value) -> Map {
        match pairs {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn legacy_failures_print_no_changed_false() {
        let line = |changed: bool, dialect| {
            let r = result(serde_json::json!({"changed": changed, "failed": true, "msg": "m"}));
            host_line("h", Status::Failed, None, &r, 0, dialect)
        };
        assert_eq!(
            line(false, Dialect::Legacy12),
            "failed: [h] => {\"failed\": true}\nmsg: m\n"
        );
        assert_eq!(
            line(true, Dialect::Legacy12),
            "failed: [h] => {\"changed\": true, \"failed\": true}\nmsg: m\n"
        );
        assert!(line(false, Dialect::Modern).contains("\"changed\": false"));
    }

    #[test]
    fn controller_failure_prints_the_dict_repr() {
        let r = result(
            serde_json::json!({"failed": true, "msg": "unable to read /a'b.j2", REPR_KEY: true}),
        );
        assert_eq!(
            host_line("h", Status::Unreachable, None, &r, 0, Dialect::Legacy12),
            "fatal: [h] => {'msg': \"unable to read /a'b.j2\", 'failed': True}\n"
        );
    }

    #[test]
    fn legacy_retry_hint_follows_the_banner() {
        let mut stats = BTreeMap::new();
        stats.insert("h".to_string(), HostStats::default());
        let text = recap(&stats, Some("./p.retry"));
        assert!(text.starts_with(&format!(
            "{}           to retry, use: --limit @./p.retry\n\nh ",
            banner("PLAY RECAP")
        )));
    }

    #[test]
    fn recap_matches_ansible_12_layout() {
        let mut stats = BTreeMap::new();
        stats.insert(
            "core-01".to_string(),
            HostStats {
                ok: 3,
                changed: 1,
                ..Default::default()
            },
        );
        let text = recap(&stats, None);
        assert!(text.contains(
            "core-01                    : ok=3    changed=1    unreachable=0    failed=0   \n"
        ));
    }
}
