//! `command` (argv, no shell syntax), `shell` (a `/bin/sh` script, or `executable=`), `raw` (the
//! line as is) and `ping`. `creates=`, `removes=` and `chdir=` are checked in the same exec that
//! runs the command.

use std::sync::LazyLock;
use std::time::Instant;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::remote::join_argv;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};
use crate::value::Value;

/// The `command` module.
pub struct Command;
/// The `shell` module.
pub struct Shell;
/// The `raw` module.
pub struct Raw;
/// The `ping` module.
pub struct Ping;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("free_form", ArgKind::Str),
        OptSpec::new("creates", ArgKind::Path),
        OptSpec::new("removes", ArgKind::Path),
        OptSpec::new("chdir", ArgKind::Path),
        OptSpec::new("executable", ArgKind::Path),
        OptSpec::new("warn", ArgKind::Bool),
        OptSpec::new("argv", ArgKind::List),
        OptSpec::new("cmd", ArgKind::Str),
        OptSpec::new("stdin", ArgKind::Str),
        OptSpec::new("stdin_add_newline", ArgKind::Bool).default("yes"),
        OptSpec::new("strip_empty_ends", ArgKind::Bool).default("yes"),
        OptSpec::new("expand_argument_vars", ArgKind::Bool),
    ],
    free_form: true,
    file_common: false,
});

static RAW_SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("free_form", ArgKind::Str),
        OptSpec::new("executable", ArgKind::Path),
    ],
    free_form: true,
    file_common: false,
});

static PING_SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![OptSpec::new("data", ArgKind::Str).default("pong")],
    free_form: false,
    file_common: false,
});

/// Python's `str(datetime.now())`: `2013-07-05 12:00:00.123456`.
fn now_text() -> String {
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]"
    );
    now.format(&fmt).unwrap_or_default()
}

/// Python's `str(timedelta)`: `0:00:00.012345`.
fn delta_text(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    format!(
        "{}:{:02}:{:02}.{:06}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60,
        d.subsec_micros()
    )
}

/// A path for a shell test, with a leading `~/` expanded on the host.
fn host_path(p: &str) -> String {
    match p.strip_prefix("~/") {
        Some(rest) => format!("\"$HOME\"/{}", shell_quote(rest)),
        None if p == "~" => "\"$HOME\"".into(),
        None => shell_quote(p),
    }
}

/// The marker the wrapper prints before it hands over to the command.
const RUN_MARK: &str = "\u{1}FLOCK-RUN\n";

/// How the command line is run.
enum Kind {
    Argv(Vec<String>),
    Shell(String, Option<String>),
}

