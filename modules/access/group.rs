//! `group`: a local group (name, gid, system, state) via groupadd/groupmod/groupdel, checked with
//! one `getent`.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::remote::join_argv;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `group` module.
pub struct Group;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::Str).required(),
        OptSpec::new("gid", ArgKind::Int),
        OptSpec::new("system", ArgKind::Bool).default("no"),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "absent"])
            .default("present"),
        OptSpec::new("local", ArgKind::Bool),
        OptSpec::new("non_unique", ArgKind::Bool).default("no"),
    ],
    free_form: false,
    file_common: false,
});

/// `getent group NAME` as `(gid, members)`; `None` when the group does not exist.
fn parse_group(out: &str) -> Option<(i64, String)> {
    let line = out.lines().find_map(|l| l.strip_prefix("GR:"))?;
    let f: Vec<&str> = line.split(':').collect();
    Some((f.get(2)?.parse().ok()?, f.get(3).unwrap_or(&"").to_string()))
}

fn query(name: &str) -> String {
    format!(
        "if g=$(getent group {}); then printf 'GR:%s\\n' \"$g\"; fi; true",
        shell_quote(name)
    )
}

#[async_trait]
impl Module for Group {
    fn name(&self) -> &'static str {
        "group"
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
        let present = args.str("state") != Some("absent");
        let gid = args.int("gid");
        let system = args.bool("system", false);
        let cur = parse_group(&ctx.remote.sh(&query(&name)).await?.stdout_str());
        let gid_s = gid.map(|g| g.to_string());
        let cmd: Option<Vec<&str>> = match (&cur, present) {
            (None, true) => {
                let mut c = vec!["groupadd"];
                if let Some(g) = &gid_s {
                    c.extend(["-g", g.as_str()]);
                    if args.bool("non_unique", false) {
                        c.push("-o");
                    }
                }
                if system {
                    c.push("-r");
                }
                c.push(name.as_str());
                Some(c)
            }
            (Some((cur_gid, _)), true) => match &gid_s {
                Some(g) if Some(*cur_gid) != gid => {
                    let mut c = vec!["groupmod", "-g", g.as_str()];
                    if args.bool("non_unique", false) {
                        c.push("-o");
                    }
                    c.push(name.as_str());
                    Some(c)
                }
                _ => None,
            },
            (Some(_), false) => Some(vec!["groupdel", name.as_str()]),
            (None, false) => None,
        };
        let mut res = ModuleResult::changed(cmd.is_some())
            .with("name", name.clone())
            .with("state", if present { "present" } else { "absent" });
        let Some(cmd) = cmd else {
            if let Some((g, _)) = cur {
                res.data.insert("gid".into(), g.into());
                res.data.insert("system".into(), system.into());
            }
            return Ok(res);
        };
        if ctx.check_mode {
            return Ok(res);
        }
        let out = ctx
            .remote
            .sh(&format!("{} && {}", join_argv(&cmd), query(&name)))
            .await?;
        if out.rc != 0 {
            let line = join_argv(&cmd);
            let mut r = ModuleResult::failed(out.stderr_str().trim().to_string())
                .with("name", name.clone())
                .with("rc", out.rc);
            r.data.insert("cmd".into(), line.into());
            return Ok(r);
        }
        if let Some((g, _)) = parse_group(&out.stdout_str()) {
            res.data.insert("gid".into(), g.into());
            res.data.insert("system".into(), system.into());
        }
        Ok(res)
    }
}
