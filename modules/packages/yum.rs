//! `yum` (also `dnf`): install, upgrade or remove RPM packages with the host's `yum`/`dnf`.
//!
//! `name` is a list (`name=a,b,c`, as the 1.2 executor joins `with_items`); each entry is a package
//! name or spec (`foo`, `foo-1.0`, a provide such as `/usr/bin/foo`), a local path or a URL of an
//! `.rpm`. One remote exec finds which are installed (`rpm -q`, `rpm -q --whatprovides`, `rpm -qp`
//! for files) and, for `state=latest`, which have updates (`check-update`); in `--check` mode the
//! module stops there. Otherwise one exec runs `yum -y install|upgrade|remove` on what must
//! change, and fails with the tool's own message (e.g. dnf's `Error: Unable to find a match: x`).

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};
use crate::value::Value;

/// The `yum` module (also registered as `dnf`).
pub struct Yum {
    name: &'static str,
}

/// `yum`.
pub static YUM: Yum = Yum { name: "yum" };
/// `dnf` (same implementation).
pub static DNF: Yum = Yum { name: "dnf" };

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::List).aliases(&["pkg"]),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "installed", "latest", "absent", "removed"])
            .default("present"),
        OptSpec::new("enablerepo", ArgKind::List),
        OptSpec::new("disablerepo", ArgKind::List),
        OptSpec::new("list", ArgKind::Str),
        OptSpec::new("conf_file", ArgKind::Path),
        OptSpec::new("disable_gpg_check", ArgKind::Bool).default("no"),
        OptSpec::new("update_cache", ArgKind::Bool).default("no"),
        OptSpec::new("exclude", ArgKind::List),
    ],
    free_form: false,
    file_common: false,
});

/// What `state` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// installed/present.
    Present,
    /// latest.
    Latest,
    /// removed/absent.
    Absent,
}

impl Want {
    /// Parses Ansible's state names (`None` = present).
    pub fn parse(state: Option<&str>) -> Want {
        match state {
            Some("latest") => Want::Latest,
            Some("absent" | "removed") => Want::Absent,
            _ => Want::Present,
        }
    }
}

/// Whether `spec` names a package file (local `.rpm` path or URL) rather than a package.
pub fn is_file_spec(spec: &str) -> bool {
    spec.ends_with(".rpm") || spec.contains("://")
}

/// The query script: per name one line `I<TAB>spec<TAB>pkgname` or `N<TAB>spec<TAB>pkgname`,
/// then (for `latest`) `U<TAB>rc` from `check-update` of the installed ones.
pub fn query_script(tool_opts: &str, names: &[String], latest: bool) -> String {
    let mut s =
        String::from("Y=$(command -v yum || command -v dnf) || { echo 'NOYUM'; exit 0; }; ");
    s.push_str("inst=''; ");
    for n in names {
        let q = shell_quote(n);
        if is_file_spec(n) {
            s.push_str(&format!(
                "p=$(rpm -qp --nosignature --qf '%{{NAME}}' {q} 2>/dev/null) || p=''; \
                 if [ -n \"$p\" ] && rpm -q \"$p\" >/dev/null 2>&1; then printf 'I\\t%s\\t%s\\n' {q} \"$p\"; \
                 inst=\"$inst $p\"; else printf 'N\\t%s\\t%s\\n' {q} \"$p\"; fi; "
            ));
        } else {
            s.push_str(&format!(
                "if rpm -q {q} >/dev/null 2>&1 || rpm -q --whatprovides {q} >/dev/null 2>&1; then \
                 printf 'I\\t%s\\t%s\\n' {q} {q}; inst=\"$inst \"{q}; else printf 'N\\t%s\\t%s\\n' {q} {q}; fi; "
            ));
        }
    }
    if latest {
        s.push_str(&format!(
            "if [ -n \"$inst\" ]; then \"$Y\" -q{tool_opts} check-update $inst >/dev/null 2>&1; printf 'U\\t%s\\n' $?; fi; "
        ));
    }
    s.push_str("true");
    s
}

/// One name's state as the query found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// As given.
    pub spec: String,
    /// Installed now.
    pub installed: bool,
}

/// Parses [`query_script`]'s output: the names, and whether updates are available (`latest`).
pub fn parse_query(out: &str) -> Option<(Vec<Found>, bool)> {
    if out.lines().any(|l| l == "NOYUM") {
        return None;
    }
    let mut found = Vec::new();
    let mut updates = false;
    for line in out.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["I", spec, ..] => found.push(Found {
                spec: spec.to_string(),
                installed: true,
            }),
            ["N", spec, ..] => found.push(Found {
                spec: spec.to_string(),
                installed: false,
            }),
            ["U", rc] => updates = *rc == "100",
            _ => {}
        }
    }
    Some((found, updates))
}

fn tool_opts(args: &ModuleArgs) -> String {
    let mut o = String::new();
    for r in args.list("disablerepo") {
        o.push_str(&format!(" --disablerepo={}", shell_quote(&r)));
    }
    for r in args.list("enablerepo") {
        o.push_str(&format!(" --enablerepo={}", shell_quote(&r)));
    }
    if let Some(c) = args.str("conf_file") {
        o.push_str(&format!(" -c {}", shell_quote(c)));
    }
    for e in args.list("exclude") {
        o.push_str(&format!(" --exclude={}", shell_quote(&e)));
    }
    o
}

