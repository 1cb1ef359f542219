//! `pip`: Python packages with the host's pip, optionally in a virtualenv (created when missing
//! with `virtualenv_command`, or `python3 -m venv` when that is not installed).
//!
//! One exec reads what is installed (`pip freeze`); `--check` stops there (for `latest` and
//! `requirements` it asks pip itself with `install --dry-run`). Then one exec runs
//! `pip install` / `pip uninstall -y`, and the freeze after it tells whether anything changed.
//! pip's own message is returned on failure (`ERROR: Could not find a version …`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `pip` module.
pub struct Pip;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::List),
        OptSpec::new("version", ArgKind::Str),
        OptSpec::new("requirements", ArgKind::Str),
        OptSpec::new("virtualenv", ArgKind::Path),
        OptSpec::new("virtualenv_site_packages", ArgKind::Bool).default("no"),
        OptSpec::new("virtualenv_command", ArgKind::Str).default("virtualenv"),
        OptSpec::new("virtualenv_python", ArgKind::Str),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "absent", "latest", "forcereinstall"])
            .default("present"),
        OptSpec::new("extra_args", ArgKind::Str),
        OptSpec::new("editable", ArgKind::Bool).default("no"),
        OptSpec::new("chdir", ArgKind::Path),
        OptSpec::new("executable", ArgKind::Path),
        OptSpec::new("umask", ArgKind::Str),
    ],
    free_form: false,
    file_common: false,
});

/// A package name as pip compares them (case-insensitive, `_`/`.` same as `-`).
pub fn canonical(name: &str) -> String {
    name.trim().to_lowercase().replace(['_', '.'], "-")
}

/// Splits `foo==1.0` / `foo>=1` into name and specifier (`==1.0`).
pub fn split_req(req: &str) -> (String, String) {
    let i = req
        .find(|c: char| "<>=!~ [;".contains(c))
        .unwrap_or(req.len());
    (req[..i].trim().to_string(), req[i..].trim().to_string())
}

/// `pip freeze` lines as canonical name → version.
pub fn parse_freeze(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .filter_map(|l| l.split_once("=="))
        .map(|(n, v)| (canonical(n), v.trim().to_string()))
        .collect()
}

#[async_trait]
impl Module for Pip {
    fn name(&self) -> &'static str {
        "pip"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let mut names = args.list("name");
        let state = args.str("state").unwrap_or("present");
        let reqs = args.str("requirements");
        if names.is_empty() && reqs.is_none() {
            return Ok(ModuleResult::failed(
                "one of the following is required: name, requirements",
            ));
        }
        if let Some(v) = args.str("version") {
            if names.len() != 1 {
                return Ok(ModuleResult::failed(
                    "version is incompatible with a list of names",
                ));
            }
            names[0] = format!("{}=={v}", names[0]);
        }
        let venv = args.str("virtualenv");
        let chdir = args
            .str("chdir")
            .map(|d| format!("cd {} && ", shell_quote(d)))
            .unwrap_or_default();
        let pip = match (args.str("executable"), venv) {
            (Some(e), _) => shell_quote(e),
            (None, Some(v)) => format!("{}/bin/pip", shell_quote(v)),
            (None, None) => "\"$(command -v pip || command -v pip3 || echo pip)\"".into(),
        };
        let extra = args
            .str("extra_args")
            .map(|e| format!(" {e}"))
            .unwrap_or_default();

        // Query: does the virtualenv exist, what is installed.
        let venv_test = venv
            .map(|v| format!("[ -x {}/bin/pip ] || echo NOVENV; ", shell_quote(v)))
            .unwrap_or_default();
        let out = ctx
            .remote
            .sh(&format!(
                "{venv_test}{chdir}{pip} freeze --all 2>/dev/null; true"
            ))
            .await?;
        let text = out.stdout_str();
        let need_venv = text.lines().any(|l| l == "NOVENV");
        let before = parse_freeze(&text);

