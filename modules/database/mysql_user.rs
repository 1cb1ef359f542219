//! `mysql_user`: a MySQL/MariaDB account `'name'@'host'` with its password and privileges
//! (`priv=db.*:ALL/other.t:SELECT,INSERT`, `GRANT` for the grant option), through the host's
//! `mysql` client. One query reads whether the account exists, whether the password matches
//! (`PASSWORD()`) and its grants (`SHOW GRANTS`); `--check` stops there; one more runs the
//! `CREATE USER`/`SET PASSWORD`/`REVOKE`/`GRANT`/`DROP USER` statements needed.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::sync::LazyLock;

use async_trait::async_trait;

use super::common::{ident, lit, login_options, sql};
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `mysql_user` module.
pub struct MysqlUser;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| {
    let mut options = vec![
        OptSpec::new("name", ArgKind::Str)
            .required()
            .aliases(&["user"]),
        OptSpec::new("password", ArgKind::Str).no_log(),
        OptSpec::new("host", ArgKind::Str).default("localhost"),
        OptSpec::new("priv", ArgKind::Str),
        OptSpec::new("append_privs", ArgKind::Bool).default("no"),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "absent"])
            .default("present"),
        OptSpec::new("check_implicit_admin", ArgKind::Bool).default("no"),
    ];
    options.extend(login_options());
    ArgSpec {
        options,
        free_form: false,
        file_common: false,
    }
});

/// Privileges per object (`db.*` → `{SELECT, INSERT}`; `ALL`, and `GRANT` for the grant option).
pub type Privs = BTreeMap<String, BTreeSet<String>>;

fn norm_obj(obj: &str) -> String {
    obj.replace(['`', '"'], "").trim().to_string()
}

