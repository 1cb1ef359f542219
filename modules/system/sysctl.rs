//! `sysctl` (`ansible.posix.sysctl`): a kernel parameter's entry in a sysctl file
//! (`sysctl_file`, default `/etc/sysctl.conf`), optionally set live (`sysctl_set=yes`,
//! `sysctl -w`) and reloaded from the file after a change (`reload=yes`, `sysctl -p FILE`).
//!
//! As ansible.posix does: the file is rewritten with one `key=value` line per key (the first
//! occurrence kept, comments and blank lines kept), written atomically; `yes`/`true`… values
//! become `1`, `no`/`false`… `0`; values compare word by word (tabs and spaces alike); the result
//! carries only `changed`; `reload`/`sysctl -w` failures fail the task with ansible.posix's
//! messages ("Failed to reload sysctl: …", "setting KEY failed: …"). Inside a lab host's network
//! namespace only the `net.*` keys are the host's own: other keys are the machine's.
//! One round trip when nothing changes: the live value and the file are read by one script.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, FileAttrs, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult,
    OptSpec,
};

/// The `sysctl` module.
pub struct Sysctl;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::Str)
            .required()
            .aliases(&["key"]),
        OptSpec::new("value", ArgKind::Str).aliases(&["val"]),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "absent"])
            .default("present"),
        OptSpec::new("reload", ArgKind::Bool).default("yes"),
        OptSpec::new("sysctl_set", ArgKind::Bool).default("no"),
        OptSpec::new("ignoreerrors", ArgKind::Bool).default("no"),
        OptSpec::new("sysctl_file", ArgKind::Path).default("/etc/sysctl.conf"),
    ],
    free_form: false,
    file_common: true,
});

/// The separator between the live value and the file in the query script's output.
const FILE_MARK: &str = "\n--flock-sysctl-file--\n";

/// What the file holds for the key, and the file rewritten for the wanted state.
#[derive(Debug, PartialEq, Eq)]
pub struct FilePlan {
    /// The key's value in the file (its last occurrence), `None` when absent.
    pub current: Option<String>,
    /// The file's new text.
    pub fixed: String,
}

/// A `value` as ansible.posix reads it: booleans become `1`/`0`, other text is trimmed.
pub fn parse_value(v: &str) -> String {
    const TRUE: &[&str] = &["y", "yes", "on", "1", "true", "t"];
    const FALSE: &[&str] = &["n", "no", "off", "0", "false", "f"];
    let low = v.to_lowercase();
    if TRUE.contains(&low.as_str()) {
        "1".into()
    } else if FALSE.contains(&low.as_str()) {
        "0".into()
    } else {
        v.trim().to_string()
    }
}

/// True for a line without a `key=value` entry (blank, `#`/`;` comment, no `=`).
fn is_not_entry(line: &str) -> bool {
    line.is_empty() || line.starts_with(['#', ';']) || !line.contains('=')
}

/// Plans the file for `name` set to `value` (`Some`, state=present) or removed (`None`).
pub fn plan_file(text: &str, name: &str, value: Option<&str>) -> FilePlan {
    let mut current = None;
    let mut seen: Vec<String> = Vec::new();
    let mut fixed = String::new();
    for line in text.lines().map(str::trim) {
        if is_not_entry(line) {
            fixed.push_str(line);
            fixed.push('\n');
            continue;
        }
        let (k, v) = line.split_once('=').unwrap_or((line, ""));
        let (k, v) = (k.trim(), v.trim());
        if k == name {
            current = Some(v.to_string());
        }
        if seen.iter().any(|s| s == k) {
            continue;
        }
        seen.push(k.to_string());
        match (k == name, value) {
            (true, Some(want)) => fixed.push_str(&format!("{k}={want}\n")),
            (true, None) => {}
            (false, _) => fixed.push_str(&format!("{k}={v}\n")),
        }
    }
    if let (false, Some(want)) = (seen.iter().any(|s| s == name), value) {
        fixed.push_str(&format!("{name}={want}\n"));
    }
    FilePlan { current, fixed }
}

/// ansible.posix's comparison of two values: the same words in the same order.
pub fn values_equal(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// `sysctl` printed an error it exits 0 with (Red Hat bug 1264080), as ansible.posix checks.
fn stderr_failed(err: &str) -> bool {
    static RE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r#"(?m)^sysctl: setting key "[^"]+": (Invalid argument|Read-only file system)$"#,
        )
        .expect("valid regex")
    });
    RE.is_match(err)
}

/// The parsed, checked arguments.
struct Want {
    name: String,
    value: Option<String>,
    reload: bool,
    sysctl_set: bool,
    ignore: &'static str,
    file: String,
}

/// Checks the arguments as ansible.posix's `main()` does; `Err` is the failure message.
fn want(args: &ModuleArgs) -> Result<Want, String> {
    let name = args.str("name").unwrap_or_default().trim().to_string();
    let present = args.str("state") != Some("absent");
    let value = args.str("value");
    if present && value.is_none() {
        return Err("state is present but all of the following are missing: value".into());
    }
    if name.is_empty() {
        return Err("name cannot be blank".into());
    }
    if present && value == Some("") {
        return Err("value cannot be blank".into());
    }
    Ok(Want {
        name,
        value: if present {
            value.map(parse_value)
        } else {
            None
        },
        reload: args.bool("reload", true),
        sysctl_set: args.bool("sysctl_set", false),
        ignore: if args.bool("ignoreerrors", false) {
            "-e "
        } else {
            ""
        },
        file: args
            .str("sysctl_file")
            .unwrap_or("/etc/sysctl.conf")
            .to_string(),
    })
}