        let mut make_venv = String::new();
        if let (true, Some(v)) = (need_venv, venv) {
            let cmd = args.str("virtualenv_command").unwrap_or("virtualenv");
            let mut c = cmd.to_string();
            if let Some(py) = args.str("virtualenv_python") {
                c.push_str(&format!(" -p {}", shell_quote(py)));
            }
            if args.bool("virtualenv_site_packages", false) {
                c.push_str(" --system-site-packages");
            }
            let site = if args.bool("virtualenv_site_packages", false) {
                " --system-site-packages"
            } else {
                ""
            };
            make_venv = format!(
                "if command -v {first} >/dev/null 2>&1; then {chdir}{c} {q}; else python3 -m venv{site} {q}; fi && ",
                first = shell_quote(cmd.split_whitespace().next().unwrap_or("virtualenv")),
                q = shell_quote(v)
            );
        }

        let quoted: Vec<String> = names.iter().map(|n| shell_quote(n)).collect();
        let req = reqs
            .map(|r| format!(" -r {}", shell_quote(r)))
            .unwrap_or_default();
        let cmd = match state {
            "absent" => {
                let rm: Vec<String> = names
                    .iter()
                    .filter(|n| before.contains_key(&canonical(&split_req(n).0)))
                    .map(|n| shell_quote(&split_req(n).0))
                    .collect();
                let mut c = Vec::new();
                if !rm.is_empty() {
                    c.push(rm.join(" "));
                }
                if reqs.is_some() {
                    c.push(req.trim().to_string());
                }
                (!c.is_empty()).then(|| format!("{chdir}{pip} uninstall -y{extra} {}", c.join(" ")))
            }
            _ => {
                let upgrade = match state {
                    "latest" => " --upgrade",
                    "forcereinstall" => " --force-reinstall",
                    _ => "",
                };
                let missing = names.iter().any(|n| {
                    let (name, spec) = split_req(n);
                    match before.get(&canonical(&name)) {
                        None => true,
                        Some(v) => spec.strip_prefix("==").is_some_and(|want| want.trim() != v),
                    }
                });
                let must_ask = state != "present" || reqs.is_some();
                (need_venv || missing || must_ask).then(|| {
                    format!(
                        "{chdir}{pip} install{upgrade}{extra}{req} {}",
                        quoted.join(" ")
                    )
                })
            }
        };
        let Some(cmd) = cmd else {
            return Ok(ModuleResult::ok().with("cmd", ""));
        };
        if ctx.check_mode {
            // latest / requirements: ask pip what it would do.
            let sure = need_venv
                || state == "absent"
                || names
                    .iter()
                    .any(|n| !before.contains_key(&canonical(&split_req(n).0)));
            if sure || state == "forcereinstall" {
                return Ok(ModuleResult::changed(true).with("cmd", cmd));
            }
            let dry = ctx.remote.sh(&format!("{} --dry-run 2>&1", cmd)).await?;
            let would = dry
                .stdout_str()
                .lines()
                .any(|l| l.starts_with("Would install"));
            return Ok(ModuleResult::changed(would).with("cmd", cmd));
        }
        let run = ctx
            .remote
            .sh(&format!(
                "{make_venv}{cmd} && echo '--FLOCK-FREEZE--' && {chdir}{pip} freeze --all"
            ))
            .await?;
        let stdout = run.stdout_str();
        if run.rc != 0 {
            let err = run.stderr_str();
            let msg = err
                .lines()
                .filter(|l| l.starts_with("ERROR") || l.starts_with("error"))
                .collect::<Vec<_>>()
                .join("\n");
            let msg = if msg.is_empty() {
                err.trim().to_string()
            } else {
                msg
            };
            return Ok(ModuleResult::failed(msg)
                .with("cmd", cmd)
                .with("stdout", stdout)
                .with("stderr", err));
        }
        let (shown, tail) = stdout
            .split_once("--FLOCK-FREEZE--")
            .unwrap_or((stdout.as_str(), ""));
        let changed = need_venv || parse_freeze(tail) != before;
        Ok(ModuleResult::changed(changed)
            .with("cmd", cmd)
            .with("stdout", shown.to_string())
            .with("name", names.join(","))
            .with("state", state.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_freeze_and_specs() {
        let f = parse_freeze("Flock_Hello==1.0\npip==23.0.1\n-e git+x#egg=y\n");
        assert_eq!(f.get("flock-hello").map(String::as_str), Some("1.0"));
        assert_eq!(split_req("foo==1.0"), ("foo".into(), "==1.0".into()));
        assert_eq!(split_req("foo"), ("foo".into(), String::new()));
    }
}
