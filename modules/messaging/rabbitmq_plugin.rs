//! `rabbitmq_plugin`: enables or disables RabbitMQ plugins (`names=a,b`). One exec lists the
//! explicitly enabled plugins (`rabbitmq-plugins -q list -E -m`); one more enables or disables.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `rabbitmq_plugin` module.
pub struct RabbitmqPlugin;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("names", ArgKind::List)
            .required()
            .aliases(&["name"]),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["enabled", "disabled"])
            .default("enabled"),
        OptSpec::new("new_only", ArgKind::Bool).default("no"),
        OptSpec::new("prefix", ArgKind::Path),
    ],
    free_form: false,
    file_common: false,
});

#[async_trait]
impl Module for RabbitmqPlugin {
    fn name(&self) -> &'static str {
        "rabbitmq_plugin"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let names: Vec<String> = args
            .list("names")
            .into_iter()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        let tool = match args.str("prefix") {
            Some(p) => format!(
                "{}/sbin/rabbitmq-plugins",
                shell_quote(p.trim_end_matches('/'))
            ),
            None => "rabbitmq-plugins".into(),
        };
        let out = ctx.remote.sh(&format!("{tool} -q list -E -m")).await?;
        if out.rc != 0 {
            return Ok(ModuleResult::failed(super::tool_error(&out)).with("rc", out.rc));
        }
        let enabled: Vec<String> = out
            .stdout_str()
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let on = args.str("state") != Some("disabled");
        let change: Vec<&String> = names.iter().filter(|n| enabled.contains(n) != on).collect();
        let mut res = ModuleResult::changed(!change.is_empty());
        let list: Vec<String> = change.iter().map(|n| shell_quote(n)).collect();
        res.data.insert(
            if on { "enabled" } else { "disabled" }.into(),
            change
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .into(),
        );
        if change.is_empty() || ctx.check_mode {
            return Ok(res);
        }
        let verb = if on { "enable" } else { "disable" };
        let run = ctx
            .remote
            .sh(&format!("{tool} {verb} {}", list.join(" ")))
            .await?;
        if run.rc != 0 {
            return Ok(ModuleResult::failed(super::tool_error(&run)).with("rc", run.rc));
        }
        Ok(res)
    }
}