async fn run_command(
    ctx: &ModuleContext<'_>,
    args: &ModuleArgs,
    kind: Kind,
) -> Result<ModuleResult, ModuleError> {
    let cmd_value = match &kind {
        Kind::Argv(argv) => Value::Array(argv.iter().map(|a| Value::String(a.clone())).collect()),
        Kind::Shell(s, _) => Value::String(s.clone()),
    };
    if ctx.check_mode && ctx.dialect == crate::template::Dialect::Modern {
        return Ok(would_have_run(cmd_value));
    }
    let mut pre = String::new();
    if let Some(c) = args.str("creates") {
        pre.push_str(&format!(
            "if [ -e {} ]; then printf 'S:%s\\n' {}; exit 0; fi; ",
            host_path(c),
            shell_quote(&format!("skipped, since {c} exists"))
        ));
    }
    if let Some(r) = args.str("removes") {
        pre.push_str(&format!(
            "if [ ! -e {} ]; then printf 'S:%s\\n' {}; exit 0; fi; ",
            host_path(r),
            shell_quote(&format!("skipped, since {r} does not exist"))
        ));
    }
    if let Some(d) = args.str("chdir") {
        pre.push_str(&format!(
            "cd {} 2>/dev/null || {{ printf 'C:\\n'; exit 0; }}; ",
            host_path(d)
        ));
    }
    if let Some(e) = args
        .str("executable")
        .filter(|_| matches!(kind, Kind::Shell(..)))
    {
        pre.push_str(&format!(
            "if [ ! -x {} ]; then printf 'E:\\n'; exit 0; fi; ",
            host_path(e)
        ));
    }
    let body = match &kind {
        Kind::Argv(argv) => {
            let words: Vec<&str> = argv.iter().map(String::as_str).collect();
            format!("exec {}", join_argv(&words))
        }
        Kind::Shell(script, exe) => format!(
            "exec {} -c {}",
            shell_quote(exe.as_deref().unwrap_or("/bin/sh")),
            shell_quote(script)
        ),
    };
    let script = format!("{pre}printf '\\001FLOCK-RUN\\n'; {body}");
    let stdin = args.str("stdin").map(|s| {
        let mut s = s.to_string();
        if args.bool("stdin_add_newline", true) {
            s.push('\n');
        }
        s
    });
    let start = now_text();
    let t0 = Instant::now();
    let out = match &stdin {
        Some(data) => ctx.remote.sh_stdin(&script, data.as_bytes()).await?,
        None => ctx.remote.sh(&script).await?,
    };
    let delta = delta_text(t0.elapsed());
    let end = now_text();
    let stdout = out.stdout_str();
    let Some(rest) = stdout.find(RUN_MARK).map(|i| &stdout[i + RUN_MARK.len()..]) else {
        // The wrapper stopped before running the command.
        let first = stdout.lines().next().unwrap_or_default();
        if let Some(msg) = first.strip_prefix("S:") {
            if ctx.dialect == crate::template::Dialect::Modern {
                return Ok(short_circuited(args, cmd_value, msg));
            }
            let mut r = ModuleResult::ok()
                .with("cmd", cmd_value)
                .with("stdout", msg.to_string())
                .with("stderr", false)
                .with("rc", 0);
            r.skipped = true;
            r.msg = Some(msg.to_string());
            return Ok(r);
        }
        if first == "C:" {
            let d = args.str("chdir").unwrap_or_default();
            return Ok(ModuleResult::failed(format!(
                "cannot change to directory '{d}': path does not exist"
            ))
            .with("rc", 258));
        }
        if first == "E:" {
            let e = args.str("executable").unwrap_or_default();
            return Ok(ModuleResult::failed(format!(
                "cannot use executable '{e}': file does not exist"
            ))
            .with("rc", 258));
        }
        return Ok(ModuleResult::failed(format!(
            "command wrapper failed (rc {}): {}",
            out.rc,
            out.stderr_str().trim()
        ))
        .with("rc", out.rc));
    };
    let stderr = out.stderr_str();
    let strip = |s: &str| s.trim_end_matches(['\r', '\n']).to_string();
    let (stdout, stderr) = (strip(rest), strip(&stderr));
    let mut r = ModuleResult::changed(true).with("cmd", cmd_value);
    if ctx.dialect == crate::template::Dialect::Modern {
        // ansible-core's command module: `msg` ("non-zero return code" on failure) and the
        // outputs' lines (Python's str.splitlines).
        let lines = |s: &str| -> Vec<crate::value::Value> {
            s.lines().map(|l| l.trim_end_matches('\r').into()).collect()
        };
        let msg = if out.rc == 0 {
            ""
        } else {
            "non-zero return code"
        };
        r = r
            .with("msg", msg)
            .with("stdout_lines", lines(&stdout))
            .with("stderr_lines", lines(&stderr));
    }
    Ok(r.with("stdout", stdout)
        .with("stderr", stderr)
        .with("rc", out.rc)
        .with("start", start)
        .with("end", end)
        .with("delta", delta))
}

/// ansible-core's result in check mode (reached without `creates`/`removes`): skipped, `rc` 0,
/// empty output, no timings.
fn would_have_run(cmd_value: Value) -> ModuleResult {
    let mut r = ModuleResult::ok()
        .with("cmd", cmd_value)
        .with("stdout", "")
        .with("stdout_lines", Vec::<Value>::new())
        .with("stderr", "")
        .with("stderr_lines", Vec::<Value>::new())
        .with("rc", 0)
        .with("start", Value::Null)
        .with("end", Value::Null)
        .with("delta", Value::Null);
    r.skipped = true;
    r.msg = Some("Command would have run if not in check mode".into());
    r
}