/// The owner/group/mode given with the file options.
fn file_attrs(args: &ModuleArgs) -> FileAttrs {
    FileAttrs {
        owner: args.str("owner").map(str::to_string),
        group: args.str("group").map(str::to_string),
        mode: args.mode("mode"),
    }
}

#[async_trait]
impl Module for Sysctl {
    fn name(&self) -> &'static str {
        "sysctl"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let w = match want(args) {
            Ok(w) => w,
            Err(msg) => return Ok(ModuleResult::failed(msg)),
        };
        let (n, f) = (shell_quote(&w.name), shell_quote(&w.file));
        let out = ctx
            .remote
            .sh(&format!(
                "command -v sysctl >/dev/null 2>&1 || {{ echo NOSYSCTL; exit 0; }}; \
                 v=$(LANG=C LC_ALL=C sysctl -e -n -- {n} 2>/dev/null) && printf 'P:%s' \"$v\"; \
                 printf '{}'; if [ -f {f} ]; then cat -- {f}; fi",
                FILE_MARK.replace('\n', "\\n")
            ))
            .await?;
        let text = out.stdout_str();
        if text.trim() == "NOSYSCTL" {
            return Ok(ModuleResult::failed(
                "Failed to find required executable \"sysctl\" in paths: /usr/sbin:/usr/bin:/sbin:/bin",
            ));
        }
        let (live, file_text) = text.split_once(FILE_MARK).unwrap_or((&text, ""));
        let live = live.strip_prefix("P:");
        let plan = plan_file(file_text, &w.name, w.value.as_deref());
        let (changed, write_file, set_proc) = decide(&w, &plan, live);
        let res = ModuleResult::changed(changed);
        if ctx.check_mode {
            return Ok(res);
        }
        if set_proc {
            let v = w.value.as_deref().unwrap_or("");
            let out = ctx
                .remote
                .sh(&format!(
                    "LANG=C LC_ALL=C sysctl {}-w {}",
                    w.ignore,
                    shell_quote(&format!("{}={v}", w.name))
                ))
                .await?;
            let (o, e) = (out.stdout_str(), out.stderr_str());
            if out.rc != 0 || stderr_failed(&e) {
                return Ok(ModuleResult::failed(format!(
                    "setting {} failed: {o}{e}",
                    w.name
                )));
            }
        }
        if write_file {
            let out = ctx
                .remote
                .write_file_atomic(&w.file, plan.fixed.as_bytes(), &file_attrs(args))
                .await?;
            if out.rc != 0 {
                return Ok(ModuleResult::failed(format!(
                    "Failed to write to file {}: {}",
                    w.file,
                    out.stderr_str().trim()
                )));
            }
        }
        if changed && w.reload {
            let out = ctx
                .remote
                .sh(&format!("LANG=C LC_ALL=C sysctl {}-p {f}", w.ignore))
                .await?;
            let (o, e) = (out.stdout_str(), out.stderr_str());
            if out.rc != 0 || stderr_failed(&e) {
                return Ok(ModuleResult::failed(format!(
                    "Failed to reload sysctl: {o}{e}"
                )));
            }
        }
        Ok(res)
    }
}

/// ansible.posix's decision: (changed, write the file, set the live value).
fn decide(w: &Want, plan: &FilePlan, live: Option<&str>) -> (bool, bool, bool) {
    let live_ok = |want: &str| live.is_some_and(|l| values_equal(l, want));
    let (mut changed, write_file) = match (&plan.current, &w.value) {
        (None, None) => (false, false),
        (None, Some(_)) | (Some(_), None) => (true, true),
        (Some(cur), Some(want)) if cur != want => (true, true),
        (Some(_), Some(want)) => (w.reload && !live_ok(want), false),
    };
    let mut set_proc = false;
    if let (true, Some(want)) = (w.sysctl_set, &w.value) {
        if !live_ok(want) {
            changed = true;
            set_proc = live.is_some();
        }
    }
    (changed, write_file, set_proc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_one_line_per_key() {
        let p = plan_file("# c\n a = 1 \nb=2\na=3\n\n", "a", Some("5"));
        assert_eq!(p.current.as_deref(), Some("3"));
        assert_eq!(p.fixed, "# c\na=5\nb=2\n\n");
        let p = plan_file("a=1\nb=2\n", "a", None);
        assert_eq!(p.fixed, "b=2\n");
        let p = plan_file("", "net.x", Some("1"));
        assert_eq!((p.current, p.fixed.as_str()), (None, "net.x=1\n"));
    }

    #[test]
    fn values_as_ansible_reads_them() {
        assert_eq!(parse_value("yes"), "1");
        assert_eq!(parse_value("False"), "0");
        assert_eq!(parse_value(" 32768 60999 "), "32768 60999");
        assert!(values_equal("32768\t60999\n", "32768 60999"));
        assert!(!values_equal("1", "1 2"));
        assert!(stderr_failed(
            "sysctl: setting key \"vm.x\": Read-only file system\n"
        ));
    }
}
