//! `package_facts` (`ansible.builtin.package_facts`): the installed packages as the fact
//! `packages` (name → list of `{name, version, arch, …, source}`), read with `dpkg-query`
//! (`apt`: `version`, `arch`, `category`) and `rpm -qa` (`rpm`: `version`, `release`, `epoch`,
//! `arch`), in ansible-core's manager order, `strategy=first` stopping at the first manager with
//! packages. ansible-core reads them through python-apt / python-rpm (and fails without them);
//! flock uses the tools, so apt entries carry no `origin`. Other managers are not supported.

use std::sync::LazyLock;

use async_trait::async_trait;
use serde_json::json;

use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};
use crate::value::{Map, Value};

/// The `package_facts` module.
pub struct PackageFacts;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("manager", ArgKind::List).default("auto"),
        OptSpec::new("strategy", ArgKind::Str)
            .choices(&["first", "all"])
            .default("first"),
    ],
    free_form: false,
    file_common: false,
});

/// ansible-core's manager names (sorted) and aliases, as `auto` expands them.
const NAMES: &[&str] = &[
    "apk",
    "apt",
    "pacman",
    "pkg",
    "pkg_info",
    "portage",
    "rpm",
    "dnf",
    "dnf5",
    "yum",
    "zypper",
    "pkg5",
    "pkgng",
    "openbsd_pkg",
];

/// A manager name with ansible-core's aliases resolved.
fn canonical(m: &str) -> &str {
    match m {
        "dnf" | "dnf5" | "yum" | "zypper" => "rpm",
        "pkg5" | "pkgng" => "pkg",
        "openbsd_pkg" => "pkg_info",
        other => other,
    }
}

/// The listing command of a manager flock reads (`None`: not supported), printing nothing
/// when the manager is not there.
fn list_script(m: &str) -> Option<&'static str> {
    Some(match m {
        "apt" => "{ command -v apt || command -v apt-get || command -v aptitude; } >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1 && echo AVAILABLE && dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Version}|${Architecture}|${Section}\\n'",
        "rpm" => "command -v rpm >/dev/null 2>&1 && echo AVAILABLE && rpm -qa --qf '%{NAME}|%{VERSION}|%{RELEASE}|%{EPOCH}|%{ARCH}\\n'",
        _ => return None,
    })
}

/// The packages of one manager's listing.
pub fn parse(m: &str, text: &str) -> Map {
    let mut out = Map::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('|').collect();
        let pkg = match (m, f.as_slice()) {
            ("apt", [st, name, version, arch, section]) if st.starts_with("ii") => json!({
                "name": name, "version": version, "arch": arch, "category": section,
                "source": "apt"
            }),
            ("rpm", [name, version, release, epoch, arch]) => json!({
                "name": name, "version": version, "release": release,
                "epoch": if *epoch == "(none)" { "None" } else { epoch },
                "arch": arch, "source": "rpm"
            }),
            _ => continue,
        };
        let name = f[if m == "apt" { 1 } else { 0 }].to_string();
        match out.get_mut(&name) {
            Some(Value::Array(a)) => a.push(pkg),
            _ => {
                out.insert(name, Value::Array(vec![pkg]));
            }
        }
    }
    out
}

/// Python's repr of a list of strings.
fn py_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", items.join(", "))
}

#[async_trait]
impl Module for PackageFacts {
    fn name(&self) -> &'static str {
        "package_facts"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let given: Vec<String> = args
            .list("manager")
            .iter()
            .map(|m| m.to_lowercase())
            .collect();
        let mut managers: Vec<String> = given.iter().filter(|m| *m != "auto").cloned().collect();
        let auto = given.iter().any(|m| m == "auto");
        if auto {
            managers.extend(NAMES.iter().map(|s| s.to_string()));
        }
        let unsupported: Vec<&String> = managers
            .iter()
            .filter(|m| !NAMES.contains(&m.as_str()))
            .collect();
        if !unsupported.is_empty() {
            let names: Vec<&str> = unsupported.iter().map(|s| s.as_str()).collect();
            return Ok(ModuleResult::failed(format!(
                "Unsupported package managers requested: {}",
                names.join(", ")
            )));
        }
        let first = args.str("strategy") != Some("all");
        let mut packages = Map::new();
        let mut warnings = Vec::new();
        let mut found = 0;
        let mut seen: Vec<&str> = Vec::new();
        for m in &managers {
            if first && found > 0 {
                break;
            }
            let m = canonical(m);
            if seen.contains(&m) {
                continue;
            }
            seen.push(m);
            let Some(script) = list_script(m) else {
                continue;
            };
            let out = ctx.remote.sh(script).await?;
            let text = out.stdout_str();
            let Some(list) = text.strip_prefix("AVAILABLE\n") else {
                continue;
            };
            let got = parse(m, list);
            if got.is_empty() {
                warnings.push(format!("Found \"{m}\" but no associated packages"));
                continue;
            }
            found += 1;
            for (k, v) in got {
                match (packages.get_mut(&k), v) {
                    (Some(Value::Array(a)), Value::Array(b)) => a.extend(b),
                    (_, v) => {
                        packages.insert(k, v);
                    }
                }
            }
        }
        if found == 0 {
            return Ok(ModuleResult::failed(format!(
                "Could not detect a supported package manager from the following list: {}, or the required Python library is not installed. Check warnings for details.",
                py_list(&managers)
            )));
        }
        let mut facts = Map::new();
        facts.insert("packages".into(), Value::Object(packages));
        let res = ModuleResult::ok().with("ansible_facts", Value::Object(facts));
        Ok(res.with_warnings(warnings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_listings() {
        let m = parse("apt", "ii |bash|5.2-1|amd64|shells\nrc |gone|1|all|x\n");
        assert_eq!(m["bash"][0]["category"], "shells");
        assert!(m.get("gone").is_none());
        let m = parse("rpm", "kernel|5|1|(none)|x86_64\nkernel|6|1|2|x86_64\n");
        assert_eq!(m["kernel"][0]["epoch"], "None");
        assert_eq!(m["kernel"][1]["version"], "6");
    }
}
