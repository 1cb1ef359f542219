//! `apt`: install, upgrade or remove Debian packages with `apt-get`, and refresh the cache.
//!
//! `name` is a list (`name=a,b,c`; `foo=1.2-1` pins a version); `deb=` (or a name ending in `.deb`)
//! installs a package file. One exec reads the cache age, each package's status and version
//! (`dpkg-query`) and, for `state=latest`, the candidate (`apt-cache policy`); `--check` stops
//! there. Then one exec runs `apt-get update` (when asked and the cache is older than
//! `cache_valid_time`) and `apt-get install|remove` on what must change; a failure returns
//! apt's own message (`E: Unable to locate package x`).

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `apt` module.
pub struct Apt;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::List).aliases(&["pkg", "package"]),
        OptSpec::new("state", ArgKind::Str)
            .choices(&[
                "installed",
                "present",
                "latest",
                "absent",
                "removed",
                "build-dep",
            ])
            .default("present"),
        OptSpec::new("update_cache", ArgKind::Bool)
            .aliases(&["update-cache"])
            .default("no"),
        OptSpec::new("cache_valid_time", ArgKind::Int),
        OptSpec::new("install_recommends", ArgKind::Bool).aliases(&["install-recommends"]),
        OptSpec::new("force", ArgKind::Bool).default("no"),
        OptSpec::new("purge", ArgKind::Bool).default("no"),
        OptSpec::new("default_release", ArgKind::Str).aliases(&["default-release"]),
        OptSpec::new("deb", ArgKind::Path),
        OptSpec::new("upgrade", ArgKind::Str),
        OptSpec::new("dpkg_options", ArgKind::Str).default("force-confdef,force-confold"),
        OptSpec::new("autoremove", ArgKind::Bool).default("no"),
    ],
    free_form: false,
    file_common: false,
});

/// One package as the query found it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PkgState {
    /// As given (`foo`, `foo=1.0-1`, or a `.deb` path).
    pub spec: String,
    /// The package name.
    pub name: String,
    /// The pinned version (`foo=VERSION`), or the `.deb`'s version.
    pub version: Option<String>,
    /// Installed version, if installed.
    pub installed: Option<String>,
    /// Candidate version from the cache (for `latest`).
    pub candidate: Option<String>,
}

/// Splits `foo=1.0` into name and version.
pub fn split_spec(spec: &str) -> (String, Option<String>) {
    match spec.split_once('=') {
        Some((n, v)) => (n.to_string(), Some(v.to_string())),
        None => (spec.to_string(), None),
    }
}

/// The query script: `AGE<TAB>seconds` of the cache, then per package
/// `P<TAB>spec<TAB>name<TAB>version<TAB>installed<TAB>candidate`.
pub fn query_script(specs: &[String], latest: bool) -> String {
    let mut s = String::from(
        "command -v apt-get >/dev/null 2>&1 || { echo NOAPT; exit 0; }; \
         st=/var/lib/apt/periodic/update-success-stamp; [ -e \"$st\" ] || st=/var/lib/apt/lists; \
         printf 'AGE\\t%s\\n' $(( $(date +%s) - $(stat -c %Y \"$st\" 2>/dev/null || echo 0) )); ",
    );
    for spec in specs {
        let q = shell_quote(spec);
        let (name_expr, ver_expr) = if spec.ends_with(".deb") {
            (
                format!("$(dpkg-deb -f {q} Package 2>/dev/null)"),
                format!("$(dpkg-deb -f {q} Version 2>/dev/null)"),
            )
        } else {
            let (n, v) = split_spec(spec);
            (shell_quote(&n), shell_quote(&v.unwrap_or_default()))
        };
        s.push_str(&format!(
            "n={name_expr}; v={ver_expr}; \
             i=$(dpkg-query -W -f='${{Status}}|${{Version}}' \"$n\" 2>/dev/null | \
                 sed -n 's/^[a-z]* [a-z]* installed|//p'); "
        ));
        if latest {
            s.push_str(
                "c=$(apt-cache policy \"$n\" 2>/dev/null | sed -n 's/^ *Candidate: //p' | head -n1); \
                 [ \"$c\" = '(none)' ] && c=''; ",
            );
        } else {
            s.push_str("c=''; ");
        }
        s.push_str(&format!(
            "printf 'P\\t%s\\t%s\\t%s\\t%s\\t%s\\n' {q} \"$n\" \"$v\" \"$i\" \"$c\"; "
        ));
    }
    s.push_str("true");
    s
}

/// Parses [`query_script`]'s output: cache age in seconds and the packages.
pub fn parse_query(out: &str) -> Option<(i64, Vec<PkgState>)> {
    if out.lines().any(|l| l == "NOAPT") {
        return None;
    }
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let mut age = i64::MAX;
    let mut pkgs = Vec::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["AGE", a] => age = a.parse().unwrap_or(i64::MAX),
            ["P", spec, name, ver, inst, cand] => pkgs.push(PkgState {
                spec: spec.to_string(),
                name: name.to_string(),
                version: opt(ver),
                installed: opt(inst),
                candidate: opt(cand),
            }),
            _ => {}
        }
    }
    Some((age, pkgs))
}

/// Whether `p` must be installed or upgraded for `state`.
pub fn needs_install(p: &PkgState, latest: bool) -> bool {
    match (&p.installed, &p.version) {
        (None, _) => true,
        (Some(i), Some(v)) => i != v,
        (Some(i), None) => latest && p.candidate.as_ref().is_some_and(|c| c != i),
    }
}

const ENV: &str = "DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical";