#[async_trait]
impl Module for Yum {
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
        let names: Vec<String> = args
            .list("name")
            .into_iter()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        if let Some(what) = args.str("list") {
            return list(ctx, &tool_opts(args), what).await;
        }
        if names.is_empty() {
            return Ok(ModuleResult::failed("missing required arguments: name"));
        }
        let want = Want::parse(args.str("state"));
        let opts = tool_opts(args);
        let out = ctx
            .remote
            .sh(&query_script(&opts, &names, want == Want::Latest))
            .await?;
        let Some((found, updates)) = parse_query(&out.stdout_str()) else {
            return Ok(ModuleResult::failed(
                "neither yum nor dnf found on the host (is it a Red Hat-family system?)",
            ));
        };
        let missing: Vec<&str> = found
            .iter()
            .filter(|f| !f.installed)
            .map(|f| f.spec.as_str())
            .collect();
        let installed: Vec<&str> = found
            .iter()
            .filter(|f| f.installed && !is_file_spec(&f.spec))
            .map(|f| f.spec.as_str())
            .collect();
        let mut cmds: Vec<String> = Vec::new();
        let gpg = if args.bool("disable_gpg_check", false) {
            " --nogpgcheck"
        } else {
            ""
        };
        let quoted = |v: &[&str]| {
            v.iter()
                .map(|s| shell_quote(s))
                .collect::<Vec<_>>()
                .join(" ")
        };
        match want {
            Want::Present | Want::Latest => {
                if !missing.is_empty() {
                    cmds.push(format!("\"$Y\" -y{opts}{gpg} install {}", quoted(&missing)));
                }
                if want == Want::Latest && updates && !installed.is_empty() {
                    cmds.push(format!(
                        "\"$Y\" -y{opts}{gpg} upgrade {}",
                        quoted(&installed)
                    ));
                }
            }
            Want::Absent => {
                let present: Vec<&str> = found
                    .iter()
                    .filter(|f| f.installed)
                    .map(|f| f.spec.as_str())
                    .collect();
                // A file spec is removed by its package name (from the query line).
                let pkgs: Vec<String> = present
                    .iter()
                    .map(|s| pkg_name_of(&out.stdout_str(), s))
                    .collect();
                if !pkgs.is_empty() {
                    let refs: Vec<&str> = pkgs.iter().map(String::as_str).collect();
                    cmds.push(format!("\"$Y\" -y{opts} remove {}", quoted(&refs)));
                }
            }
        }
        let mut res = ModuleResult::changed(!cmds.is_empty())
            .with("rc", 0)
            .with("results", Value::Array(Vec::new()));
        res.msg = Some(String::new());
        if cmds.is_empty() || ctx.check_mode {
            return Ok(res);
        }
        let script = format!(
            "Y=$(command -v yum || command -v dnf); {}",
            cmds.join(" && ")
        );
        let run = ctx.remote.sh(&script).await?;
        let stdout = run.stdout_str();
        if run.rc != 0 {
            let err = run.stderr_str();
            let msg = if err.trim().is_empty() {
                stdout.trim().to_string()
            } else {
                err.trim().to_string()
            };
            return Ok(ModuleResult::failed(msg)
                .with("rc", run.rc)
                .with("results", Value::Array(vec![Value::String(stdout)])));
        }
        res.data
            .insert("results".into(), Value::Array(vec![Value::String(stdout)]));
        Ok(res)
    }
}

/// The package name the query found for `spec` (the third column), else `spec` itself.
fn pkg_name_of(query_out: &str, spec: &str) -> String {
    query_out
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 3 && f[1] == spec && !f[2].is_empty()).then(|| f[2].to_string())
        })
        .next()
        .unwrap_or_else(|| spec.to_string())
}

/// `list=installed|available|updates|NAME`: the packages, as `results` of `{name, version, …}`.
async fn list(
    ctx: &ModuleContext<'_>,
    opts: &str,
    what: &str,
) -> Result<ModuleResult, ModuleError> {
    let sel = match what {
        "installed" => "--installed".to_string(),
        "available" => "--available".to_string(),
        "updates" => "--upgrades".to_string(),
        other => shell_quote(other),
    };
    let out = ctx
        .remote
        .sh(&format!(
            "Y=$(command -v yum || command -v dnf); \"$Y\" -q{opts} list {sel}"
        ))
        .await?;
    let mut results = Vec::new();
    for line in out.stdout_str().lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 3 || f[0].ends_with(':') {
            continue;
        }
        let (name, arch) = f[0].rsplit_once('.').unwrap_or((f[0], ""));
        let mut m = crate::value::Map::new();
        m.insert("name".into(), Value::String(name.into()));
        m.insert("arch".into(), Value::String(arch.into()));
        let (ver, rel) = f[1].split_once('-').unwrap_or((f[1], ""));
        m.insert("version".into(), Value::String(ver.into()));
        m.insert("release".into(), Value::String(rel.into()));
        m.insert("repo".into(), Value::String(f[2].into()));
        m.insert(
            "yumstate".into(),
            Value::String(
                if f[2].starts_with('@') {
                    "installed"
                } else {
                    "available"
                }
                .into(),
            ),
        );
        results.push(Value::Object(m));
    }
    Ok(ModuleResult::ok().with("results", Value::Array(results)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_query() {
        let (f, u) = parse_query("I\tbash\tbash\nN\t/x/foo.rpm\tfoo\nU\t100\n").unwrap();
        assert_eq!(f.len(), 2);
        assert!(f[0].installed && !f[1].installed);
        assert!(u);
        assert!(parse_query("NOYUM\n").is_none());
        assert_eq!(pkg_name_of("I\t/x/foo.rpm\tfoo\n", "/x/foo.rpm"), "foo");
    }

    #[test]
    fn file_specs() {
        assert!(is_file_spec("/tmp/a-1.0.noarch.rpm"));
        assert!(is_file_spec("http://10.0.0.1/a.rpm"));
        assert!(!is_file_spec("httpd"));
    }
}
