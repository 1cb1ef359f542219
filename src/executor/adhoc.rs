//! Ad-hoc output in the style of Ansible 1.2's `ansible` command (spec 1.3).

use crate::output::Status;
use crate::value::{Map, Value};

/// One host's ad-hoc result: `HOST | success | rc=N >>` + output for commands,
/// `HOST | success >> {json}` otherwise, `HOST | FAILED >> …`, `HOST | FAILED => msg`.
pub fn render(host: &str, status: Status, result: &Map) -> String {
    let is_command = result.contains_key("rc") && (result.contains_key("stdout") || result.contains_key("cmd"));
    let word = match status {
        Status::Failed => "FAILED",
        Status::Unreachable => {
            let msg = result.get("msg").and_then(Value::as_str).unwrap_or("unreachable");
            return format!("{host} | FAILED => {msg}\n");
        }
        Status::Skipped => "skipped",
        _ => "success",
    };
    if is_command {
        let rc = result.get("rc").and_then(Value::as_i64).unwrap_or(0);
        let stdout = result.get("stdout").and_then(Value::as_str).unwrap_or("");
        let stderr = result.get("stderr").and_then(Value::as_str).unwrap_or("");
        let mut s = format!("{host} | {word} | rc={rc} >>\n{stdout}\n");
        if !stderr.is_empty() {
            s.push_str(stderr);
            s.push('\n');
        }
        s.push('\n');
        return s;
    }
    let json = serde_json::to_string_pretty(&Value::Object(result.clone())).unwrap_or_default();
    format!("{host} | {word} >> {json}\n\n")
}
