//! `lvg` (`community.general.lvg`): an LVM volume group: created from its physical volumes
//! (`pvcreate -f`, `vgcreate -s PESIZE`), extended and reduced to the `pvs` given
//! (`remove_extra_pvs`), activated or deactivated (`vgchange -ay`/`-an`), removed
//! (`vgremove --force`, refused while it holds logical volumes unless `force`), with
//! community.general's checks and messages. `pvresize`, `reset_vg_uuid` and `reset_pv_uuid`
//! are not supported. One round trip reads the group, its volumes and the devices.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::remote::join_argv;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `lvg` module.
pub struct Lvg;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("vg", ArgKind::Str).required(),
        OptSpec::new("pvs", ArgKind::List),
        OptSpec::new("pesize", ArgKind::Str).default("4"),
        OptSpec::new("pv_options", ArgKind::Str).default(""),
        OptSpec::new("pvresize", ArgKind::Bool).default("no"),
        OptSpec::new("vg_options", ArgKind::Str).default(""),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["absent", "present", "active", "inactive"])
            .default("present"),
        OptSpec::new("force", ArgKind::Bool).default("no"),
        OptSpec::new("reset_vg_uuid", ArgKind::Bool).default("no"),
        OptSpec::new("reset_pv_uuid", ArgKind::Bool).default("no"),
        OptSpec::new("remove_extra_pvs", ArgKind::Bool).default("yes"),
    ],
    free_form: false,
    file_common: false,
});

/// What the query found.
#[derive(Debug, Default)]
struct Found {
    /// The group exists, with this many logical volumes.
    lv_count: Option<u64>,
    /// (pv name, its group) of every physical volume.
    pvs: Vec<(String, String)>,
    /// The given devices, resolved (`realpath`); `None` when missing.
    devs: Vec<Option<String>>,
    /// `pvs` is not installed.
    no_lvm: bool,
}

fn query(vg: &str, devs: &[String]) -> String {
    let mut s = String::from(
        "command -v pvs >/dev/null 2>&1 || { echo NOLVM; exit 0; }; export LANG=C LC_ALL=C; ",
    );
    s.push_str(&format!(
        "vgs --noheadings -o lv_count --separator ';' {} 2>/dev/null | sed 's/^ */VG:/'; ",
        shell_quote(vg)
    ));
    s.push_str(
        "pvs --noheadings -o pv_name,vg_name --separator ';' 2>/dev/null | sed 's/^ */PV:/'; ",
    );
    for d in devs {
        let q = shell_quote(d);
        s.push_str(&format!(
            "if [ -e {q} ]; then printf 'DEV:%s\\n' \"$(realpath {q})\"; else echo DEV:; fi; "
        ));
    }
    s.push_str("true");
    s
}

fn parse(out: &str) -> Found {
    let mut f = Found::default();
    for l in out.lines() {
        if l == "NOLVM" {
            f.no_lvm = true;
        } else if let Some(v) = l.strip_prefix("VG:") {
            f.lv_count = v.trim().parse().ok();
        } else if let Some(p) = l.strip_prefix("PV:") {
            let (n, g) = p.split_once(';').unwrap_or((p, ""));
            f.pvs.push((n.trim().to_string(), g.trim().to_string()));
        } else if let Some(d) = l.strip_prefix("DEV:") {
            f.devs.push((!d.is_empty()).then(|| d.to_string()));
        }
    }
    f
}

/// One command with the message community.general fails it with.
type Step = (Vec<String>, String);

