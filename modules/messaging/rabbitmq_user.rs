//! `rabbitmq_user`: a RabbitMQ user with its tags and its permissions on one vhost. One exec
//! lists the users and the user's permissions; `--check` stops there; one more runs the
//! `rabbitmqctl` commands needed. As in Ansible 1.2 the password of an existing user is only
//! reset with `force=yes` (the user is then recreated).

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `rabbitmq_user` module.
pub struct RabbitmqUser;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("user", ArgKind::Str)
            .required()
            .aliases(&["username", "name"]),
        OptSpec::new("password", ArgKind::Str).no_log(),
        OptSpec::new("tags", ArgKind::Str),
        OptSpec::new("vhost", ArgKind::Str).default("/"),
        OptSpec::new("configure_priv", ArgKind::Str).default("^$"),
        OptSpec::new("write_priv", ArgKind::Str).default("^$"),
        OptSpec::new("read_priv", ArgKind::Str).default("^$"),
        OptSpec::new("force", ArgKind::Bool).default("no"),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "absent"])
            .default("present"),
        OptSpec::new("node", ArgKind::Str).default("rabbit"),
    ],
    free_form: false,
    file_common: false,
});

/// Tags as a sorted list, from `[a, b]` / `a,b` / `a b`.
pub fn parse_tags(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .trim_matches(|c| c == '[' || c == ']')
        .split([',', ' '])
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    v.sort();
    v
}

#[async_trait]
impl Module for RabbitmqUser {
    fn name(&self) -> &'static str {
        "rabbitmq_user"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let user = args.str("user").unwrap_or_default().to_string();
        let u = shell_quote(&user);
        let node = args.str("node").unwrap_or("rabbit");
        let ctl = format!("rabbitmqctl -q -n {}", shell_quote(node));
        let out = ctx
            .remote
            .sh(&format!(
                "{ctl} --no-table-headers list_users || exit $?; echo '--FLOCK-PERMS--'; \
                 {ctl} --no-table-headers list_user_permissions {u} 2>/dev/null; true"
            ))
            .await?;
        if out.rc != 0 {
            return Ok(ModuleResult::failed(super::tool_error(&out)).with("rc", out.rc));
        }
        let text = out.stdout_str();
        let (users, perms) = text.split_once("--FLOCK-PERMS--").unwrap_or((&text, ""));
        let current = users.lines().find_map(|l| {
            let (n, t) = l.split_once('\t')?;
            (n == user).then(|| parse_tags(t))
        });
        let vhost = args.str("vhost").unwrap_or("/").to_string();
        let want_perms = [
            args.str("configure_priv").unwrap_or("^$"),
            args.str("write_priv").unwrap_or("^$"),
            args.str("read_priv").unwrap_or("^$"),
        ];
        let have_perms: Option<Vec<&str>> = perms.lines().find_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 4 && f[0] == vhost).then(|| f[1..].to_vec())
        });
        let mut cmds = Vec::new();
        let present = args.str("state") != Some("absent");
        let force = args.bool("force", false);
        if !present {
            if current.is_some() {
                cmds.push(format!("{ctl} delete_user {u}"));
            }
        } else {
            let recreate = current.is_none() || force;
            if recreate {
                if current.is_some() {
                    cmds.push(format!("{ctl} delete_user {u}"));
                }
                let pw = args.str("password").unwrap_or("");
                cmds.push(format!("{ctl} add_user {u} {}", shell_quote(pw)));
            }
            if let Some(t) = args.str("tags") {
                let want = parse_tags(t);
                if recreate || current.as_ref() != Some(&want) {
                    let list: Vec<String> = want.iter().map(|t| shell_quote(t)).collect();
                    cmds.push(format!("{ctl} set_user_tags {u} {}", list.join(" ")));
                }
            }
            if recreate || have_perms.as_deref() != Some(&want_perms[..]) {
                cmds.push(format!(
                    "{ctl} set_permissions -p {} {u} {} {} {}",
                    shell_quote(&vhost),
                    shell_quote(want_perms[0]),
                    shell_quote(want_perms[1]),
                    shell_quote(want_perms[2])
                ));
            }
        }
        let res = ModuleResult::changed(!cmds.is_empty()).with("user", user.clone());
        if cmds.is_empty() || ctx.check_mode {
            return Ok(res);
        }
        let run = ctx.remote.sh(&cmds.join(" && ")).await?;
        if run.rc != 0 {
            return Ok(ModuleResult::failed(super::tool_error(&run)).with("rc", run.rc));
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags() {
        assert_eq!(
            parse_tags("[monitoring, administrator]"),
            ["administrator", "monitoring"]
        );
        assert_eq!(parse_tags("[]"), Vec::<String>::new());
        assert_eq!(parse_tags("a,b"), ["a", "b"]);
    }
}
