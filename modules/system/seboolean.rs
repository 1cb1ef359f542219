//! `seboolean`: an SELinux boolean, now (`setsebool`) and, with `persistent=yes`, across
//! reboots (`setsebool -P`). Where SELinux is not there the task fails with Ansible 1.2's
//! messages: without the SELinux tools (1.2: without libselinux-python) "This module requires
//! libselinux-python support"; with SELinux disabled "SELinux is disabled on this host.".

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `seboolean` module.
pub struct SeBoolean;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::Str).required(),
        OptSpec::new("persistent", ArgKind::Bool).default("no"),
        OptSpec::new("state", ArgKind::Bool).required(),
        OptSpec::new("ignore_selinux_state", ArgKind::Bool),
    ],
    free_form: false,
    file_common: false,
});

#[async_trait]
impl Module for SeBoolean {
    fn name(&self) -> &'static str {
        "seboolean"
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
        let want = args.bool("state", false);
        let n = shell_quote(&name);
        let out = ctx
            .remote
            .sh(&format!(
                "command -v getsebool >/dev/null 2>&1 && command -v selinuxenabled >/dev/null 2>&1 \
                 || {{ echo NOTOOLS; exit 0; }}; selinuxenabled || {{ echo DISABLED; exit 0; }}; \
                 printf 'V:%s\\n' \"$(getsebool -- {n} 2>/dev/null)\""
            ))
            .await?;
        let text = out.stdout_str();
        if text.lines().any(|l| l == "NOTOOLS") {
            return Ok(ModuleResult::failed(
                "This module requires libselinux-python support",
            ));
        }
        if text.lines().any(|l| l == "DISABLED") {
            return Ok(ModuleResult::failed("SELinux is disabled on this host."));
        }
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix("V:"))
            .unwrap_or("")
            .trim()
            .to_string();
        let cur = match value.rsplit("--> ").next() {
            Some("on") => true,
            Some("off") => false,
            _ => {
                return Ok(ModuleResult::failed(format!(
                    "SELinux boolean {name} does not exist."
                )))
            }
        };
        if cur == want {
            return Ok(ModuleResult::ok().with("name", name).with("state", cur));
        }
        let res = ModuleResult::changed(true)
            .with("name", name.clone())
            .with("state", want);
        if ctx.check_mode {
            return Ok(res);
        }
        let p = if args.bool("persistent", false) {
            "-P "
        } else {
            ""
        };
        let v = if want { "on" } else { "off" };
        let out = ctx.remote.sh(&format!("setsebool {p}{n} {v}")).await?;
        if out.rc != 0 {
            return Ok(ModuleResult::failed(format!(
                "Failed to set boolean {name} to {}",
                if want { "True" } else { "False" }
            ))
            .with("err", out.stderr_str()));
        }
        Ok(res)
    }
}
