//! `gem`: Ruby gems with the host's `gem` (`gem_source=` installs a local `.gem` file). One exec
//! lists the installed versions (`gem list --local --exact`); `--check` stops there; one more
//! runs `gem install` / `gem uninstall`, failing with gem's own message.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `gem` module.
pub struct Gem;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::Str).required(),
        OptSpec::new("version", ArgKind::Str),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "absent", "latest"])
            .default("present"),
        OptSpec::new("gem_source", ArgKind::Path),
        OptSpec::new("user_install", ArgKind::Bool).default("yes"),
        OptSpec::new("executable", ArgKind::Path),
        OptSpec::new("include_dependencies", ArgKind::Bool).default("yes"),
        OptSpec::new("repository", ArgKind::Str).aliases(&["source"]),
        OptSpec::new("pre_release", ArgKind::Bool).default("no"),
    ],
    free_form: false,
    file_common: false,
});

/// The versions in `gem list` output for `name` (`name (1.0, 0.9)`).
pub fn versions(out: &str, name: &str) -> Vec<String> {
    out.lines()
        .find_map(|l| {
            let rest = l.strip_prefix(name)?.trim().strip_prefix('(')?;
            let inner = rest.trim_end().strip_suffix(')')?;
            Some(
                inner
                    .split(',')
                    .map(|v| v.trim().trim_start_matches("default: ").to_string())
                    .filter(|v| !v.is_empty())
                    .collect(),
            )
        })
        .unwrap_or_default()
}

#[async_trait]
impl Module for Gem {
    fn name(&self) -> &'static str {
        "gem"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let name = args.str("name").unwrap_or_default().to_string();
        let gem = args
            .str("executable")
            .map(shell_quote)
            .unwrap_or_else(|| "gem".into());
        let user = if args.bool("user_install", true) {
            " --user-install"
        } else {
            ""
        };
        let n = shell_quote(&name);
        let out = ctx
            .remote
            .sh(&format!("{gem} list --local --exact {n}"))
            .await?;
        if out.rc != 0 {
            return Ok(ModuleResult::failed(out.stderr_str().trim().to_string()).with("rc", out.rc));
        }
        let have = versions(&out.stdout_str(), &name);
        let version = args.str("version");
        let state = args.str("state").unwrap_or("present");
        let cmd = match state {
            "absent" => {
                let there = match version {
                    Some(v) => have.iter().any(|h| h == v),
                    None => !have.is_empty(),
                };
                there.then(|| {
                    let v = version
                        .map(|v| format!(" --version {}", shell_quote(v)))
                        .unwrap_or_else(|| " --all".into());
                    format!("{gem} uninstall --executables{user}{v} {n}")
                })
            }
            _ => {
                let there = match version {
                    Some(v) => have.iter().any(|h| h == v),
                    None => !have.is_empty(),
                };
                (!there || state == "latest").then(|| {
                    let mut c = format!("{gem} install --no-document{user}");
                    if let Some(v) = version {
                        c.push_str(&format!(" --version {}", shell_quote(v)));
                    }
                    if !args.bool("include_dependencies", true) {
                        c.push_str(" --ignore-dependencies");
                    }
                    if let Some(r) = args.str("repository") {
                        c.push_str(&format!(" --source {}", shell_quote(r)));
                    }
                    if args.bool("pre_release", false) {
                        c.push_str(" --pre");
                    }
                    match args.str("gem_source") {
                        Some(src) => c.push_str(&format!(" --local {}", shell_quote(src))),
                        None => c.push_str(&format!(" {n}")),
                    }
                    c
                })
            }
        };
        let Some(cmd) = cmd else {
            return Ok(ModuleResult::ok().with("name", name));
        };
        if ctx.check_mode {
            return Ok(ModuleResult::changed(true).with("name", name));
        }
        let run = ctx
            .remote
            .sh(&format!("{cmd} && {gem} list --local --exact {n}"))
            .await?;
        if run.rc != 0 {
            return Ok(ModuleResult::failed(run.stderr_str().trim().to_string())
                .with("rc", run.rc)
                .with("name", name));
        }
        let now = versions(&run.stdout_str(), &name);
        Ok(ModuleResult::changed(now != have).with("name", name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions() {
        assert_eq!(
            versions("flock_hello (2.0, 1.0)\n", "flock_hello"),
            ["2.0", "1.0"]
        );
        assert_eq!(versions("json (default: 2.6.1)\n", "json"), ["2.6.1"]);
        assert!(versions("", "x").is_empty());
    }
}
