//! `mysql_db`: a database (`state=present|absent`), or a dump/import of it (`target=`, `.gz`
//! and `.bz2` handled), through the host's `mysql`/`mysqldump` clients.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::common::{client_opts, ident, lit, login_options, sql};
use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `mysql_db` module.
pub struct MysqlDb;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| {
    let mut options = vec![
        OptSpec::new("name", ArgKind::Str)
            .required()
            .aliases(&["db"]),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "absent", "dump", "import"])
            .default("present"),
        OptSpec::new("collation", ArgKind::Str),
        OptSpec::new("encoding", ArgKind::Str),
        OptSpec::new("target", ArgKind::Path),
    ];
    options.extend(login_options());
    ArgSpec {
        options,
        free_form: false,
        file_common: false,
    }
});

#[async_trait]
impl Module for MysqlDb {
    fn name(&self) -> &'static str {
        "mysql_db"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let db = args.str("name").unwrap_or_default().to_string();
        let state = args.str("state").unwrap_or("present");
        let q = sql(
            ctx,
            args,
            &format!(
                "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {};",
                lit(&db)
            ),
        )
        .await?;
        if q.rc != 0 {
            return Ok(ModuleResult::failed(format!(
                "unable to connect to database, check login_user and login_password are correct: {}",
                q.stderr
            )));
        }
        let exists = q.stdout.lines().any(|l| l == db);
        let res = |changed: bool| ModuleResult::changed(changed).with("db", db.clone());
        let target = args.str("target").map(str::to_string);
        match state {
            "present" | "absent" => {
                let change = (state == "present") != exists;
                if !change || ctx.check_mode {
                    return Ok(res(change));
                }
                let stmt = if state == "present" {
                    let mut s = format!("CREATE DATABASE {}", ident(&db));
                    if let Some(e) = args.str("encoding").filter(|e| !e.is_empty()) {
                        s.push_str(&format!(" CHARACTER SET {}", ident(e)));
                    }
                    if let Some(c) = args.str("collation").filter(|c| !c.is_empty()) {
                        s.push_str(&format!(" COLLATE {}", ident(c)));
                    }
                    s
                } else {
                    format!("DROP DATABASE {}", ident(&db))
                };
                let out = sql(ctx, args, &format!("{stmt};")).await?;
                if out.rc != 0 {
                    return Ok(ModuleResult::failed(out.stderr).with("db", db));
                }
                Ok(res(true))
            }
            "dump" | "import" => {
                let Some(target) = target else {
                    return Ok(ModuleResult::failed(format!(
                        "with state={state} target is required"
                    )));
                };
                if state == "dump" && !exists {
                    return Ok(ModuleResult::failed(format!(
                        "Database {db} does not exist"
                    )));
                }
                if ctx.check_mode {
                    return Ok(res(true));
                }
                let (env, opts) = client_opts(args);
                let t = shell_quote(&target);
                let (zip, unzip) = if target.ends_with(".gz") {
                    (" | gzip", "gzip -dc")
                } else if target.ends_with(".bz2") {
                    (" | bzip2", "bzip2 -dc")
                } else {
                    ("", "cat")
                };
                let d = shell_quote(&db);
                let script = if state == "dump" {
                    format!(
                        "set -o pipefail 2>/dev/null || true; {env}mysqldump{opts} --quick {d}{zip} > {t}"
                    )
                } else {
                    let create = if exists {
                        String::new()
                    } else {
                        format!(
                            "printf '%s' {} | {env}mysql{opts} && ",
                            shell_quote(&format!("CREATE DATABASE {};", ident(&db)))
                        )
                    };
                    format!("test -r {t} || {{ echo cannot read {t} >&2; exit 1; }}; {create}{unzip} {t} | {env}mysql{opts} {d}")
                };
                let out = ctx
                    .remote
                    .sh(&format!("bash -c {}", shell_quote(&script)))
                    .await?;
                if out.rc != 0 {
                    return Ok(ModuleResult::failed(out.stderr_str().trim().to_string())
                        .with("db", db)
                        .with("rc", out.rc));
                }
                Ok(res(true).with("target", target))
            }
            _ => Ok(ModuleResult::failed(format!("unknown state {state}"))),
        }
    }
}
