//! Ad-hoc output in the style of Ansible 1.2's `ansible` command (spec 1.3).

use crate::output::Status;
use crate::value::{Map, Value};

/// One host's ad-hoc result as Ansible 1.2's `ansible` printed it: `HOST | success | rc=N >>`
/// then stdout and stderr for command/shell/raw, `HOST | success >> {json}` (Python's
/// `json.dumps(indent=4, sort_keys=True)`) otherwise, `FAILED` instead of `success` on failure,
/// `HOST | FAILED => msg` when unreachable.
pub fn render(host: &str, module: &str, status: Status, result: &Map) -> String {
    let module = module.strip_prefix("ansible.builtin.").unwrap_or(module);
    let caption = match status {
        Status::Unreachable => {
            let msg = result
                .get("msg")
                .and_then(Value::as_str)
                .unwrap_or("unreachable");
            return format!("{host} | FAILED => {msg}\n");
        }
        Status::Failed => "FAILED",
        _ => "success",
    };
    if matches!(module, "command" | "shell" | "raw")
        && result.get("parsed") != Some(&Value::Bool(false))
    {
        let rc = result.get("rc").map(text).unwrap_or_else(|| "0".into());
        let mut s = format!("{host} | {caption} | rc={rc} >>\n");
        for key in ["stdout", "stderr", "msg"] {
            if let Some(v) = result.get(key).map(text).filter(|t| !t.is_empty()) {
                s.push_str(&v);
            }
        }
        s.push_str("\n\n");
        return s;
    }
    format!(
        "{host} | {caption} >> {}\n\n",
        python_json_indent(&Value::Object(result.clone()), 0)
    )
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Python 2.7's `json.dumps(v, sort_keys=True, indent=4)`: items end in `", "` before the
/// newline (a trailing space), as 1.2's output shows.
fn python_json_indent(v: &Value, level: usize) -> String {
    let pad = |n: usize| " ".repeat(4 * n);
    match v {
        Value::Object(m) if !m.is_empty() => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .iter()
                .map(|k| {
                    let key = crate::output::python_json_value(&Value::String((*k).clone()));
                    format!(
                        "{}{key}: {}",
                        pad(level + 1),
                        python_json_indent(&m[*k], level + 1)
                    )
                })
                .collect();
            format!("{{\n{}\n{}}}", items.join(", \n"), pad(level))
        }
        Value::Array(a) if !a.is_empty() => {
            let items: Vec<String> = a
                .iter()
                .map(|x| format!("{}{}", pad(level + 1), python_json_indent(x, level + 1)))
                .collect();
            format!("[\n{}\n{}]", items.join(", \n"), pad(level))
        }
        other => crate::output::python_json_value(other),
    }
}

/// The one-play playbook an ad-hoc call runs: `hosts: PATTERN`, no facts, one task
/// `action: MODULE ARGS`. Written as YAML to a scratch file and read by the playbook loader (so
/// arguments are read exactly like a playbook's), then pointed at the current directory.
pub fn adhoc_playbook(
    pattern: &str,
    module: &str,
    args: &str,
    dialect: crate::template::Dialect,
) -> Result<crate::playbook::Playbook, String> {
    let action = if args.trim().is_empty() {
        module.to_string()
    } else {
        format!("{module} {args}")
    };
    let doc = serde_json::json!([{
        "hosts": pattern,
        "gather_facts": false,
        "tasks": [{ "name": action, "action": action }],
    }]);
    let dir = tempfile_dir()?;
    let path = dir.join("adhoc.yml");
    std::fs::write(&path, doc.to_string())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let opts = crate::playbook::LoadOptions {
        dialect: Some(dialect),
        ..Default::default()
    };
    let loaded = crate::playbook::Playbook::load(&path, &opts);
    let _ = std::fs::remove_dir_all(&dir);
    let mut book = loaded.map_err(|e| e.to_string())?;
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    for play in &mut book.plays {
        play.basedir = cwd.clone();
        for t in play.tasks.iter_mut() {
            t.basedir = cwd.clone();
        }
    }
    Ok(book)
}

fn tempfile_dir() -> Result<std::path::PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("flock-adhoc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adhoc_output_matches_12() {
        let mut m = Map::new();
        m.insert("ping".into(), Value::String("pong".into()));
        m.insert("changed".into(), Value::Bool(false));
        assert_eq!(
            render("core-01", "ping", Status::Ok, &m),
            "core-01 | success >> {\n    \"changed\": false, \n    \"ping\": \"pong\"\n}\n\n"
        );
        let mut c = Map::new();
        c.insert("rc".into(), Value::from(2));
        c.insert("stdout".into(), Value::String(String::new()));
        c.insert("stderr".into(), Value::String("ls: nope".into()));
        assert_eq!(
            render("h", "command", Status::Failed, &c),
            "h | FAILED | rc=2 >>\nls: nope\n\n"
        );
    }
}
