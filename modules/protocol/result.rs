//! Parsing a module's output into a [`ModuleResult`], as ansible-core 2.19 does.
//!
//! ansible-core drops lines before the first one starting with `{` and after the last one ending
//! with `}` (warning about trailing junk), decodes the JSON object, and on failure reports
//! `Module result deserialization failed: REASON` with `module_stdout`, `module_stderr` and `rc`.

use crate::modules::ModuleResult;
use crate::value::{Map, Value};

/// What a module process left behind.
#[derive(Clone, Debug, Default)]
pub struct ModuleOutput {
    /// Standard output (the JSON result, possibly with junk around it).
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status.
    pub rc: i32,
}

/// Why the output held no JSON object (ansible-core's `_filter_non_json_lines` reasons).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
enum FilterError {
    #[error("No start of json char found")]
    NoStart,
    #[error("No end of json char found")]
    NoEnd,
}

/// The JSON text of the output and the warnings about junk after it.
fn filter_non_json_lines(stdout: &str) -> Result<(String, Vec<String>), FilterError> {
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines
        .iter()
        .position(|line| line.trim().starts_with('{'))
        .ok_or(FilterError::NoStart)?;
    let rest = &lines[start..];
    let from_end = rest
        .iter()
        .rev()
        .position(|line| line.trim().ends_with('}'))
        .ok_or(FilterError::NoEnd)?;
    let end = rest.len() - from_end;
    let mut warnings = Vec::new();
    let junk = &rest[end..];
    if junk.iter().any(|line| !line.trim().is_empty()) {
        warnings.push(format!(
            "Module invocation had junk after the JSON data: {}",
            junk.join("\n")
        ));
    }
    Ok((rest[..end].join("\n"), warnings))
}

/// The failure ansible-core reports for output it cannot decode.
fn deserialization_failure(
    output: &ModuleOutput,
    reason: &str,
    interpreter: Option<&str>,
) -> ModuleResult {
    let msg = match interpreter {
        Some(path) if interpreter_missing(output, path) => {
            format!("The module interpreter '{path}' was not found.")
        }
        _ => format!("Module result deserialization failed: {reason}"),
    };
    let mut result = ModuleResult::failed(msg);
    result
        .data
        .insert("module_stdout".into(), Value::String(output.stdout.clone()));
    result
        .data
        .insert("module_stderr".into(), Value::String(output.stderr.clone()));
    result.data.insert("rc".into(), Value::from(output.rc));
    result
}

/// The shell's "not found" message for the interpreter, as ansible-core looks for it.
fn interpreter_missing(output: &ModuleOutput, interpreter: &str) -> bool {
    let interpreter = interpreter.trim_start_matches(['#', '!']);
    [
        "No such file or directory",
        "not found",
        "command not found",
    ]
    .iter()
    .map(|tail| format!("{interpreter}: {tail}"))
    .any(|needle| output.stderr.contains(&needle) || output.stdout.contains(&needle))
}

/// A truthy result flag: ansible-core accepts booleans and the usual strings.
fn flag(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => {
            matches!(s.to_ascii_lowercase().as_str(), "yes" | "true" | "1" | "on")
        }
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        _ => false,
    }
}

/// Turns the decoded object into a result: `changed`, `failed`, `skipped` and `msg` lifted out,
/// `invocation` dropped when the task is `no_log`, everything else kept in `data`.
fn result_from_object(mut data: Map, no_log: bool, warnings: Vec<String>) -> ModuleResult {
    let changed = flag(data.remove("changed").as_ref());
    let failed = flag(data.remove("failed").as_ref());
    let skipped = flag(data.remove("skipped").as_ref());
    let msg = match data.remove("msg") {
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    if no_log {
        data.remove("invocation");
    }
    if !warnings.is_empty() {
        let list = data
            .entry("warnings")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = list {
            items.extend(warnings.into_iter().map(Value::String));
        }
    }
    ModuleResult {
        changed,
        failed,
        skipped,
        msg,
        data,
        diffs: Vec::new(),
    }
}

/// Parses a module's output as ansible-core does. `interpreter` is the `#!` line's interpreter
/// used to run the module, if any (for the "interpreter was not found" message).
pub fn parse_module_output(
    output: &ModuleOutput,
    no_log: bool,
    interpreter: Option<&str>,
) -> ModuleResult {
    let (json, warnings) = match filter_non_json_lines(&output.stdout) {
        Ok(found) => found,
        Err(reason) => return deserialization_failure(output, &reason.to_string(), interpreter),
    };
    match serde_json::from_str::<Value>(&json) {
        Ok(Value::Object(data)) => result_from_object(data, no_log, warnings),
        Ok(_) => deserialization_failure(output, "module output is not a JSON object", interpreter),
        Err(err) => deserialization_failure(output, &err.to_string(), interpreter),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(stdout: &str) -> ModuleOutput {
        ModuleOutput {
            stdout: stdout.into(),
            stderr: String::new(),
            rc: 0,
        }
    }

    #[test]
    fn garbage_gives_ansible_cores_failure() {
        // ansible-core 2.19, library/garb printing "garbage here":
        // {"changed": false, "module_stderr": "", "module_stdout": "garbage here\n",
        //  "msg": "Module result deserialization failed: No start of json char found", "rc": 0}
        let result = parse_module_output(&out("garbage here\n"), false, None);
        assert!(result.failed);
        assert!(!result.changed);
        assert_eq!(
            result.msg.as_deref(),
            Some("Module result deserialization failed: No start of json char found")
        );
        assert_eq!(result.data["module_stdout"], "garbage here\n");
        assert_eq!(result.data["module_stderr"], "");
        assert_eq!(result.data["rc"], 0);
    }

    #[test]
    fn unclosed_object_has_no_end() {
        let result = parse_module_output(&out("{\"changed\": true\n"), false, None);
        assert_eq!(
            result.msg.as_deref(),
            Some("Module result deserialization failed: No end of json char found")
        );
    }

    #[test]
    fn junk_around_json_is_dropped_and_trailing_junk_warned() {
        let result = parse_module_output(
            &out("motd\n{\"changed\": true, \"rc\": 0}\nbye\n"),
            false,
            None,
        );
        assert!(result.changed && !result.failed);
        assert_eq!(result.data["rc"], 0);
        assert_eq!(
            result.data["warnings"][0],
            "Module invocation had junk after the JSON data: bye"
        );
    }

    #[test]
    fn no_log_drops_invocation() {
        let text = "{\"changed\": false, \"invocation\": {\"module_args\": {\"password\": \"x\"}}, \"msg\": \"hi\"}";
        assert!(parse_module_output(&out(text), false, None)
            .data
            .contains_key("invocation"));
        let hidden = parse_module_output(&out(text), true, None);
        assert!(!hidden.data.contains_key("invocation"));
        assert_eq!(hidden.msg.as_deref(), Some("hi"));
    }

    #[test]
    fn failed_flag_and_missing_interpreter() {
        assert!(
            parse_module_output(&out("{\"failed\": true, \"msg\": \"no\"}"), false, None).failed
        );
        let missing = ModuleOutput {
            stdout: String::new(),
            stderr: "/bin/sh: 1: /usr/bin/python9: not found\n".into(),
            rc: 127,
        };
        let result = parse_module_output(&missing, false, Some("/usr/bin/python9"));
        assert_eq!(
            result.msg.as_deref(),
            Some("The module interpreter '/usr/bin/python9' was not found.")
        );
        assert_eq!(result.data["rc"], 127);
    }
}
