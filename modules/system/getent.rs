//! `getent` (`ansible.builtin.getent`): a `getent(1)` database (or one key of it) as the fact
//! `getent_<database>`: each record's first field → the other fields (a list of such lists when
//! the key repeats). `passwd`, `shadow`, `group` and `gshadow` split on `:`, others on
//! whitespace unless `split=` says otherwise. getent's exit codes give ansible-core's messages;
//! with `fail_key=no` a missing key is `null` and the task succeeds. Changes nothing (check mode
//! runs it too).

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};
use crate::value::{Map, Value};

/// The `getent` module.
pub struct Getent;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("database", ArgKind::Str).required(),
        OptSpec::new("key", ArgKind::Str),
        OptSpec::new("service", ArgKind::Str),
        OptSpec::new("split", ArgKind::Str),
        OptSpec::new("fail_key", ArgKind::Bool).default("yes"),
    ],
    free_form: false,
    file_common: false,
});

/// Databases whose records are `:`-separated.
const COLON: &[&str] = &["passwd", "shadow", "group", "gshadow"];

/// Python's `str.split(sep)` (`None`: on runs of whitespace).
fn py_split<'a>(line: &'a str, sep: Option<&str>) -> Vec<&'a str> {
    match sep {
        Some(s) if !s.is_empty() => line.split(s).collect(),
        _ => line.split_whitespace().collect(),
    }
}

/// getent's output as ansible-core's tree: first field → rest (a list of lists when repeated).
pub fn tree(out: &str, sep: Option<&str>) -> Map {
    let mut m = Map::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for line in out.lines() {
        let rec = py_split(line, sep);
        let Some((first, rest)) = rec.split_first() else {
            continue;
        };
        let rest = Value::Array(rest.iter().map(|s| Value::String(s.to_string())).collect());
        let n = seen.entry(first.to_string()).or_insert(0);
        *n += 1;
        match (*n, m.get_mut(*first)) {
            (1, _) | (_, None) => {
                m.insert(first.to_string(), rest);
            }
            (2, Some(v)) => *v = Value::Array(vec![v.clone(), rest]),
            (_, Some(Value::Array(a))) => a.push(rest),
            (_, Some(_)) => {}
        }
    }
    m
}

#[async_trait]
impl Module for Getent {
    fn name(&self) -> &'static str {
        "getent"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let db = args.str("database").unwrap_or_default().to_string();
        let key = args.str("key");
        let mut argv = vec!["getent", db.as_str()];
        argv.extend(key);
        if let Some(s) = args.str("service") {
            argv.extend(["-s", s]);
        }
        let check = "command -v getent >/dev/null 2>&1 || { echo 'Failed to find required executable \"getent\" in paths: /usr/sbin:/usr/bin:/sbin:/bin' >&2; exit 127; }; ";
        let out = ctx
            .remote
            .sh(&format!(
                "{check}{}",
                crate::modules::remote::join_argv(&argv)
            ))
            .await?;
        let sep = args
            .str("split")
            .or(COLON.contains(&db.as_str()).then_some(":"));
        let fact = format!("getent_{db}");
        let wrap = |m: Map| {
            let mut f = Map::new();
            f.insert(fact.clone(), Value::Object(m));
            Value::Object(f)
        };
        let msg = match out.rc {
            0 => {
                return Ok(
                    ModuleResult::ok().with("ansible_facts", wrap(tree(&out.stdout_str(), sep)))
                )
            }
            127 => out.stderr_str().trim().to_string(),
            1 => "Missing arguments, or database unknown.".into(),
            2 => {
                let msg = "One or more supplied key could not be found in the database.";
                if !args.bool("fail_key", true) {
                    let mut m = Map::new();
                    m.insert(key.unwrap_or("").to_string(), Value::Null);
                    let mut r = ModuleResult::ok().with("ansible_facts", wrap(m));
                    r.msg = Some(msg.into());
                    return Ok(r);
                }
                msg.into()
            }
            3 => "Enumeration not supported on this database.".into(),
            _ => "Unexpected failure!".into(),
        };
        Ok(ModuleResult::failed(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_by_first_field() {
        let t = tree("root:x:0:0:root:/root:/bin/sh\n", Some(":"));
        assert_eq!(
            t["root"],
            serde_json::json!(["x", "0", "0", "root", "/root", "/bin/sh"])
        );
        let t = tree("::1 localhost\n::1 ip6-localhost\n::1 x\n", None);
        assert_eq!(
            t["::1"],
            serde_json::json!([["localhost"], ["ip6-localhost"], ["x"]])
        );
    }
}