fn norm_priv(p: &str) -> String {
    let p = p.trim().to_uppercase();
    if p == "ALL PRIVILEGES" {
        "ALL".into()
    } else {
        p.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// Parses `priv=` (`db.*:ALL/db2.t:SELECT,INSERT`).
pub fn parse_priv(s: &str) -> Result<Privs, String> {
    let mut out = Privs::new();
    for part in s.split('/').filter(|p| !p.trim().is_empty()) {
        let (obj, privs) = part
            .rsplit_once(':')
            .ok_or_else(|| format!("invalid privileges string: {part}"))?;
        if !obj.contains('.') {
            return Err(format!("invalid privileges string: {part}"));
        }
        out.insert(
            norm_obj(obj),
            privs
                .split(',')
                .map(norm_priv)
                .filter(|p| !p.is_empty())
                .collect(),
        );
    }
    Ok(out)
}

/// Parses `SHOW GRANTS` rows (USAGE on `*.*` alone is no privilege).
pub fn parse_grants(rows: &str) -> Privs {
    let re = regex::Regex::new(r"(?i)^GRANT (.+?) ON (.+?) TO .*?( WITH GRANT OPTION)?\s*$")
        .expect("static regex");
    let mut out = Privs::new();
    for row in rows.lines() {
        let Some(c) = re.captures(row.trim()) else {
            continue;
        };
        if c[1].trim_start().to_uppercase().starts_with("PROXY") {
            continue;
        }
        let mut set: BTreeSet<String> = c[1]
            .split(',')
            .map(norm_priv)
            .filter(|p| p != "USAGE")
            .collect();
        if c.get(3).is_some() {
            set.insert("GRANT".into());
        }
        if !set.is_empty() {
            out.entry(norm_obj(&c[2])).or_default().extend(set);
        }
    }
    out
}

fn obj_sql(obj: &str) -> String {
    let (db, tbl) = obj.split_once('.').unwrap_or((obj, "*"));
    let q = |s: &str| if s == "*" { "*".to_string() } else { ident(s) };
    format!("{}.{}", q(db), q(tbl))
}

#[async_trait]
impl Module for MysqlUser {
    fn name(&self) -> &'static str {
        "mysql_user"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let user = args.str("name").unwrap_or_default().to_string();
        let host = args.str("host").unwrap_or("localhost").to_string();
        let present = args.str("state") != Some("absent");
        let password = args.str("password").map(str::to_string);
        let wanted = match args.str("priv").map(parse_priv).transpose() {
            Ok(w) => w,
            Err(e) => return Ok(ModuleResult::failed(e)),
        };
        let acct = format!("{}@{}", lit(&user), lit(&host));
        let pw_test = match &password {
            Some(p) => format!(
                "SELECT IF(COUNT(*) > 0, 'PWOK', 'PWDIFF') FROM mysql.user WHERE User = {u} AND Host = {h} \
                 AND (Password = PASSWORD({p}) OR authentication_string = PASSWORD({p}));",
                u = lit(&user),
                h = lit(&host),
                p = lit(p)
            ),
            None => String::new(),
        };
        let q = sql(
            ctx,
            args,
            &format!(
                "SELECT IF(COUNT(*) > 0, 'EXISTS', 'NONE') FROM mysql.user WHERE User = {} AND Host = {};\n{pw_test}",
                lit(&user),
                lit(&host)
            ),
        )
        .await?;
        if q.rc != 0 {
            return Ok(ModuleResult::failed(format!(
                "unable to connect to database, check login_user and login_password are correct: {}",
                q.stderr
            )));
        }
        let exists = q.stdout.lines().any(|l| l == "EXISTS");
        let pw_ok = !q.stdout.lines().any(|l| l == "PWDIFF");
        let current = if exists {
            let g = sql(ctx, args, &format!("SHOW GRANTS FOR {acct};")).await?;
            parse_grants(&g.stdout)
        } else {
            Privs::new()
        };
        let mut stmts: Vec<String> = Vec::new();
        if !present {
            if exists {
                stmts.push(format!("DROP USER {acct}"));
            }
        } else {
            if !exists {
                match &password {
                    Some(p) => stmts.push(format!("CREATE USER {acct} IDENTIFIED BY {}", lit(p))),
                    None => stmts.push(format!("CREATE USER {acct}")),
                }
            } else if !pw_ok {
                if let Some(p) = &password {
                    stmts.push(format!("SET PASSWORD FOR {acct} = PASSWORD({})", lit(p)));
                }
            }
            if let Some(w) = &wanted {
                let append = args.bool("append_privs", false);
                if !append {
                    for obj in current.keys().filter(|o| !w.contains_key(*o)) {
                        stmts.push(format!(
                            "REVOKE ALL PRIVILEGES ON {} FROM {acct}",
                            obj_sql(obj)
                        ));
                        if current[obj].contains("GRANT") {
                            stmts.push(format!(
                                "REVOKE GRANT OPTION ON {} FROM {acct}",
                                obj_sql(obj)
                            ));
                        }
                    }
                }
                for (obj, privs) in w {
                    let have = current.get(obj);
                    let same = match have {
                        Some(h) if append => privs.is_subset(h),
                        Some(h) => h == privs,
                        None => false,
                    };
                    if same {
                        continue;
                    }
                    if let (Some(h), false) = (have, append) {
                        stmts.push(format!(
                            "REVOKE ALL PRIVILEGES ON {} FROM {acct}",
                            obj_sql(obj)
                        ));
                        if h.contains("GRANT") {
                            stmts.push(format!(
                                "REVOKE GRANT OPTION ON {} FROM {acct}",
                                obj_sql(obj)
                            ));
                        }
                    }
                    let list: Vec<&str> = privs
                        .iter()
                        .map(String::as_str)
                        .filter(|p| *p != "GRANT")
                        .collect();
                    let list = if list.is_empty() {
                        "USAGE".to_string()
                    } else {
                        list.join(", ")
                    };
                    let grant = if privs.contains("GRANT") {
                        " WITH GRANT OPTION"
                    } else {
                        ""
                    };
                    stmts.push(format!("GRANT {list} ON {} TO {acct}{grant}", obj_sql(obj)));
                }
            }
        }
        let res = ModuleResult::changed(!stmts.is_empty()).with("user", user.clone());
        if stmts.is_empty() || ctx.check_mode {
            return Ok(res);
        }
        let script: String = stmts.iter().map(|s| format!("{s};\n")).collect();
        let out = sql(ctx, args, &format!("{script}FLUSH PRIVILEGES;\n")).await?;
        if out.rc != 0 {
            return Ok(ModuleResult::failed(out.stderr).with("user", user));
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_privileges() {
        let want = parse_priv("app.*:ALL/other.t:select,insert,GRANT").unwrap();
        let have = parse_grants(
            "GRANT USAGE ON *.* TO `u`@`localhost` IDENTIFIED BY PASSWORD '*AB'\n\
             GRANT ALL PRIVILEGES ON `app`.* TO `u`@`localhost`\n\
             GRANT SELECT, INSERT ON `other`.`t` TO `u`@`localhost` WITH GRANT OPTION\n",
        );
        assert_eq!(want, have);
        assert!(parse_priv("nodot:ALL").is_err());
    }
}
