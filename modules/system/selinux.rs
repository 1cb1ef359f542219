//! `selinux` (`ansible.posix.selinux`): the SELinux state and policy, in the config file
//! (`SELINUX=`, `SELINUXTYPE=` lines rewritten, written atomically) and at run time
//! (`setenforce`), with ansible.posix's messages, warnings and `reboot_required`.
//!
//! flock reads the host's SELinux without libselinux: run time from `/sys/fs/selinux/enforce`
//! (absent: disabled), the running policy from `/etc/selinux/config`. A host without SELinux
//! (no config file) fails as ansible.posix does there: "Unable to find file …".
//! `update_kernel_param` (grubby) is not supported.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, FileAttrs, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult,
    OptSpec,
};

/// The `selinux` module.
pub struct Selinux;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("policy", ArgKind::Str),
        OptSpec::new("state", ArgKind::Str).required().choices(&[
            "enforcing",
            "permissive",
            "disabled",
        ]),
        OptSpec::new("configfile", ArgKind::Str)
            .aliases(&["conf", "file"])
            .default("/etc/selinux/config"),
        OptSpec::new("update_kernel_param", ArgKind::Bool).default("no"),
    ],
    free_form: false,
    file_common: false,
});

const SEP: &str = "@@flock-selinux@@";

/// The value of the first `KEY=` line (ansible.posix: `line.split('=')[1].strip()`).
fn config_value(text: &str, key: &str) -> Option<String> {
    let pre = format!("{key}=");
    text.lines()
        .find(|l| l.starts_with(&pre))
        .map(|l| l.split('=').nth(1).unwrap_or("").trim().to_string())
}

/// The config text with `KEY=` lines set to `value` (appended when there is none).
pub fn set_config(text: &str, key: &str, value: &str) -> String {
    let pre = format!("{key}=");
    let mut found = false;
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with(&pre) {
            found = true;
            out.push_str(&format!("{key}={value}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !found {
        out.push_str(&format!("{key}={value}\n"));
    }
    out
}

/// What the host has: run-time state, the running policy, the config file (`None`: missing).
struct Host {
    runtime: &'static str,
    runtime_policy: Option<String>,
    config: Option<String>,
}

fn query(configfile: &str) -> String {
    let c = shell_quote(configfile);
    format!(
        "e=; read -r e 2>/dev/null < /sys/fs/selinux/enforce; echo \"E:$e\"; \
         sed -n 's/^SELINUXTYPE=//p' /etc/selinux/config 2>/dev/null | head -n 1 | sed 's/^/P:/'; \
         echo {SEP}; [ -f {c} ] && {{ echo Y; cat -- {c}; }}; true"
    )
}

fn parse(out: &str) -> Host {
    let (head, file) = out.split_once(&format!("{SEP}\n")).unwrap_or((out, ""));
    let get = |p: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(p))
            .map(|s| s.trim().to_string())
    };
    let runtime = match get("E:").as_deref() {
        Some("1") => "enforcing",
        Some("0") => "permissive",
        _ => "disabled",
    };
    Host {
        runtime,
        runtime_policy: get("P:"),
        config: file.strip_prefix("Y\n").map(str::to_string),
    }
}

/// The changes ansible.posix makes, in its order.
#[derive(Default)]
struct Plan {
    changed: bool,
    msgs: Vec<String>,
    warnings: Vec<String>,
    reboot: bool,
    new_config: Option<String>,
    setenforce: Option<&'static str>,
}

