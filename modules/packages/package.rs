//! `package`: installs or removes packages with the host's package manager — `yum` on Red Hat
//! family hosts, `apt` on Debian family ones — chosen from the `ansible_pkg_mgr` fact when
//! gathered (or `use=`), else by asking the host which tool it has.

use std::sync::LazyLock;

use async_trait::async_trait;

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
        let mut tool = match args.str("use") {
            Some(u) if u != "auto" => u.to_string(),
            _ => ctx
                .vars
                .get("ansible_pkg_mgr")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        };
        if tool.is_empty() || tool == "unknown" {
            let out = ctx
                .remote
                .sh("for t in yum dnf apt-get; do command -v $t >/dev/null 2>&1 && { echo $t; exit 0; }; done; true")
                .await?;
            tool = out.stdout_str().trim().replace("apt-get", "apt");
        }
        let module: &dyn Module = match tool.as_str() {
            "yum" => &super::yum::YUM,
            "dnf" => &super::yum::DNF,
            "apt" => &super::apt::Apt,
            "" => return Ok(ModuleResult::failed("could not find a package manager (yum, dnf or apt-get) on the host")),
            other => {
                return Ok(ModuleResult::failed(format!(
                    "package manager `{other}` is not supported by flock's package module (yum, dnf, apt)"
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
