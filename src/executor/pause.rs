//! The `pause` action as ansible-core 2.19 runs it (`plugins/action/pause.py`): once per play
//! batch (the caller runs it on the first host only, as `BYPASS_HOST_LOOP` does), `minutes`
//! winning over `seconds`, at least one second, the `Pausing for N seconds` line first, and
//! without an interactive stdin a prompt with no duration warns and returns at once.

use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::value::{Map, Value};

/// What one pause did: the result dict, the lines ansible-core displays before the result,
/// and its warnings.
pub(crate) struct Paused {
    /// The result (`stdout: "Paused for 1.0 seconds"`, `user_input`, `start`/`stop`/`delta`, …).
    pub result: Map,
    /// Lines printed as they are (`Pausing for 1 seconds`, the continue/abort hint).
    pub displays: Vec<String>,
    /// `Not waiting for response to prompt as stdin is not interactive`.
    pub warnings: Vec<String>,
}

/// How long to wait: `minutes` (reported in minutes) or `seconds`; `None` waits for input.
fn duration(args: &Map) -> Option<(u64, &'static str)> {
    let number = |k: &str| {
        args.get(k)
            .map(crate::template::python_str)
            .and_then(|s| s.trim().parse::<f64>().ok())
            .map(|n| n.max(0.0) as u64)
    };
    if let Some(m) = number("minutes") {
        return Some((m * 60, "minutes"));
    }
    number("seconds").map(|s| (s, "seconds"))
}

fn now_text() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]"
    );
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&format).unwrap_or_default()
}

/// Pauses for the task named `task_name` with `args` (`seconds`, `minutes`, `prompt`, `echo`).
pub(crate) fn pause(task_name: &str, args: &Map) -> Paused {
    let prompt = args
        .get("prompt")
        .map(crate::template::python_str)
        .filter(|p| !p.is_empty());
    let echo = args.get("echo").map(super::results::truthy).unwrap_or(true);
    let mut displays = Vec::new();
    let mut warnings = Vec::new();
    let started = Instant::now();
    let start = now_text();
    let mut user_input = String::new();
    let unit = match duration(args) {
        Some((secs, unit)) => {
            let secs = secs.max(1);
            let hidden = if echo { "" } else { " (output is hidden)" };
            displays.push(format!("Pausing for {secs} seconds{hidden}"));
            if prompt.is_some() {
                displays
                    .push("(ctrl+C then 'C' = continue early, ctrl+C then 'A' = abort)\r".into());
            }
            std::thread::sleep(Duration::from_secs(secs.min(24 * 3600)));
            unit
        }
        None if std::io::stdin().is_terminal() => {
            let text = prompt
                .as_deref()
                .unwrap_or("Press enter to continue, Ctrl+C to interrupt");
            print!("[{}]\n{text}:", task_name.trim());
            let _ = std::io::stdout().flush();
            let mut line = String::new();
            let _ = std::io::stdin().lock().read_line(&mut line);
            user_input = line.trim_end_matches(['\r', '\n']).to_string();
            "minutes"
        }
        None => {
            warnings.push("Not waiting for response to prompt as stdin is not interactive".into());
            "minutes"
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    let shown = match unit {
        "minutes" => (elapsed / 60.0 * 100.0).round() / 100.0,
        _ => (elapsed * 100.0).round() / 100.0,
    };
    let mut result = Map::new();
    result.insert("changed".into(), Value::Bool(false));
    result.insert("rc".into(), Value::from(0));
    result.insert("stderr".into(), Value::String(String::new()));
    result.insert(
        "stdout".into(),
        Value::String(format!(
            "Paused for {} {unit}",
            crate::template::python_str(&Value::from(shown))
        )),
    );
    result.insert("start".into(), Value::String(start));
    result.insert("stop".into(), Value::String(now_text()));
    result.insert("delta".into(), Value::from(elapsed as u64));
    result.insert("echo".into(), Value::Bool(echo));
    result.insert("user_input".into(), Value::String(user_input));
    Paused {
        result,
        displays,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_win_over_seconds_and_are_reported_in_minutes() {
        let mut args = Map::new();
        args.insert("seconds".into(), Value::from(5));
        args.insert("minutes".into(), Value::String("2".into()));
        assert_eq!(duration(&args), Some((120, "minutes")));
        args.shift_remove("minutes");
        assert_eq!(duration(&args), Some((5, "seconds")));
        assert_eq!(duration(&Map::new()), None);
    }
}
