//! `lvol`: an LVM logical volume in a volume group: created, resized (1.2 grows with lvextend
//! and shrinks with `lvreduce --force`) or removed. One exec lists the group's volumes with
//! `lvs`; sizes are in MiB (1.2's unit) unless the size carries a unit or is `N%FREE`-style.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::modules::remote::join_argv;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `lvol` module.
pub struct Lvol;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("vg", ArgKind::Str).required(),
        OptSpec::new("lv", ArgKind::Str).required(),
        OptSpec::new("size", ArgKind::Str),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["absent", "present"])
            .default("present"),
        OptSpec::new("force", ArgKind::Bool),
        OptSpec::new("opts", ArgKind::Str),
        OptSpec::new("shrink", ArgKind::Bool).default("yes"),
        OptSpec::new("active", ArgKind::Bool),
        OptSpec::new("pvs", ArgKind::List),
        OptSpec::new("resizefs", ArgKind::Bool),
        OptSpec::new("snapshot", ArgKind::Str),
        OptSpec::new("thinpool", ArgKind::Str),
    ],
    free_form: false,
    file_common: false,
});

/// The `lvs` command: names and sizes in MiB, `;`-separated, no headings.
pub fn lvs_argv(vg: &str) -> Vec<String> {
    [
        "lvs",
        "--noheadings",
        "--nosuffix",
        "-o",
        "lv_name,size",
        "--units",
        "m",
        "--separator",
        ";",
        vg,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Parses `lvs` output into `(name, MiB)` pairs (1.2: the integer part of the size).
pub fn parse_lvs(out: &str) -> Vec<(String, u64)> {
    out.lines()
        .filter_map(|l| {
            let (name, size) = l.trim().split_once(';')?;
            let int = size.trim().trim_end_matches(['m', 'M']);
            let int = int.split(['.', ',']).next()?;
            Some((name.to_string(), int.parse().ok()?))
        })
        .collect()
}

/// A requested size: MiB (`512`, `512m`, `2g`, `1t`), or extents (`100%FREE`, `50%VG`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Size {
    /// Mebibytes.
    Mib(u64),
    /// An `-l` extents expression.
    Extents(String),
}

/// Parses `size=`.
pub fn parse_size(s: &str) -> Result<Size, String> {
    let s = s.trim();
    if s.contains('%') {
        return Ok(Size::Extents(s.to_string()));
    }
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&s[..i], s[i..].to_ascii_lowercase()),
        None => (s, "m".to_string()),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("Bad size specification for unit {s:?}"))?;
    let mult = match unit.as_str() {
        "m" => 1.0,
        "g" => 1024.0,
        "t" => 1024.0 * 1024.0,
        "p" => 1024.0 * 1024.0 * 1024.0,
        "k" => 1.0 / 1024.0,
        _ => return Err(format!("Bad size specification for unit {unit:?}")),
    };
    Ok(Size::Mib((n * mult).round() as u64))
}

/// The change to make: the command line, or `None` when the volume is as asked.
pub fn plan(
    vg: &str,
    lv: &str,
    present: bool,
    size: Option<&Size>,
    current: Option<u64>,
    opts: &[String],
) -> Option<Vec<String>> {
    let s = |x: &str| x.to_string();
    match (present, current) {
        (true, None) => {
            let mut c = vec![s("lvcreate"), s("-n"), s(lv)];
            match size? {
                Size::Mib(m) => c.extend([s("-L"), format!("{m}m")]),
                Size::Extents(e) => c.extend([s("-l"), e.clone()]),
            }
            c.extend(opts.iter().cloned());
            c.push(s(vg));
            Some(c)
        }
        (true, Some(cur)) => match size? {
            Size::Mib(m) if *m > cur => Some(vec![
                s("lvextend"),
                s("-L"),
                format!("{m}m"),
                format!("{vg}/{lv}"),
            ]),
            Size::Mib(m) if *m < cur => Some(vec![
                s("lvreduce"),
                s("--force"),
                s("-L"),
                format!("{m}m"),
                format!("{vg}/{lv}"),
            ]),
            _ => None,
        },
        (false, Some(_)) => Some(vec![s("lvremove"), s("--force"), format!("{vg}/{lv}")]),
        (false, None) => None,
    }
}

