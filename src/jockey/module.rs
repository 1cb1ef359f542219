//! The `jockey` module: `jockey: kick system=centos64 mac=08:00:27:14:68:75 addr=10.1.1.1
//! name=core-01`, run on the controller (the files land in the controller's space directory).
//!
//! Actions (the free-form word or `action=`): `kick` (default) writes the kickstart, PXELINUX config
//! and password file like `flock jockey kick`; `ipxe` writes only the PXELINUX config. `space=`
//! (default `space`) and `hosts=` resolve against the playbook's directory. With `password=`
//! given, kicking again with the same arguments changes nothing (the kickstart's salt is kept);
//! a generated password is new each time. In check mode nothing is written.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use async_trait::async_trait;

use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

use super::kick::{self, KickOptions};
use super::{JockeyError, Space};

/// The `jockey` module.
pub struct Jockey;

/// The registered instance.
pub static JOCKEY: Jockey = Jockey;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("free_form", ArgKind::Str),
        OptSpec::new("action", ArgKind::Str).choices(&["kick", "ipxe"]),
        OptSpec::new("system", ArgKind::Str),
        OptSpec::new("mac", ArgKind::Str).required(),
        OptSpec::new("addr", ArgKind::Str).aliases(&["ip"]),
        OptSpec::new("name", ArgKind::Str),
        OptSpec::new("password", ArgKind::Str)
            .aliases(&["pass"])
            .no_log(),
        OptSpec::new("space", ArgKind::Path).default("space"),
        OptSpec::new("hosts", ArgKind::Path),
    ],
    free_form: true,
    file_common: false,
});

#[async_trait]
impl Module for Jockey {
    fn name(&self) -> &'static str {
        "jockey"
    }

    fn spec(&self) -> &ArgSpec {
        &SPEC
    }

    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        Ok(run_on_controller(&ctx.basedir, ctx.check_mode, args)
            .unwrap_or_else(|e| ModuleResult::failed(e.to_string())))
    }
}

/// The module's work, without a connection: `basedir` resolves relative paths.
pub fn run_on_controller(
    basedir: &Path,
    check_mode: bool,
    args: &ModuleArgs,
) -> Result<ModuleResult, JockeyError> {
    let free = args
        .free_form
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let action = match (free, args.str("action")) {
        (Some(f), _) => f.to_string(),
        (None, Some(a)) => a.to_string(),
        (None, None) => "kick".to_string(),
    };
    let resolve = |p: &str| -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            basedir.join(p)
        }
    };
    let mut space = Space::new(resolve(args.str("space").unwrap_or("space")));
    if let Some(h) = args.str("hosts") {
        space = space.with_hosts(resolve(h));
    }
    let mac_arg = args.str("mac").unwrap_or_default();
    let mac = space.resolve(mac_arg)?;
    match action.as_str() {
        "kick" => {
            let system = args
                .str("system")
                .ok_or_else(|| JockeyError::BadArg("missing required arguments: system".into()))?;
            let addr = args
                .str("addr")
                .map(|a| {
                    a.parse::<Ipv4Addr>()
                        .map_err(|_| JockeyError::BadIp(a.into()))
                })
                .transpose()?;
            let opts = KickOptions {
                system: system.to_string(),
                mac,
                addr,
                name: args.str("name").map(str::to_string),
                password: args.str("password").map(str::to_string),
                salt: None,
            };
            let plan = kick::plan(&space, &opts)?;
            let changed = plan.changes();
            if changed && !check_mode {
                plan.write()?;
            }
            let mut r = ModuleResult::changed(changed)
                .with("mac", mac.colon())
                .with("system", plan.system.clone())
                .with("kickstart", plan.kickstart.0.display().to_string())
                .with("pxelinux", plan.pxelinux.0.display().to_string())
                .with("password_file", plan.password_file.display().to_string());
            if !plan.warnings.is_empty() {
                r = r.with("warnings", plan.warnings.join("; "));
            }
            r.msg = Some(format!("kicked {} as {}", mac.colon(), plan.system));
            Ok(r)
        }
        "ipxe" => {
            let system = args.str("system").unwrap_or("local");
            let (path, text, _) = kick::pxelinux_plan(&space, system, mac)?;
            let changed = std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str());
            if changed && !check_mode {
                kick::write_file(&path, &text)?;
            }
            Ok(ModuleResult::changed(changed)
                .with("mac", mac.colon())
                .with("pxelinux", path.display().to_string()))
        }
        other => Err(JockeyError::BadArg(format!(
            "unknown jockey action {other:?} (kick or ipxe)"
        ))),
    }
}
