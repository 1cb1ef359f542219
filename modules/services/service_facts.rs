//! `service_facts` (`ansible.builtin.service_facts`): the host's services as the fact
//! `services` (name → `name`, `state`, `status`, `source`), gathered as ansible-core's Linux
//! scanners do: `service --status-all` (when there is no `chkconfig`), `chkconfig` with
//! `service NAME status` for each service, and under systemd `systemctl list-units` and
//! `list-unit-files` (`show --property=ActiveState` for units not loaded). Upstart and OpenRC
//! hosts are not scanned. No service found: skipped with ansible-core's message. One round
//! trip (two under systemd when unit files are not loaded).

use std::sync::LazyLock;

use async_trait::async_trait;
use serde_json::json;

use crate::connection::shell_quote;
use crate::modules::{ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult};
use crate::value::{Map, Value};

/// The `service_facts` module.
pub struct ServiceFacts;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![],
    free_form: false,
    file_common: false,
});

/// The scan script: `@@name` sections.
const SCRIPT: &str = r#"s() { echo "@@$1"; }
export LANG=C LC_ALL=C
has() { command -v "$1" >/dev/null 2>&1; }
if has service && ! has chkconfig && ! has rc-status; then s sysv; service --status-all 2>/dev/null; echo "@@sysv_rc $?"; fi
if has chkconfig; then s chkconfig; chkconfig 2>/dev/null | while read -r n rest; do
  case "$rest" in *0:o*) service "$n" status >/dev/null 2>&1; echo "ST|$n|$?|$rest";; esac; done; fi
if has systemctl && { [ -e /run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || [ -e /dev/.systemd/ ]; }; then
  s units; systemctl list-units --no-pager --type service --all --plain 2>/dev/null
  s unit_files; systemctl list-unit-files --no-pager --type service --all 2>/dev/null
fi
true
"#;

fn sections(out: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    for line in out.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix("@@") {
            v.push((name.trim_end().to_string(), String::new()));
        } else if let Some((_, body)) = v.last_mut() {
            body.push_str(line);
        }
    }
    v
}

fn entry(name: &str, state: &str, status: Option<&str>, source: &str) -> Value {
    let mut m = json!({"name": name, "state": state, "source": source});
    if let (Some(s), Some(o)) = (status, m.as_object_mut()) {
        o.insert("status".into(), json!(s));
    }
    m
}

/// `service --status-all` lines (`[ + ]  name`).
pub fn parse_sysv(text: &str, services: &mut Map) {
    static RE: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"(?m)^\s*\[ (\+|-) \]\s+(.+)$").expect("valid regex"));
    for c in RE.captures_iter(text) {
        let name = c[2].to_string();
        let state = if &c[1] == "+" { "running" } else { "stopped" };
        services.insert(name.clone(), entry(&name, state, None, "sysv"));
    }
}

/// The `ST|name|rc|runlevels` lines of the chkconfig scan.
fn parse_chkconfig(text: &str, services: &mut Map) {
    for line in text.lines() {
        let mut f = line.splitn(4, '|');
        let (Some("ST"), Some(name), Some(rc), Some(levels)) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let status = if levels.contains("3:on") {
            "enabled"
        } else {
            "disabled"
        };
        let state = if rc == "0" { "running" } else { "stopped" };
        services.insert(name.to_string(), entry(name, state, Some(status), "sysv"));
    }
}

const BAD_STATES: &[&str] = &["not-found", "masked", "failed"];

/// `systemctl list-units … --plain` lines.
pub fn parse_units(text: &str, services: &mut Map) {
    for line in text.lines().filter(|l| l.contains(".service")) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 4 {
            continue;
        }
        let head = &fields[..fields.len() - 1];
        let status = BAD_STATES
            .iter()
            .find(|b| head.contains(b))
            .copied()
            .unwrap_or(fields[2]);
        let state = if fields[3] == "running" {
            "running"
        } else {
            "stopped"
        };
        services.insert(
            fields[0].to_string(),
            entry(fields[0], state, Some(status), "systemd"),
        );
    }
}

/// `systemctl list-unit-files` lines: statuses for known units, the unknown ones returned.
fn merge_unit_files(text: &str, services: &mut Map) -> Vec<(String, String)> {
    let mut unknown = Vec::new();
    for line in text.lines().filter(|l| l.contains(".service")) {
        let mut w = line.split_whitespace();
        let (Some(name), Some(status)) = (w.next(), w.next()) else {
            continue;
        };
        match services.get_mut(name).and_then(Value::as_object_mut) {
            Some(o) => {
                let bad = o
                    .get("status")
                    .and_then(Value::as_str)
                    .is_some_and(|s| BAD_STATES.contains(&s));
                if !bad {
                    o.insert("status".into(), json!(status));
                }
            }
            None => unknown.push((name.to_string(), status.to_string())),
        }
    }
    unknown
}

#[async_trait]
impl Module for ServiceFacts {
    fn name(&self) -> &'static str {
        "service_facts"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        _args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let out = ctx.remote.sh(SCRIPT).await?;
        let mut services = Map::new();
        let mut unit_files = None;
        for (name, body) in sections(&out.stdout_str()) {
            match name.as_str() {
                "sysv" => parse_sysv(&body, &mut services),
                "chkconfig" => parse_chkconfig(&body, &mut services),
                "units" => parse_units(&body, &mut services),
                "unit_files" => unit_files = Some(body),
                _ => {}
            }
        }
        if let Some(text) = unit_files {
            let unknown = merge_unit_files(&text, &mut services);
            active_states(ctx, &unknown, &mut services).await?;
        }
        if services.is_empty() {
            return Ok(ModuleResult::skipped(
                "Failed to find any services. This can be due to privileges or some other configuration issue.",
            ));
        }
        let mut facts = Map::new();
        facts.insert("services".into(), Value::Object(services));
        Ok(ModuleResult::ok().with("ansible_facts", Value::Object(facts)))
    }
}

/// `systemctl show NAME --property=ActiveState` for unit files systemd has not loaded.
async fn active_states(
    ctx: &ModuleContext<'_>,
    unknown: &[(String, String)],
    services: &mut Map,
) -> Result<(), ModuleError> {
    if unknown.is_empty() {
        return Ok(());
    }
    let script: String = unknown
        .iter()
        .map(|(n, _)| {
            format!(
                "printf '%s|' {q}; systemctl show {q} --property=ActiveState 2>/dev/null | tr -d '\\n'; echo; ",
                q = shell_quote(n)
            )
        })
        .collect();
    let out = ctx.remote.sh(&script).await?;
    let text = out.stdout_str();
    for (name, status) in unknown {
        let state = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}|")))
            .map(|s| s.replace("ActiveState=", ""))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown".into());
        services.insert(name.clone(), entry(name, &state, Some(status), "systemd"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scanners() {
        let mut m = Map::new();
        parse_sysv(" [ + ]  ssh\n [ - ]  procps\n", &mut m);
        assert_eq!(m["ssh"]["state"], "running");
        assert_eq!(m["procps"]["source"], "sysv");
        let mut m = Map::new();
        parse_units("cron.service loaded active running Regular background\nx.service not-found inactive dead x.service\n", &mut m);
        assert_eq!(m["cron.service"]["status"], "active");
        assert_eq!(m["x.service"]["status"], "not-found");
        let unknown = merge_unit_files(
            "cron.service enabled enabled\ny.service disabled enabled\n",
            &mut m,
        );
        assert_eq!(m["cron.service"]["status"], "enabled");
        assert_eq!(
            unknown,
            vec![("y.service".to_string(), "disabled".to_string())]
        );
    }
}