#[async_trait]
impl Module for Apt {
    fn name(&self) -> &'static str {
        "apt"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let mut specs: Vec<String> = args
            .list("name")
            .into_iter()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        if let Some(deb) = args.str("deb") {
            specs.push(deb.to_string());
        }
        let state = args.str("state").unwrap_or("present");
        let latest = state == "latest";
        let absent = matches!(state, "absent" | "removed");
        let update = args.bool("update_cache", false);
        if specs.is_empty() && !update {
            return Ok(ModuleResult::failed("missing required arguments: name"));
        }
        let out = ctx.remote.sh(&query_script(&specs, latest)).await?;
        let Some((age, pkgs)) = parse_query(&out.stdout_str()) else {
            return Ok(ModuleResult::failed(
                "apt-get not found on the host (is it a Debian-family system?)",
            ));
        };
        let refresh = update && args.int("cache_valid_time").is_none_or(|valid| age > valid);
        let dpkg: String = args
            .str("dpkg_options")
            .unwrap_or("")
            .split(',')
            .filter(|o| !o.trim().is_empty())
            .map(|o| format!(" -o Dpkg::Options::=--{}", o.trim()))
            .collect();
        let mut opts = format!(" -y -q{dpkg}");
        if args.bool("force", false) {
            opts.push_str(" --force-yes --allow-unauthenticated --allow-downgrades");
        }
        if args.get("install_recommends").is_some() {
            opts.push_str(if args.bool("install_recommends", true) {
                " --install-recommends"
            } else {
                " --no-install-recommends"
            });
        }
        if let Some(rel) = args.str("default_release") {
            opts.push_str(&format!(" -t {}", shell_quote(rel)));
        }
        let mut cmds = Vec::new();
        let mut changed = false;
        if refresh {
            cmds.push(format!("{ENV} apt-get update -q"));
        }
        if absent {
            let rm: Vec<String> = pkgs
                .iter()
                .filter(|p| p.installed.is_some())
                .map(|p| shell_quote(&p.name))
                .collect();
            if !rm.is_empty() {
                changed = true;
                let purge = if args.bool("purge", false) {
                    " --purge"
                } else {
                    ""
                };
                cmds.push(format!(
                    "{ENV} apt-get{opts}{purge} remove {}",
                    rm.join(" ")
                ));
            }
        } else {
            let debs: Vec<String> = pkgs
                .iter()
                .filter(|p| p.spec.ends_with(".deb") && needs_install(p, false))
                .map(|p| shell_quote(&p.spec))
                .collect();
            let mut inst: Vec<String> = pkgs
                .iter()
                .filter(|p| !p.spec.ends_with(".deb") && needs_install(p, latest))
                .map(|p| shell_quote(&p.spec))
                .collect();
            // Not in the cache before an update: the update may bring the candidate.
            if latest && refresh {
                for p in &pkgs {
                    let q = shell_quote(&p.spec);
                    if !p.spec.ends_with(".deb") && p.installed.is_some() && !inst.contains(&q) {
                        inst.push(q);
                    }
                }
            }
            if !debs.is_empty() {
                changed = true;
                cmds.push(format!("{ENV} dpkg -i {}", debs.join(" ")));
            }
            if !inst.is_empty() {
                changed = pkgs
                    .iter()
                    .any(|p| !p.spec.ends_with(".deb") && needs_install(p, latest))
                    || changed;
                cmds.push(format!("{ENV} apt-get{opts} install {}", inst.join(" ")));
            }
        }
        if ctx.check_mode {
            return Ok(ModuleResult::changed(changed));
        }
        if cmds.is_empty() {
            return Ok(ModuleResult::ok());
        }
        // The packages' versions after the run tell whether anything changed (an update may
        // bring nothing new for `latest`); a cache refresh alone is not a change, as in 1.2.
        let after = query_script(&specs, false);
        let script = format!(
            "{{ {}; }} || exit $?; echo '--FLOCK-AFTER--'; {after}",
            cmds.join(" && ")
        );
        let run = ctx.remote.sh(&script).await?;
        let stdout = run.stdout_str();
        let stderr = run.stderr_str();
        if run.rc != 0 {
            let msg = if stderr.trim().is_empty() {
                stdout.trim().to_string()
            } else {
                stderr.trim().to_string()
            };
            return Ok(ModuleResult::failed(msg)
                .with("rc", run.rc)
                .with("stdout", stdout)
                .with("stderr", stderr));
        }
        let (shown, tail) = stdout
            .split_once("--FLOCK-AFTER--")
            .unwrap_or((stdout.as_str(), ""));
        if let Some((_, now)) = parse_query(tail) {
            changed = now
                .iter()
                .zip(&pkgs)
                .any(|(a, b)| a.installed != b.installed);
        }
        let mut res = ModuleResult::changed(changed)
            .with("stdout", shown.to_string())
            .with("stderr", stderr);
        if refresh {
            res.data.insert("cache_updated".into(), true.into());
            if specs.is_empty() {
                res.msg = Some("Cache updated".into());
            }
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_query() {
        let (age, p) =
            parse_query("AGE\t30\nP\tfoo=1.0\tfoo\t1.0\t\t\nP\tbar\tbar\t\t2.0\t2.1\n").unwrap();
        assert_eq!(age, 30);
        assert_eq!(p[0].version.as_deref(), Some("1.0"));
        assert!(needs_install(&p[0], false));
        assert!(!needs_install(&p[1], false));
        assert!(needs_install(&p[1], true));
        assert!(parse_query("NOAPT\n").is_none());
    }

    #[test]
    fn splits_version_pins() {
        assert_eq!(
            split_spec("foo=1.0-1"),
            ("foo".into(), Some("1.0-1".into()))
        );
        assert_eq!(split_spec("foo"), ("foo".into(), None));
    }
}