fn plan(host: &Host, configfile: &str, policy: &str, state: &str) -> Plan {
    let text = host.config.clone().unwrap_or_default();
    let config_policy = config_value(&text, "SELINUXTYPE");
    let config_state = config_value(&text, "SELINUX");
    let mut p = Plan::default();
    let mut new = text.clone();
    let runtime_policy = host.runtime_policy.clone().unwrap_or_else(|| "None".into());
    if policy != runtime_policy {
        p.msgs.push(format!(
            "Running SELinux policy changed from '{runtime_policy}' to '{policy}'"
        ));
        p.changed = true;
    }
    if Some(policy) != config_policy.as_deref() {
        new = set_config(&new, "SELINUXTYPE", policy);
        p.msgs.push(format!(
            "SELinux policy configuration in '{configfile}' changed from '{}' to '{policy}'",
            config_policy.as_deref().unwrap_or("None")
        ));
        p.changed = true;
    }
    let enabled = host.runtime != "disabled";
    if state != host.runtime {
        if !enabled {
            p.warnings.push(format!(
                "Reboot is required to set SELinux state to '{state}'"
            ));
            p.reboot = true;
        } else if state == "disabled" {
            if host.runtime != "permissive" {
                p.setenforce = Some("0");
                p.warnings.push(format!("SELinux state temporarily changed from '{}' to 'permissive'. State change will take effect next reboot.", host.runtime));
                p.changed = true;
            } else {
                p.warnings
                    .push("SELinux state change will take effect next reboot".into());
            }
            p.reboot = true;
        } else {
            p.setenforce = Some(if state == "enforcing" { "1" } else { "0" });
            p.msgs.push(format!(
                "SELinux state changed from '{}' to '{state}'",
                host.runtime
            ));
            p.changed = true;
        }
    }
    if Some(state) != config_state.as_deref() {
        new = set_config(&new, "SELINUX", state);
        p.msgs.push(format!(
            "Config SELinux state changed from '{}' to '{state}'",
            config_state.as_deref().unwrap_or("None")
        ));
        p.changed = true;
    }
    if new != text {
        p.new_config = Some(new);
    }
    p
}

#[async_trait]
impl Module for Selinux {
    fn name(&self) -> &'static str {
        "selinux"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let configfile = args.str("configfile").unwrap_or("/etc/selinux/config");
        let state = args.str("state").unwrap_or("disabled");
        if args.bool("update_kernel_param", false) {
            return Ok(ModuleResult::failed(
                "flock's selinux module does not update kernel parameters (update_kernel_param, grubby)",
            ));
        }
        let host = parse(&ctx.remote.sh(&query(configfile)).await?.stdout_str());
        let Some(text) = &host.config else {
            return Ok(ModuleResult::failed(format!("Unable to find file {configfile}")).with(
                "details",
                "Please install SELinux-policy package, if this package is not installed previously.",
            ));
        };
        let policy = match args.str("policy") {
            Some(p) if !p.is_empty() => p.to_string(),
            _ if state != "disabled" => {
                return Ok(ModuleResult::failed(
                    "Policy is required if state is not 'disabled'",
                ))
            }
            _ => config_value(text, "SELINUXTYPE").unwrap_or_else(|| "None".into()),
        };
        let p = plan(&host, configfile, &policy, state);
        let policy_change = p.msgs.iter().any(|m| m.contains("policy"));
        if ctx.check_mode && policy_change {
            return Ok(ModuleResult::changed(true));
        }
        if !ctx.check_mode {
            if let Err(m) = apply(ctx, configfile, &p).await? {
                return Ok(ModuleResult::failed(m));
            }
        }
        let mut res = ModuleResult::changed(p.changed)
            .with("configfile", configfile)
            .with("policy", policy)
            .with("state", state)
            .with("reboot_required", p.reboot);
        res.msg = Some(p.msgs.join(", "));
        Ok(res.with_warnings(p.warnings))
    }
}

async fn apply(
    ctx: &ModuleContext<'_>,
    configfile: &str,
    p: &Plan,
) -> Result<Result<(), String>, ModuleError> {
    if let Some(v) = p.setenforce {
        let out = ctx.remote.sh(&format!("setenforce {v}")).await?;
        if out.rc != 0 {
            return Ok(Err(out.stderr_str().trim().to_string()));
        }
    }
    if let Some(text) = &p.new_config {
        let out = ctx
            .remote
            .write_file_atomic(configfile, text.as_bytes(), &FileAttrs::default())
            .await?;
        if out.rc != 0 {
            return Ok(Err(out.stderr_str().trim().to_string()));
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lines() {
        let t = "# c\nSELINUX=enforcing\nSELINUXTYPE=targeted\n";
        assert_eq!(config_value(t, "SELINUX").as_deref(), Some("enforcing"));
        assert_eq!(
            set_config(t, "SELINUX", "permissive"),
            "# c\nSELINUX=permissive\nSELINUXTYPE=targeted\n"
        );
        assert_eq!(set_config("", "SELINUX", "disabled"), "SELINUX=disabled\n");
    }
}
