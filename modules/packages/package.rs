//! `package`: installs or removes packages with the host's package manager — `yum`/`dnf` on Red
//! Hat family hosts, `apt` on Debian family ones — chosen as ansible-core's action does: `use=`,
//! else the `ansible_package_use` variable, else the `pkg_mgr` fact when gathered, else the
//! fact gathered for this task (`setup` filtered to `ansible_pkg_mgr`), which decides by OS
//! family first (a Debian host with a `dnf` program still uses apt).

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::modules::system::setup::gather_facts;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};
use crate::value::{Map, Value};

/// The `package` module.
pub struct Package;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::List)
            .required()
            .aliases(&["pkg"]),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "installed", "latest", "absent", "removed"])
            .default("present"),
        OptSpec::new("use", ArgKind::Str).default("auto"),
    ],
    free_form: false,
    file_common: false,
});

/// A string variable of the task, or the same key inside `ansible_facts`.
fn var_or_fact<'v>(vars: &'v Map, var: &str, fact: &str) -> Option<&'v str> {
    let direct = vars.get(var).and_then(Value::as_str);
    let in_facts = || match vars.get("ansible_facts") {
        Some(Value::Object(f)) => f.get(fact).and_then(Value::as_str),
        _ => None,
    };
    direct.or_else(in_facts).filter(|s| !s.is_empty())
}

/// The backend module's name (`Err`: the task's failure message), as ansible-core's `package`
/// action picks it.
async fn backend(
    ctx: &ModuleContext<'_>,
    args: &ModuleArgs,
) -> Result<Result<String, String>, ModuleError> {
    if let Some(u) = args.str("use").filter(|u| *u != "auto") {
        return Ok(Ok(u.to_string()));
    }
    if let Some(u) = ctx.vars.get("ansible_package_use").and_then(Value::as_str) {
        return Ok(Ok(u.to_string()));
    }
    if let Some(f) = var_or_fact(ctx.vars, "ansible_pkg_mgr", "pkg_mgr") {
        return Ok(Ok(f.to_string()));
    }
    let facts = match gather_facts(&ctx.remote, "ansible_pkg_mgr").await? {
        Ok(f) => f,
        Err(msg) => {
            return Ok(Err(format!(
                "Failed to fetch ansible_pkg_mgr to determine the package action backend: {msg}"
            )))
        }
    };
    Ok(match facts.get("ansible_pkg_mgr").and_then(Value::as_str) {
        Some(m) => Ok(m.to_string()),
        None => Err("Could not detect a package manager. Try using the \"use\" option.".into()),
    })
}

#[async_trait]
impl Module for Package {
    fn name(&self) -> &'static str {
        "package"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let tool = match backend(ctx, args).await? {
            Ok(t) => t,
            Err(msg) => return Ok(ModuleResult::failed(msg)),
        };
        let module: &dyn Module = match tool.as_str() {
            "yum" => &super::yum::YUM,
            "dnf" => &super::yum::DNF,
            "apt" => &super::apt::Apt,
            other => {
                return Ok(ModuleResult::failed(format!(
                    "Could not find a matching action for the \"{other}\" package manager."
                )))
            }
        };
        let mut given = Map::new();
        given.insert("name".into(), Value::String(args.list("name").join(",")));
        if let Some(s) = args.str("state") {
            given.insert("state".into(), Value::String(s.to_string()));
        }
        let inner = match ModuleArgs::validate(module.spec(), &given, None) {
            Ok(a) => a,
            Err(e) => return Ok(ModuleResult::failed(e.to_string())),
        };
        module.run(ctx, &inner).await
    }
}
