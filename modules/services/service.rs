//! `service`: start/stop/restart/reload a service and enable it at boot. Works with systemd when
//! it runs as PID 1 (`/run/systemd/system`), and otherwise with SysV init scripts in
//! `/etc/init.d` (run through `service` when present), enabled with `update-rc.d` (Debian) or
//! `chkconfig` (Red Hat), as in the lab hosts. One exec finds the tool, whether the service runs
//! and whether it is enabled; a second one acts.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `service` module.
pub struct Service {
    name: &'static str,
}

/// `service`.
pub static SERVICE: Service = Service { name: "service" };

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::Str)
            .required()
            .aliases(&["service", "unit"]),
        OptSpec::new("state", ArgKind::Str).choices(&[
            "started",
            "stopped",
            "restarted",
            "reloaded",
            "running",
        ]),
        OptSpec::new("enabled", ArgKind::Bool),
        OptSpec::new("pattern", ArgKind::Str),
        OptSpec::new("sleep", ArgKind::Int),
        OptSpec::new("runlevel", ArgKind::Str).default("default"),
        OptSpec::new("arguments", ArgKind::Str).aliases(&["args"]),
        OptSpec::new("use", ArgKind::Str).default("auto"),
        OptSpec::new("daemon_reload", ArgKind::Bool)
            .aliases(&["daemon-reload"])
            .default("no"),
        OptSpec::new("daemon_reexec", ArgKind::Bool),
        OptSpec::new("scope", ArgKind::Str),
        OptSpec::new("masked", ArgKind::Bool),
        OptSpec::new("no_block", ArgKind::Bool),
        OptSpec::new("force", ArgKind::Bool),
    ],
    free_form: false,
    file_common: false,
});

/// Which init system manages the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// systemd as PID 1.
    Systemd,
    /// A SysV init script in /etc/init.d.
    Sysv,
    /// Nothing found.
    None,
}

/// What the query found.
#[derive(Debug)]
pub struct ServiceState {
    /// The init system.
    pub tool: Tool,
    /// Running now.
    pub running: bool,
    /// Started at boot.
    pub enabled: bool,
    /// `update-rc.d` is there (Debian).
    pub update_rc_d: bool,
    /// `chkconfig` is there (Red Hat).
    pub chkconfig: bool,
    /// `service` is there.
    pub service_cmd: bool,
}

/// The one query script for service `name` (running: `pattern` via pgrep when given).
pub fn query_script(name: &str, pattern: Option<&str>, use_: &str) -> String {
    let n = shell_quote(name);
    let sysv_running = match pattern {
        Some(p) => format!("pgrep -f -- {} >/dev/null 2>&1 && echo RUN", shell_quote(p)),
        None => format!("/etc/init.d/{n} status >/dev/null 2>&1 </dev/null && echo RUN"),
    };
    let systemd_test = match use_ {
        "sysv" | "service" => "false",
        _ => "[ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1",
    };
    format!(
        "if {systemd_test}; then echo T:systemd; \
           systemctl is-active --quiet {n} && echo RUN; \
           systemctl is-enabled --quiet {n} 2>/dev/null && echo EN; \
           systemctl cat {n} >/dev/null 2>&1 || echo MISSING; \
         elif [ -f /etc/init.d/{n} ]; then echo T:sysv; {sysv_running}; \
           for f in /etc/rc[2345].d/S[0-9][0-9]{n} /etc/rc.d/rc[2345].d/S[0-9][0-9]{n}; do \
             [ -e \"$f\" ] && {{ echo EN; break; }}; done; \
           command -v update-rc.d >/dev/null 2>&1 && echo UPD; \
           command -v chkconfig >/dev/null 2>&1 && echo CHK; \
           command -v service >/dev/null 2>&1 && echo SVC; \
         else echo T:none; fi; true"
    )
}

/// Parses the output of [`query_script`].
pub fn parse_state(out: &str) -> ServiceState {
    let has = |w: &str| out.lines().any(|l| l == w);
    let tool = if has("T:systemd") && !has("MISSING") {
        Tool::Systemd
    } else if has("T:sysv") {
        Tool::Sysv
    } else {
        Tool::None
    };
    ServiceState {
        tool,
        running: has("RUN"),
        enabled: has("EN"),
        update_rc_d: has("UPD"),
        chkconfig: has("CHK"),
        service_cmd: has("SVC"),
    }
}

/// Runs `cmd` with its output in a temporary file, so that a daemon it starts cannot hold the
/// connection's pipes open.
fn detached(cmd: &str) -> String {
    format!(
        "o=$(mktemp); {cmd} >\"$o\" 2>&1 </dev/null; rc=$?; cat \"$o\"; rm -f \"$o\"; \
         [ $rc -eq 0 ] || exit $rc; "
    )
}

