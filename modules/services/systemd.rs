//! `systemd` / `systemd_service` (`ansible.builtin.systemd_service`): a unit's state, enablement
//! and mask, `daemon_reload`/`daemon_reexec`, with ansible-core's arguments, checks, messages and
//! result (`name`, `status` from `systemctl show`, `state`, `enabled`).
//!
//! Where systemd is not PID 1 (containers, the lab's hosts) there is no unit to manage: like the
//! `service` module, flock then drives the init script (`/etc/init.d`, enabled with
//! `update-rc.d` or `chkconfig`); `status` is empty, `masked` fails (only systemd masks) and
//! `daemon_reload`/`daemon_reexec` are skipped with a warning (ansible-core would fail there).

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::services::service::SERVICE;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};
use crate::value::{Map, Value};

/// The `systemd` module (also `systemd_service`).
pub struct Systemd {
    name: &'static str,
}

/// `systemd`.
pub static SYSTEMD: Systemd = Systemd { name: "systemd" };
/// `systemd_service`.
pub static SYSTEMD_SERVICE: Systemd = Systemd {
    name: "systemd_service",
};

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::Str).aliases(&["service", "unit"]),
        OptSpec::new("state", ArgKind::Str).choices(&[
            "reloaded",
            "restarted",
            "started",
            "stopped",
        ]),
        OptSpec::new("enabled", ArgKind::Bool),
        OptSpec::new("force", ArgKind::Bool),
        OptSpec::new("masked", ArgKind::Bool),
        OptSpec::new("daemon_reload", ArgKind::Bool)
            .aliases(&["daemon-reload"])
            .default("no"),
        OptSpec::new("daemon_reexec", ArgKind::Bool)
            .aliases(&["daemon-reexec"])
            .default("no"),
        OptSpec::new("scope", ArgKind::Str)
            .choices(&["system", "user", "global"])
            .default("system"),
        OptSpec::new("no_block", ArgKind::Bool).default("no"),
    ],
    free_form: false,
    file_common: false,
});

/// ansible-core's `required_by` and glob checks.
fn check_args(args: &ModuleArgs) -> Result<(), String> {
    // ansible-core's `required_one_of` never fires: `daemon_reload`/`daemon_reexec` default
    // to false, which counts as given.
    let set = |k: &str| args.get(k).is_some();
    for k in ["state", "enabled", "masked"] {
        if set(k) && !set("name") {
            return Err(format!("missing parameter(s) required by '{k}': name"));
        }
    }
    if let Some(unit) = args.str("name") {
        if let Some(g) = ["*", "?", "["].iter().find(|g| unit.contains(**g)) {
            return Err(format!("This module does not currently support using glob patterns, found '{g}' in service name: {unit}"));
        }
    }
    Ok(())
}

/// ansible-core's `parse_systemctl_show`: `Key=value` lines; `Exec*={ … }` values may span lines.
pub fn parse_show(text: &str) -> Map {
    let mut parsed = Map::new();
    let mut key: Option<String> = None;
    let mut multi: Vec<String> = Vec::new();
    for line in text.lines() {
        match &key {
            None => {
                let Some((k, v)) = line.split_once('=') else {
                    continue;
                };
                if k.starts_with("Exec")
                    && v.trim_start().starts_with('{')
                    && !v.trim_end().ends_with('}')
                {
                    multi.push(v.to_string());
                    key = Some(k.to_string());
                    continue;
                }
                parsed.insert(k.to_string(), Value::String(v.trim().to_string()));
            }
            Some(k) => {
                multi.push(line.to_string());
                if line.trim_end().ends_with('}') {
                    parsed.insert(
                        k.clone(),
                        Value::String(multi.join("\n").trim().to_string()),
                    );
                    multi.clear();
                    key = None;
                }
            }
        }
    }
    parsed
}

/// The `systemctl` command line with the scope and flag options.
fn systemctl(args: &ModuleArgs) -> String {
    let mut s = String::from("systemctl");
    match args.str("scope") {
        Some(sc) if sc != "system" => s.push_str(&format!(" --{sc}")),
        _ => {}
    }
    if args.bool("no_block", false) {
        s.push_str(" --no-block");
    }
    if args.bool("force", false) {
        s.push_str(" --force");
    }
    s
}

const MARK: &str = "@@flock-systemd@@";

/// What one query of a unit found (systemd running).
struct Unit {
    status: Map,
    enabled_out: String,
    enabled_rc: i32,
    initd: bool,
    sysv_enabled: bool,
}