/// The commands for the arguments (`Err`: the failure message).
fn plan(args: &ModuleArgs, given: &[String], f: &Found) -> Result<Vec<Step>, String> {
    let vg = args.str("vg").unwrap_or("");
    let state = args.str("state").unwrap_or("present");
    let present = state != "absent";
    if present && f.lv_count.is_none() && given.is_empty() {
        return Err("No physical volumes given.".into());
    }
    let mut devs = Vec::new();
    for (g, d) in given.iter().zip(&f.devs) {
        match d {
            Some(d) => devs.push(d.clone()),
            None if present => return Err(format!("Device {g} not found.")),
            None => devs.push(g.clone()),
        }
    }
    if present {
        if let Some((n, g)) = f
            .pvs
            .iter()
            .find(|(n, g)| devs.contains(n) && !g.is_empty() && g != vg)
        {
            return Err(format!("Device {n} is already in {g} volume group."));
        }
    }
    let words = |k: &str| -> Vec<String> {
        args.str(k)
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let pvcreate = |d: &String| -> Step {
        let mut c = vec!["pvcreate".to_string()];
        c.extend(words("pv_options"));
        c.extend(["-f".into(), d.clone()]);
        (c, format!("Creating physical volume '{d}' failed"))
    };
    let mut steps: Vec<Step> = Vec::new();
    let Some(lv_count) = f.lv_count else {
        if !present {
            return Ok(steps);
        }
        steps.extend(devs.iter().map(pvcreate));
        let mut c = vec!["vgcreate".to_string()];
        c.extend(words("vg_options"));
        if state == "inactive" {
            c.extend(["--setautoactivation".into(), "n".into()]);
        }
        c.extend([
            "-s".into(),
            args.str("pesize").unwrap_or("4").into(),
            vg.into(),
        ]);
        c.extend(devs.iter().cloned());
        steps.push((c, format!("Creating volume group '{vg}' failed")));
        return Ok(steps);
    };
    match state {
        "absent" if lv_count == 0 || args.bool("force", false) => {
            let c = vec!["vgremove".into(), "--force".into(), vg.into()];
            return Ok(vec![(c, format!("Failed to remove volume group {vg}"))]);
        }
        "absent" => {
            return Err(format!(
                "Refuse to remove non-empty volume group {vg} without force=true"
            ))
        }
        "active" | "inactive" => {
            let flag = if state == "active" { "-ay" } else { "-an" };
            let c = vec!["vgchange".into(), flag.into(), vg.into()];
            steps.push((c, format!("Failed to activate volume group '{vg}'")));
        }
        _ => {}
    }
    if devs.is_empty() {
        return Ok(steps);
    }
    let current: Vec<&String> = f
        .pvs
        .iter()
        .filter(|(_, g)| g == vg)
        .map(|(n, _)| n)
        .collect();
    let add: Vec<String> = devs
        .iter()
        .filter(|d| !current.contains(d))
        .cloned()
        .collect();
    if !add.is_empty() {
        steps.extend(add.iter().map(pvcreate));
        let mut c = vec!["vgextend".to_string(), vg.into()];
        c.extend(add.iter().cloned());
        steps.push((c, format!("Unable to extend {vg} by {}.", add.join(" "))));
    }
    let remove: Vec<String> = current
        .iter()
        .filter(|d| !devs.contains(d))
        .map(|d| d.to_string())
        .collect();
    if !remove.is_empty() && args.bool("remove_extra_pvs", true) {
        let mut c = vec!["vgreduce".to_string(), "--force".into(), vg.into()];
        c.extend(remove.iter().cloned());
        steps.push((c, format!("Unable to reduce {vg} by {}.", remove.join(" "))));
    }
    Ok(steps)
}

#[async_trait]
impl Module for Lvg {
    fn name(&self) -> &'static str {
        "lvg"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        if args.bool("reset_pv_uuid", false) && args.get("pvs").is_none() {
            return Ok(ModuleResult::failed(
                "reset_pv_uuid is True but all of the following are missing: pvs",
            ));
        }
        for k in ["pvresize", "reset_vg_uuid", "reset_pv_uuid"] {
            if args.bool(k, false) {
                return Ok(ModuleResult::failed(format!(
                    "flock's lvg module does not support {k}"
                )));
            }
        }
        let given = args.list("pvs");
        let vg = args.str("vg").unwrap_or("");
        let f = parse(&ctx.remote.sh(&query(vg, &given)).await?.stdout_str());
        if f.no_lvm {
            return Ok(ModuleResult::failed(
                "Failed to find required executable \"pvs\" in paths: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ));
        }
        let steps = match plan(args, &given, &f) {
            Ok(s) => s,
            Err(m) => return Ok(ModuleResult::failed(m)),
        };
        let changed = !steps.is_empty();
        if !changed || ctx.check_mode {
            return Ok(ModuleResult::changed(changed));
        }
        for (cmd, msg) in steps {
            let argv: Vec<&str> = cmd.iter().map(String::as_str).collect();
            let out = ctx.remote.sh(&join_argv(&argv)).await?;
            if out.rc != 0 {
                return Ok(ModuleResult::failed(msg)
                    .with("rc", out.rc)
                    .with("err", out.stderr_str()));
            }
        }
        Ok(ModuleResult::changed(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Map, Value};

    fn args(kv: &[(&str, &str)]) -> ModuleArgs {
        let mut m = Map::new();
        for (k, v) in kv {
            m.insert(k.to_string(), Value::String(v.to_string()));
        }
        ModuleArgs::validate(&SPEC, &m, None).expect("valid")
    }

    #[test]
    fn plans_create_extend_remove() {
        let a = args(&[("vg", "vg0"), ("pvs", "/dev/sdb,/dev/sdc")]);
        let f = parse("PV:/dev/sdb;vg0\nDEV:/dev/sdb\nDEV:/dev/sdc\nVG:0\n");
        let steps = plan(&a, &a.list("pvs"), &f).expect("plan");
        let cmds: Vec<String> = steps.iter().map(|s| s.0.join(" ")).collect();
        assert_eq!(cmds, ["pvcreate -f /dev/sdc", "vgextend vg0 /dev/sdc"]);
        let f = parse("DEV:\nDEV:/dev/sdc\n");
        assert_eq!(
            plan(&a, &a.list("pvs"), &f).err().as_deref(),
            Some("Device /dev/sdb not found.")
        );
        let gone = args(&[("vg", "vg0"), ("state", "absent")]);
        assert_eq!(
            plan(&gone, &[], &parse("VG:2\n")).err().as_deref(),
            Some("Refuse to remove non-empty volume group vg0 without force=true")
        );
    }
}
