//! `filesystem`: makes a file system on a device (or an image file) unless it already has one
//! of that type; another type is kept unless `force=yes`. One exec asks `blkid`.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::remote::join_argv;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `filesystem` module.
pub struct Filesystem;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("fstype", ArgKind::Str)
            .required()
            .aliases(&["type"]),
        OptSpec::new("dev", ArgKind::Path)
            .required()
            .aliases(&["device"]),
        OptSpec::new("opts", ArgKind::Str),
        OptSpec::new("force", ArgKind::Bool).default("no"),
        OptSpec::new("resizefs", ArgKind::Bool),
        OptSpec::new("state", ArgKind::Str).choices(&["present"]),
    ],
    free_form: false,
    file_common: false,
});

/// The flag that makes `mkfs.TYPE` overwrite an existing file system.
fn force_flag(fstype: &str) -> Option<&'static str> {
    match fstype {
        t if t.starts_with("ext") => Some("-F"),
        "xfs" | "btrfs" | "f2fs" => Some("-f"),
        _ => None,
    }
}

#[async_trait]
impl Module for Filesystem {
    fn name(&self) -> &'static str {
        "filesystem"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let fstype = args.str("fstype").unwrap_or_default().to_string();
        let dev = args.str("dev").unwrap_or_default().to_string();
        let force = args.bool("force", false);
        let d = shell_quote(&dev);
        let out = ctx
            .remote
            .sh(&format!(
                "[ -e {d} ] || {{ echo NODEV; exit 0; }}; printf 'FS:%s\\n' \"$(blkid -c /dev/null -o value -s TYPE -- {d} 2>/dev/null)\""
            ))
            .await?;
        let text = out.stdout_str();
        if text.lines().any(|l| l == "NODEV") {
            return Ok(ModuleResult::failed(format!("Device {dev} not found.")));
        }
        let fs = text
            .lines()
            .find_map(|l| l.strip_prefix("FS:"))
            .unwrap_or("")
            .trim()
            .to_string();
        if fs == fstype {
            return Ok(ModuleResult::ok().with("dev", dev).with("fstype", fstype));
        }
        if !fs.is_empty() && !force {
            return Ok(ModuleResult::failed(format!(
                "'{dev}' is already used as {fs}, use force=yes to overwrite"
            ))
            .with("rc", 0));
        }
        let res = ModuleResult::changed(true)
            .with("dev", dev.clone())
            .with("fstype", fstype.clone());
        if ctx.check_mode {
            return Ok(res);
        }
        let mut argv: Vec<String> = vec!["mkfs".into(), "-t".into(), fstype.clone()];
        if let Some(o) = args.str("opts") {
            match shlex::split(o) {
                Some(words) => argv.extend(words),
                None => return Ok(ModuleResult::failed(format!("cannot split opts: {o}"))),
            }
        }
        if force && !fs.is_empty() {
            if let Some(f) = force_flag(&fstype) {
                argv.push(f.into());
            }
        }
        argv.push(dev.clone());
        let words: Vec<&str> = argv.iter().map(String::as_str).collect();
        let out = ctx
            .remote
            .sh(&format!("{} </dev/null", join_argv(&words)))
            .await?;
        if out.rc != 0 {
            return Ok(ModuleResult::failed(format!(
                "Creating filesystem {fstype} on device '{dev}' failed"
            ))
            .with("rc", out.rc)
            .with("err", out.stderr_str()));
        }
        Ok(res)
    }
}