impl Unit {
    fn found(&self) -> bool {
        let ls = self.status.get("LoadState").and_then(Value::as_str);
        ls.is_some_and(|l| l != "not-found") || self.initd
    }
    fn active(&self) -> &str {
        self.status
            .get("ActiveState")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// One script: `systemctl show`, `is-enabled` (output and status), the init script and its links.
fn query_script(sc: &str, unit: &str) -> String {
    let n = shell_quote(unit);
    format!(
        "{sc} show {n} 2>/dev/null; echo {MARK}; e=$({sc} is-enabled {n} 2>/dev/null); echo \"rc=$?\"; \
         echo \"$e\"; echo {MARK}; [ -f /etc/init.d/{n} ] && echo INITD; \
         ls /etc/rc?.d/S??{n} >/dev/null 2>&1 && echo SYSV_ON; true"
    )
}

fn parse_unit(out: &str) -> Unit {
    let sep = format!("{MARK}\n");
    let mut parts = out.split(&sep);
    let show = parts.next().unwrap_or("");
    let en = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("");
    let (rc_line, en_out) = en.split_once('\n').unwrap_or((en, ""));
    Unit {
        status: parse_show(show),
        enabled_rc: rc_line
            .strip_prefix("rc=")
            .and_then(|r| r.trim().parse().ok())
            .unwrap_or(1),
        enabled_out: en_out.trim().to_string(),
        initd: rest.lines().any(|l| l == "INITD"),
        sysv_enabled: rest.lines().any(|l| l == "SYSV_ON"),
    }
}

/// The actions for a unit under systemd, in ansible-core's order: (verb, message prefix).
fn plan(
    args: &ModuleArgs,
    u: &Unit,
    res: &mut ModuleResult,
) -> Result<Vec<(String, String)>, String> {
    let unit = args.str("name").unwrap_or("");
    let missing = || format!("Could not find the requested service {unit}: host");
    let mut acts = Vec::new();
    if let Some(want) = args.get("masked").map(|_| args.bool("masked", false)) {
        if (u.enabled_out == "masked") != want {
            let a = if want { "mask" } else { "unmask" };
            acts.push((
                a.to_string(),
                format!("Failed to {a} the service ({unit}):"),
            ));
        }
    }
    if let Some(want) = args.get("enabled").map(|_| args.bool("enabled", false)) {
        if !u.found() {
            return Err(missing());
        }
        let enabled = match u.enabled_rc {
            0 => !matches!(
                u.enabled_out.as_str(),
                "enabled-runtime" | "indirect" | "alias"
            ),
            1 => {
                args.str("scope") == Some("system")
                    && u.initd
                    && !u.enabled_out.ends_with("disabled")
                    && u.sysv_enabled
            }
            _ => false,
        };
        res.data.insert("enabled".into(), Value::Bool(want));
        if enabled != want {
            let a = if want { "enable" } else { "disable" };
            acts.push((a.to_string(), format!("Unable to {a} service {unit}:")));
        }
    }
    if let Some(state) = args.str("state") {
        if !u.found() {
            return Err(missing());
        }
        if u.active().is_empty() {
            return Err("Service is in unknown state".into());
        }
        let running = matches!(u.active(), "active" | "activating");
        let action = match state {
            "started" => (!running).then_some("start"),
            "stopped" => (running || u.active() == "deactivating").then_some("stop"),
            _ if !running => Some("start"),
            other => Some(other.trim_end_matches("ed")),
        };
        let shown = if state == "stopped" {
            "stopped"
        } else {
            "started"
        };
        res.data.insert("state".into(), Value::String(shown.into()));
        if let Some(a) = action {
            acts.push((a.to_string(), format!("Unable to {a} service {unit}:")));
        }
    }
    Ok(acts)
}

#[async_trait]
impl Module for Systemd {
    fn name(&self) -> &'static str {
        self.name
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        if let Err(m) = check_args(args) {
            return Ok(ModuleResult::failed(m));
        }
        let probe = ctx
            .remote
            .sh("command -v systemctl >/dev/null 2>&1 || { echo NOSYSTEMCTL; exit 0; }; [ -d /run/systemd/system ] && echo BOOTED; true")
            .await?;
        let p = probe.stdout_str();
        if !p.contains("BOOTED") {
            return init_script_fallback(ctx, args).await;
        }
        if p.contains("NOSYSTEMCTL") {
            return Ok(ModuleResult::failed(
                "Failed to find required executable \"systemctl\" in paths: /usr/sbin:/usr/bin:/sbin:/bin",
            ));
        }
        with_systemd(ctx, args).await
    }
}

/// systemd is PID 1: ansible-core's flow.
async fn with_systemd(
    ctx: &ModuleContext<'_>,
    args: &ModuleArgs,
) -> Result<ModuleResult, ModuleError> {
    let sc = systemctl(args);
    let unit = args.str("name");
    let mut res = ModuleResult::ok();
    res.data.insert(
        "name".into(),
        unit.map_or(Value::Null, |u| Value::String(u.into())),
    );
    res.data.insert("status".into(), Value::Object(Map::new()));
    for (flag, verb) in [
        ("daemon_reload", "daemon-reload"),
        ("daemon_reexec", "daemon-reexec"),
    ] {
        if args.bool(flag, false) && !ctx.check_mode {
            let out = ctx.remote.sh(&format!("{sc} {verb}")).await?;
            if out.rc != 0 {
                return Ok(ModuleResult::failed(format!(
                    "failure {} during {verb}: {}",
                    out.rc,
                    out.stderr_str()
                )));
            }
        }
    }
    let Some(unit) = unit else {
        return Ok(res);
    };
    let out = ctx.remote.sh(&query_script(&sc, unit)).await?;
    let u = parse_unit(&out.stdout_str());
    let masked = u.status.get("LoadState").and_then(Value::as_str) == Some("masked");
    if let (false, Some(Value::String(e))) = (masked, u.status.get("LoadError")) {
        if u.found() {
            return Ok(ModuleResult::failed(format!(
                "Error loading unit file '{unit}': {e}"
            )));
        }
    }
    res.data
        .insert("status".into(), Value::Object(u.status.clone()));
    let acts = match plan(args, &u, &mut res) {
        Ok(a) => a,
        Err(m) => return Ok(ModuleResult::failed(m)),
    };
    res.changed = !acts.is_empty();
    if ctx.check_mode {
        return Ok(res);
    }
    for (verb, msg) in acts {
        let out = ctx
            .remote
            .sh(&format!("{sc} {verb} {}", shell_quote(unit)))
            .await?;
        if out.rc != 0 {
            return Ok(ModuleResult::failed(format!(
                "{msg} {}",
                out.stderr_str().trim()
            )));
        }
    }
    Ok(res)
}

/// No systemd as PID 1: the init script, as the `service` module drives it.
async fn init_script_fallback(
    ctx: &ModuleContext<'_>,
    args: &ModuleArgs,
) -> Result<ModuleResult, ModuleError> {
    if args.get("masked").is_some() {
        return Ok(ModuleResult::failed(format!(
            "cannot mask or unmask {}: systemd is not running on this host (PID 1 is not systemd)",
            args.str("name").unwrap_or("")
        )));
    }
    let mut warnings = Vec::new();
    for (flag, verb) in [
        ("daemon_reload", "daemon-reload"),
        ("daemon_reexec", "daemon-reexec"),
    ] {
        if args.bool(flag, false) {
            warnings.push(format!(
                "{verb} skipped: systemd is not running on this host"
            ));
        }
    }
    let name = args.str("name");
    let mut res = if let (Some(n), true) = (
        name,
        args.get("state").is_some() || args.get("enabled").is_some(),
    ) {
        let mut given = Map::new();
        given.insert("name".into(), Value::String(n.into()));
        for k in ["state", "enabled"] {
            if let Some(v) = args.get(k) {
                given.insert(k.into(), v.clone());
            }
        }
        let inner = ModuleArgs::validate(SERVICE.spec(), &given, None)
            .map_err(|e| ModuleError::Controller(e.to_string()))?;
        let mut r = SERVICE.run(ctx, &inner).await?;
        for k in ["state", "enabled"] {
            if args.get(k).is_none() {
                r.data.shift_remove(k);
            }
        }
        r
    } else {
        ModuleResult::ok().with(
            "name",
            name.map_or(Value::Null, |n| Value::String(n.into())),
        )
    };
    if !res.failed {
        res.data.insert("status".into(), Value::Object(Map::new()));
    }
    Ok(res.with_warnings(warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_systemctl_show() {
        let m = parse_show("Id=a.service\nExecStart={ path=/bin/a ;\n argv[]=/bin/a }\nDescription={ odd\nActiveState=active\n");
        assert_eq!(m["ActiveState"], "active");
        assert_eq!(m["Description"], "{ odd");
        assert_eq!(m["ExecStart"], "{ path=/bin/a ;\n argv[]=/bin/a }");
        let u = parse_unit("LoadState=loaded\nActiveState=inactive\n@@flock-systemd@@\nrc=1\ndisabled\n@@flock-systemd@@\nINITD\n");
        assert!(u.found() && u.initd && !u.sysv_enabled);
        assert_eq!((u.enabled_rc, u.enabled_out.as_str()), (1, "disabled"));
    }
}