/// ansible-core's result when `creates`/`removes` stopped the command: `ok`, not skipped,
/// with `msg` saying why, the 1.2-style text as `stdout`, and no timings.
fn short_circuited(args: &ModuleArgs, cmd_value: Value, stdout: &str) -> ModuleResult {
    let msg = match args.str("creates") {
        Some(c) if stdout == format!("skipped, since {c} exists") => {
            format!("Did not run command since '{c}' exists")
        }
        _ => format!(
            "Did not run command since '{}' does not exist",
            args.str("removes").unwrap_or_default()
        ),
    };
    let mut r = ModuleResult::ok()
        .with("cmd", cmd_value)
        .with("stdout", stdout.to_string())
        .with("stdout_lines", vec![Value::String(stdout.to_string())])
        .with("stderr", "")
        .with("stderr_lines", Vec::<Value>::new())
        .with("rc", 0)
        .with("start", Value::Null)
        .with("end", Value::Null)
        .with("delta", Value::Null)
        .with("failed", false);
    r.msg = Some(msg);
    r
}

fn command_line(args: &ModuleArgs) -> Option<String> {
    args.free_form
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| args.str("cmd").map(str::to_string))
}

const NO_COMMAND: &str = "no command given";

#[async_trait]
impl Module for Command {
    fn name(&self) -> &'static str {
        "command"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let argv = match command_line(args) {
            Some(line) => match shlex::split(&line) {
                Some(v) if !v.is_empty() => v,
                Some(_) => return Ok(ModuleResult::failed(NO_COMMAND).with("rc", 256)),
                None => {
                    return Ok(ModuleResult::failed(format!(
                        "cannot split the command line (unbalanced quotes): {line}"
                    ))
                    .with("rc", 256))
                }
            },
            None => {
                let v = args.list("argv");
                if v.is_empty() {
                    return Ok(ModuleResult::failed(NO_COMMAND).with("rc", 256));
                }
                v
            }
        };
        run_command(ctx, args, Kind::Argv(argv)).await
    }
}

#[async_trait]
impl Module for Shell {
    fn name(&self) -> &'static str {
        "shell"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let Some(line) = command_line(args) else {
            return Ok(ModuleResult::failed(NO_COMMAND).with("rc", 256));
        };
        let exe = args.str("executable").map(str::to_string);
        run_command(ctx, args, Kind::Shell(line, exe)).await
    }
}

#[async_trait]
impl Module for Raw {
    fn name(&self) -> &'static str {
        "raw"
    }
    fn spec(&self) -> &ArgSpec {
        &RAW_SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let Some(line) = command_line(args) else {
            return Ok(ModuleResult::failed(NO_COMMAND).with("rc", 256));
        };
        // 1.2 ran raw on a pty: stderr arrives in stdout; and its result has no `changed`.
        let script = match args.str("executable") {
            Some(exe) => format!(
                "exec 2>&1; exec {} -c {}",
                shell_quote(exe),
                shell_quote(&line)
            ),
            None => format!("exec 2>&1\n{line}"),
        };
        let out = ctx.remote.sh(&script).await?;
        Ok(ModuleResult::changed(false)
            .with("rc", out.rc)
            .with("stdout", out.stdout_str())
            .with("stderr", out.stderr_str()))
    }
}

#[async_trait]
impl Module for Ping {
    fn name(&self) -> &'static str {
        "ping"
    }
    fn spec(&self) -> &ArgSpec {
        &PING_SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let data = args.str("data").unwrap_or("pong").to_string();
        if data == "crash" {
            return Ok(ModuleResult::failed("boom"));
        }
        let out = ctx.remote.sh("true").await?;
        if out.rc != 0 {
            return Ok(ModuleResult::failed(out.stderr_str()).with("rc", out.rc));
        }
        Ok(ModuleResult::ok().with("ping", data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_python() {
        assert_eq!(
            delta_text(std::time::Duration::from_micros(3_723_000_042)),
            "1:02:03.000042"
        );
        assert_eq!(now_text().len(), 26);
    }
}
