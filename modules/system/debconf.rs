//! `debconf` (`ansible.builtin.debconf`): one debconf answer of a package, read with
//! `debconf-show` (passwords with `debconf-get-selections`) and set with
//! `debconf-set-selections` (`-u` for `unseen`), compared as ansible-core does (booleans
//! lowercased, multiselect lists sorted). Result: `current`, and when it changed `previous`;
//! `--diff` shows the answer before and after. Secrets: a `password` answer is not echoed in
//! the diff.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::args::value_text;
use crate::modules::{
    ArgKind, ArgSpec, FileDiff, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult,
    OptSpec,
};
use crate::value::{Map, Value};

/// The `debconf` module.
pub struct Debconf;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::Str)
            .required()
            .aliases(&["pkg"]),
        OptSpec::new("question", ArgKind::Str).aliases(&["selection", "setting"]),
        OptSpec::new("vtype", ArgKind::Str).choices(&[
            "boolean",
            "error",
            "multiselect",
            "note",
            "password",
            "seen",
            "select",
            "string",
            "text",
            "title",
        ]),
        OptSpec::new("value", ArgKind::Raw).aliases(&["answer"]),
        OptSpec::new("unseen", ArgKind::Bool).default("no"),
    ],
    free_form: false,
    file_common: false,
});

/// `debconf-show` output: question → answer.
pub fn parse_show(text: &str) -> Map {
    let mut m = Map::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().trim_start_matches('*').trim();
            m.insert(k.to_string(), Value::String(v.trim().to_string()));
        }
    }
    m
}

/// The password answer in `debconf-get-selections` output (ansible-core's walk).
fn password_value(text: &str, pkg: &str, question: &str, vtype: &str) -> String {
    for line in text.lines().filter(|l| l.starts_with(pkg)) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() <= 3 {
            return String::new();
        }
        if f[1] == question && f[2] == vtype {
            return f[3].to_string();
        }
    }
    String::new()
}

/// ansible-core's `required_together` check.
fn check_args(args: &ModuleArgs) -> Result<(), String> {
    let keys = ["question", "vtype", "value"];
    let given: Vec<bool> = keys.iter().map(|k| args.get(k).is_some()).collect();
    if given.iter().any(|g| *g) && !given.iter().all(|g| *g) {
        return Err(format!(
            "parameters are required together: {}",
            keys.join(", ")
        ));
    }
    Ok(())
}

/// The wanted value as text (a multiselect list joined) and its comparable form.
fn wanted(v: &Value, vtype: &str) -> (String, String) {
    match (v, vtype) {
        (Value::Array(a), "multiselect") => {
            let mut items: Vec<String> = a.iter().map(value_text).collect();
            let text = items.join(", ");
            items.sort();
            (text, items.join(","))
        }
        (v, "boolean") => {
            let t = value_text(v).to_lowercase();
            (t.clone(), t)
        }
        (v, _) => {
            let t = value_text(v);
            (t.clone(), t)
        }
    }
}

#[async_trait]
impl Module for Debconf {
    fn name(&self) -> &'static str {
        "debconf"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        if let Err(m) = check_args(args) {
            return Ok(ModuleResult::failed(m));
        }
        let pkg = args.str("name").unwrap_or_default().to_string();
        let out = ctx
            .remote
            .sh(&format!("debconf-show {}", shell_quote(&pkg)))
            .await?;
        if out.rc != 0 {
            return Ok(ModuleResult::failed(out.stderr_str()));
        }
        let prev = parse_show(&out.stdout_str());
        let (Some(question), Some(vtype), Some(value)) =
            (args.str("question"), args.str("vtype"), args.get("value"))
        else {
            let mut r = ModuleResult::ok().with("current", Value::Object(prev));
            r.msg = Some(String::new());
            return Ok(r);
        };
        let (text, cmp) = wanted(value, vtype);
        let existing = match (prev.get(question), vtype) {
            (None, _) => None,
            (Some(_), "password") => {
                let sel = ctx.remote.sh("debconf-get-selections").await?;
                Some(password_value(&sel.stdout_str(), &pkg, question, vtype))
            }
            (Some(e), "boolean") => Some(value_text(e).to_lowercase()),
            (Some(e), "multiselect") if value.is_array() => {
                let mut items: Vec<String> = value_text(e)
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect();
                items.sort();
                Some(items.join(","))
            }
            (Some(e), _) => Some(value_text(e)),
        };
        if existing.as_deref() == Some(cmp.as_str()) {
            let mut r = ModuleResult::ok().with("current", Value::Object(prev));
            r.msg = Some(String::new());
            return Ok(r);
        }
        let mut msg = String::new();
        if !ctx.check_mode {
            let unseen = if args.bool("unseen", false) {
                " -u"
            } else {
                ""
            };
            let data = format!("{pkg} {question} {vtype} {text}");
            let out = ctx
                .remote
                .sh_stdin(&format!("debconf-set-selections{unseen}"), data.as_bytes())
                .await?;
            if out.rc != 0 {
                return Ok(ModuleResult::failed(out.stderr_str()));
            }
            msg = out.stdout_str();
        }
        let shown = match (value, vtype, ctx.check_mode) {
            (Value::Array(_), "multiselect", true) => value.clone(),
            _ => Value::String(text),
        };
        Ok(changed_result(&prev, question, vtype, &shown, msg))
    }
}

/// The result of a change: `current`, `previous`, and the diff of the two.
fn changed_result(
    prev: &Map,
    question: &str,
    vtype: &str,
    value: &Value,
    msg: String,
) -> ModuleResult {
    let before = prev
        .get(question)
        .cloned()
        .unwrap_or_else(|| Value::String(String::new()));
    let mut curr = Map::new();
    curr.insert(question.to_string(), value.clone());
    let mut previous = Map::new();
    previous.insert(question.to_string(), before.clone());
    let mut r = ModuleResult::changed(true)
        .with("current", Value::Object(curr))
        .with("previous", Value::Object(previous));
    r.msg = Some(msg);
    if vtype != "password" {
        r.diffs.push(FileDiff {
            path: String::new(),
            before: format!("{question}: {}\n", value_text(&before)),
            after: format!("{question}: {}\n", value_text(value)),
        });
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_debconf_show() {
        let m = parse_show("* tzdata/Areas: Europe\n  tzdata/Zones/Etc: UTC\n");
        assert_eq!(m["tzdata/Areas"], "Europe");
        assert_eq!(m["tzdata/Zones/Etc"], "UTC");
        assert_eq!(
            password_value("p\tq\tpassword\tsecret\n", "p", "q", "password"),
            "secret"
        );
    }
}