fn action_script(st: &ServiceState, name: &str, verb: &str, extra: Option<&str>) -> String {
    let n = shell_quote(name);
    let extra = extra.map(|e| format!(" {e}")).unwrap_or_default();
    match st.tool {
        Tool::Systemd => detached(&format!("systemctl {verb} {n}")),
        _ if st.service_cmd => detached(&format!("service {n} {verb}{extra}")),
        _ => detached(&format!("/etc/init.d/{n} {verb}{extra}")),
    }
}

fn enable_script(st: &ServiceState, name: &str, enable: bool) -> Result<String, String> {
    let n = shell_quote(name);
    Ok(match st.tool {
        Tool::Systemd => detached(&format!(
            "systemctl {} {n}",
            if enable { "enable" } else { "disable" }
        )),
        _ if st.update_rc_d => {
            if enable {
                detached(&format!(
                    "{{ update-rc.d {n} defaults && update-rc.d {n} enable; }}"
                ))
            } else {
                detached(&format!("update-rc.d {n} disable"))
            }
        }
        _ if st.chkconfig => {
            if enable {
                detached(&format!("{{ chkconfig --add {n} && chkconfig {n} on; }}"))
            } else {
                detached(&format!("chkconfig {n} off"))
            }
        }
        _ => {
            return Err(format!(
                "cannot enable or disable {name}: neither systemd, update-rc.d nor chkconfig found"
            ))
        }
    })
}

#[async_trait]
impl Module for Service {
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
        let name = args.str("name").unwrap_or_default().to_string();
        let state = args
            .str("state")
            .map(|s| if s == "running" { "started" } else { s });
        let enabled = args.get("enabled").map(|_| args.bool("enabled", false));
        if state.is_none() && enabled.is_none() && !args.bool("daemon_reload", false) {
            return Ok(ModuleResult::failed("Neither 'state' nor 'enabled' set"));
        }
        let out = ctx
            .remote
            .sh(&query_script(
                &name,
                args.str("pattern"),
                args.str("use").unwrap_or("auto"),
            ))
            .await?;
        let st = parse_state(&out.stdout_str());
        if st.tool == Tool::None {
            return Ok(ModuleResult::failed(format!(
                "cannot find 'service' binary or init script for service, possible typo in service name?, aborting \
                 ({name}: no /etc/init.d/{name} and systemd is not running)"
            ))
            .with("name", name));
        }
        let extra = args.str("arguments");
        let mut script = String::new();
        if args.bool("daemon_reload", false) && st.tool == Tool::Systemd {
            script.push_str("systemctl daemon-reload; ");
        }
        if let Some(e) = enabled {
            if e != st.enabled {
                match enable_script(&st, &name, e) {
                    Ok(s) => script.push_str(&s),
                    Err(m) => return Ok(ModuleResult::failed(m).with("name", name)),
                }
            }
        }
        match state {
            Some("started") if !st.running => {
                script.push_str(&action_script(&st, &name, "start", extra))
            }
            Some("stopped") if st.running => {
                script.push_str(&action_script(&st, &name, "stop", extra))
            }
            Some("restarted") => match args.int("sleep") {
                Some(secs) => {
                    script.push_str(&action_script(&st, &name, "stop", extra));
                    script.push_str(&format!("sleep {secs}; "));
                    script.push_str(&action_script(&st, &name, "start", extra));
                }
                None => script.push_str(&action_script(&st, &name, "restart", extra)),
            },
            Some("reloaded") => {
                let verb = if st.running { "reload" } else { "start" };
                script.push_str(&action_script(&st, &name, verb, extra))
            }
            _ => {}
        }
        let changed = !script.is_empty();
        let mut res = ModuleResult::changed(changed).with("name", name.clone());
        let shown_state = match state {
            Some("stopped") => "stopped",
            Some(_) => "started",
            None if st.running => "started",
            None => "stopped",
        };
        res.data.insert("state".into(), shown_state.into());
        res.data
            .insert("enabled".into(), enabled.unwrap_or(st.enabled).into());
        if !changed || ctx.check_mode {
            return Ok(res);
        }
        let out = ctx.remote.sh(&format!("set -e; {script}")).await?;
        if out.rc != 0 {
            let text = format!("{}{}", out.stdout_str(), out.stderr_str());
            return Ok(ModuleResult::failed(text.trim().to_string())
                .with("name", name)
                .with("rc", out.rc));
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_query() {
        let st = parse_state("T:sysv\nRUN\nEN\nUPD\nSVC\n");
        assert_eq!(st.tool, Tool::Sysv);
        assert!(st.running && st.enabled && st.update_rc_d && st.service_cmd && !st.chkconfig);
        assert_eq!(parse_state("T:systemd\nMISSING\n").tool, Tool::None);
        assert_eq!(parse_state("T:none\n").tool, Tool::None);
    }
}