#[async_trait]
impl Module for Lvol {
    fn name(&self) -> &'static str {
        "lvol"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let vg = args.str("vg").unwrap_or_default().to_string();
        let lv = args.str("lv").unwrap_or_default().to_string();
        let present = args.str("state") != Some("absent");
        let size = match args.str("size").filter(|s| !s.is_empty()) {
            Some(s) => match parse_size(s) {
                Ok(v) => Some(v),
                Err(e) => return Ok(ModuleResult::failed(e)),
            },
            None => None,
        };
        if present && size.is_none() {
            return Ok(ModuleResult::failed("No size given."));
        }
        let argv = lvs_argv(&vg);
        let words: Vec<&str> = argv.iter().map(String::as_str).collect();
        let out = ctx.remote.run(&words).await?;
        if out.rc != 0 {
            return Ok(
                ModuleResult::failed(format!("Volume group {vg} does not exist."))
                    .with("rc", out.rc)
                    .with("err", out.stderr_str()),
            );
        }
        let current = parse_lvs(&out.stdout_str())
            .into_iter()
            .find(|(n, _)| *n == lv)
            .map(|(_, s)| s);
        let opts = match args.str("opts").map(shlex::split) {
            Some(Some(o)) => o,
            Some(None) => return Ok(ModuleResult::failed("cannot split opts")),
            None => Vec::new(),
        };
        let Some(cmd) = plan(&vg, &lv, present, size.as_ref(), current, &opts) else {
            return Ok(ModuleResult::ok().with("vg", vg).with("lv", lv));
        };
        let res = ModuleResult::changed(true)
            .with("vg", vg.clone())
            .with("lv", lv.clone());
        if ctx.check_mode {
            return Ok(res);
        }
        let words: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let out = ctx
            .remote
            .sh(&format!("{} </dev/null", join_argv(&words)))
            .await?;
        if out.rc != 0 {
            let msg = match cmd[0].as_str() {
                "lvcreate" => format!("Creating logical volume '{lv}' failed"),
                "lvremove" => format!("Failed to remove logical volume {lv}"),
                _ => format!("Unable to resize {lv} to {}.", cmd[cmd.len() - 2]),
            };
            return Ok(ModuleResult::failed(msg)
                .with("rc", out.rc)
                .with("err", out.stderr_str()));
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lvs_and_sizes() {
        // `lvs --noheadings --nosuffix -o lv_name,size --units m --separator ';' vg` output, and
        // 1.2's form without --nosuffix.
        let out = "  root;8192.00\n  swap;1024.00\n  data;512.00m\n";
        assert_eq!(
            parse_lvs(out),
            vec![
                ("root".to_string(), 8192),
                ("swap".to_string(), 1024),
                ("data".to_string(), 512)
            ]
        );
        assert_eq!(parse_size("512").unwrap(), Size::Mib(512));
        assert_eq!(parse_size("2g").unwrap(), Size::Mib(2048));
        assert_eq!(
            parse_size("100%FREE").unwrap(),
            Size::Extents("100%FREE".into())
        );
        assert!(parse_size("12q").is_err());
    }

    #[test]
    fn plans_like_12() {
        let m = Size::Mib(1024);
        assert_eq!(
            plan("vg0", "data", true, Some(&m), None, &[]).unwrap(),
            ["lvcreate", "-n", "data", "-L", "1024m", "vg0"]
        );
        assert!(plan("vg0", "data", true, Some(&m), Some(1024), &[]).is_none());
        assert_eq!(
            plan("vg0", "data", true, Some(&m), Some(512), &[]).unwrap()[0],
            "lvextend"
        );
        assert_eq!(
            plan("vg0", "data", true, Some(&m), Some(2048), &[]).unwrap()[..2],
            ["lvreduce", "--force"]
        );
        assert_eq!(
            plan("vg0", "data", false, None, Some(1), &[]).unwrap(),
            ["lvremove", "--force", "vg0/data"]
        );
        assert!(plan("vg0", "data", false, None, None, &[]).is_none());
    }
}
