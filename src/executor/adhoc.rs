//! Ad-hoc output in the style of Ansible 1.2's `ansible` command (spec 1.3).

use crate::output::Status;
use crate::value::{Map, Value};

/// One host's ad-hoc result: `HOST | success | rc=N >>` + output for commands,
/// `HOST | success >> {json}` otherwise, `HOST | FAILED >> …`, `HOST | FAILED => msg`.
pub fn render(host: &str, status: Status, result: &Map) -> String {
    let is_command =
        result.contains_key("rc") && (result.contains_key("stdout") || result.contains_key("cmd"));
    let word = match status {
        Status::Failed => "FAILED",
        Status::Unreachable => {
            let msg = result
                .get("msg")
                .and_then(Value::as_str)
                .unwrap_or("unreachable");
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
