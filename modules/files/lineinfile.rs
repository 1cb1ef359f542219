//! `lineinfile`: makes sure a line is in a file (replacing the last line matching `regexp`, or
//! inserting after/before a match, at EOF or BOF), or that matching lines are absent. The edit
//! is computed on the controller from one read of the file (Ansible 1.2's algorithm), then the
//! file is written atomically.

use std::sync::LazyLock;

use async_trait::async_trait;
use regex::Regex;

use super::common::{
    add_path_info, agent_write, apply_then_probe, attrs_differ, attrs_fix_script, attrs_from_args,
    content_diff, parse_backup, parse_probe, probe_and_read, write_script, WriteOptions, PROBE_FN,
    VALIDATE_FAILED,
};
use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `lineinfile` module.
pub struct LineInFile;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("dest", ArgKind::Path)
            .required()
            .aliases(&["name", "destfile", "path"]),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "absent"])
            .default("present"),
        OptSpec::new("regexp", ArgKind::Str).aliases(&["regex"]),
        OptSpec::new("line", ArgKind::Str).aliases(&["value"]),
        OptSpec::new("insertafter", ArgKind::Str),
        OptSpec::new("insertbefore", ArgKind::Str),
        OptSpec::new("backrefs", ArgKind::Bool).default("no"),
        OptSpec::new("create", ArgKind::Bool).default("no"),
        OptSpec::new("backup", ArgKind::Bool).default("no"),
        OptSpec::new("validate", ArgKind::Str),
        OptSpec::new("firstmatch", ArgKind::Bool).default("no"),
    ],
    free_form: false,
    file_common: true,
});

/// Compiles a Python `re` pattern with the `regex` crate (same syntax for what playbooks use;
/// Python's escaped space `\ ` is accepted).
pub fn python_regex(p: &str, arg: &str) -> Result<Regex, String> {
    Regex::new(p)
        .or_else(|_| Regex::new(&p.replace("\\ ", " ")))
        .map_err(|e| format!("invalid {arg} {p:?}: {e}"))
}

/// Expands Python backreferences (`\1`, `\g<1>`, `\g<name>`, `\\`, `\n`, `\t`) in `template`.
pub fn expand_python(caps: &regex::Captures<'_>, template: &str) -> String {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some(d) if d.is_ascii_digit() => {
                let mut num = String::new();
                while let Some(d) = chars.peek().copied().filter(|d| d.is_ascii_digit()) {
                    if num.len() == 2 {
                        break;
                    }
                    num.push(d);
                    chars.next();
                }
                let i: usize = num.parse().unwrap_or(0);
                out.push_str(caps.get(i).map(|m| m.as_str()).unwrap_or(""));
            }
            Some('g') => {
                chars.next();
                if chars.peek() == Some(&'<') {
                    chars.next();
                    let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
                    let m = match name.parse::<usize>() {
                        Ok(i) => caps.get(i),
                        Err(_) => caps.name(&name),
                    };
                    out.push_str(m.map(|m| m.as_str()).unwrap_or(""));
                } else {
                    out.push_str("\\g");
                }
            }
            Some('n') => {
                chars.next();
                out.push('\n');
            }
            Some('t') => {
                chars.next();
                out.push('\t');
            }
            Some('\\') => {
                chars.next();
                out.push('\\');
            }
            _ => out.push('\\'),
        }
    }
    out
}

/// The outcome of an edit.
#[derive(Debug, PartialEq, Eq)]
pub struct Edit {
    /// The new content.
    pub content: String,
    /// Ansible's message (`line added`, `line replaced`, `N line(s) removed`, or empty).
    pub msg: String,
    /// Lines removed (`state=absent`).
    pub found: usize,
}

/// Ansible 1.2's `present()`: the last line matching `regexp` is replaced; otherwise the line
/// goes after the last `insertafter` match / before the last `insertbefore` match, at BOF, or at
/// EOF (the default, also when the insert pattern matches nothing). Without `regexp` a line
/// equal to `line` counts as the match (modern Ansible).
pub fn edit_present(
    content: &str,
    regexp: Option<&Regex>,
    line: &str,
    insertafter: Option<&str>,
    insertbefore: Option<&str>,
    backrefs: bool,
) -> Result<Edit, String> {
    let mut lines: Vec<String> = content.split_inclusive('\n').map(str::to_string).collect();
    let (after, before) = match (insertafter, insertbefore) {
        (None, None) => (Some("EOF"), None),
        other => other,
    };
    let insre = match (after, before) {
        (Some(a), _) if a != "BOF" && a != "EOF" => Some(python_regex(a, "insertafter")?),
        (None, Some(b)) if b != "BOF" => Some(python_regex(b, "insertbefore")?),
        _ => None,
    };
    let mut index = (None::<usize>, None::<usize>);
    let mut new_line = line.to_string();
    for (no, cur) in lines.iter().enumerate() {
        let text = cur.strip_suffix('\n').unwrap_or(cur);
        let matched = match regexp {
            Some(re) => match re.captures(text) {
                Some(c) => {
                    if backrefs {
                        new_line = expand_python(&c, line);
                    }
                    true
                }
                None => false,
            },
            None => text == line,
        };
        if matched {
            index.0 = Some(no);
        } else if let Some(ins) = &insre {
            if ins.is_match(text) {
                index.1 = Some(if after.is_some() { no + 1 } else { no });
            }
        }
    }
    let with_nl = format!("{new_line}\n");
    let mut msg = String::new();
    if let Some(i) = index.0 {
        if lines[i] != with_nl {
            lines[i] = with_nl;
            msg = "line replaced".into();
        }
    } else if backrefs {
        // Nothing: the line cannot be built without a match.
    } else if before == Some("BOF") || after == Some("BOF") {
        lines.insert(0, with_nl);
        msg = "line added".into();
    } else if after == Some("EOF") {
        if let Some(last) = lines.last_mut() {
            if !last.ends_with('\n') {
                last.push('\n');
            }
        }
        lines.push(with_nl);
        msg = "line added".into();
    } else if let Some(i) = index.1 {
        lines.insert(i, with_nl);
        msg = "line added".into();
    }
    Ok(Edit {
        content: lines.concat(),
        msg,
        found: 0,
    })
}

/// Ansible's `absent()`: removes every line matching `regexp` (or equal to `line`).
pub fn edit_absent(content: &str, regexp: Option<&Regex>, line: Option<&str>) -> Edit {
    let mut found = 0;
    let kept: Vec<&str> = content
        .split_inclusive('\n')
        .filter(|cur| {
            let text = cur.strip_suffix('\n').unwrap_or(cur);
            let m = match regexp {
                Some(re) => re.is_match(text),
                None => Some(text) == line,
            };
            if m {
                found += 1;
            }
            !m
        })
        .collect();
    Edit {
        content: kept.concat(),
        msg: if found > 0 {
            format!("{found} line(s) removed")
        } else {
            String::new()
        },
        found,
    }
}

#[async_trait]
impl Module for LineInFile {
    fn name(&self) -> &'static str {
        "lineinfile"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let dest = args.str("dest").unwrap_or_default().to_string();
        let present = args.str("state") != Some("absent");
        let regexp = match args
            .str("regexp")
            .map(|r| python_regex(r, "regexp"))
            .transpose()
        {
            Ok(r) => r,
            Err(e) => return Ok(ModuleResult::failed(e)),
        };
        let line = args.str("line");
        if args.get("insertafter").is_some() && args.get("insertbefore").is_some() {
            return Ok(ModuleResult::failed(
                "parameters are mutually exclusive: insertbefore|insertafter",
            ));
        }
        if present && line.is_none() {
            return Ok(ModuleResult::failed("line= is required with state=present"));
        }
        if !present && regexp.is_none() && line.is_none() {
            return Ok(ModuleResult::failed(
                "one of line= or regexp= is required with state=absent",
            ));
        }
        let (info, content) = probe_and_read(ctx, &dest).await?;
        if info.as_ref().is_some_and(|i| i.kind == "directory") {
            return Ok(
                ModuleResult::failed(format!("Destination {dest} is a directory !"))
                    .with("rc", 256),
            );
        }
        let old = String::from_utf8_lossy(content.as_deref().unwrap_or_default()).into_owned();
        let exists = info.is_some();
        let edit = if present {
            if !exists && !args.bool("create", false) {
                return Ok(
                    ModuleResult::failed(format!("Destination {dest} does not exist !"))
                        .with("rc", 257),
                );
            }
            match edit_present(
                &old,
                regexp.as_ref(),
                line.unwrap_or_default(),
                args.str("insertafter"),
                args.str("insertbefore"),
                args.bool("backrefs", false),
            ) {
                Ok(e) => e,
                Err(e) => return Ok(ModuleResult::failed(e)),
            }
        } else {
            if !exists {
                return Ok(ModuleResult::ok()
                    .with("found", 0)
                    .with("msg", "file not present"));
            }
            edit_absent(&old, regexp.as_ref(), line)
        };
        let attrs = attrs_from_args(args);
        let content_changed = edit.content != old || (!exists && present && !edit.msg.is_empty());
        let mut res = ModuleResult::changed(content_changed);
        let mut msg = edit.msg.clone();
        if !present {
            res.data.insert("found".into(), edit.found.into());
        }
        if content_changed {
            if ctx.diff_mode {
                if let Some(d) = content_diff(&dest, old.as_bytes(), edit.content.as_bytes()) {
                    res.diffs.push(d);
                }
            }
            if ctx.check_mode {
                res.msg = Some(msg);
                add_path_info(&mut res, "dest", &dest, info.as_ref());
                return Ok(res);
            }
            let opts = WriteOptions {
                backup: args.bool("backup", false),
                validate: args.str("validate").map(str::to_string),
                new_mode: Some(ctx.new_file_mode()),
            };
            if let Some(done) = agent_write(
                ctx,
                &dest,
                crate::connection::WriteSource::Bytes(edit.content.as_bytes()),
                &attrs,
                &opts,
                true,
                false,
            )
            .await?
            {
                match done {
                    Ok(after) => add_path_info(&mut res, "dest", &dest, after.as_ref()),
                    Err(e) => {
                        return Ok(ModuleResult::failed(format!("failed to write {dest}: {e}")))
                    }
                }
                res.msg = Some(msg);
                return Ok(res);
            }
            let q = shell_quote(&dest);
            let script = format!(
                "{PROBE_FN}( set -e; mkdir -p -- \"$(dirname -- {q})\"; {}\n); rc=$?; [ $rc -eq 0 ] || exit $rc; flock_probe {q}",
                write_script(&dest, &attrs, &opts)
            );
            let out = ctx
                .remote
                .sh_stdin(&script, edit.content.as_bytes())
                .await?;
            if out.rc != 0 {
                let err = out.stderr_str();
                let m = if out.rc == VALIDATE_FAILED {
                    format!("failed to validate: {}", err.trim())
                } else {
                    format!("failed to write {dest}: {}", err.trim())
                };
                return Ok(ModuleResult::failed(m));
            }
            let stdout = out.stdout_str();
            if let Some(b) = parse_backup(&stdout) {
                res.data.insert("backup".into(), b.into());
            }
            add_path_info(&mut res, "dest", &dest, parse_probe(&stdout).as_ref());
        } else if let Some(i) = &info {
            let (o, g, m) = attrs_differ(i, &attrs);
            if o || g || m {
                res.changed = true;
                if !msg.is_empty() {
                    msg.push_str(" and ");
                }
                msg.push_str("ownership, perms or SE linux context changed");
                if !ctx.check_mode {
                    match apply_then_probe(ctx, &attrs_fix_script(&dest, i, &attrs), &dest, None)
                        .await?
                    {
                        Ok(after) => add_path_info(&mut res, "dest", &dest, after.as_ref()),
                        Err(e) => return Ok(ModuleResult::failed(e)),
                    }
                }
            } else {
                add_path_info(&mut res, "dest", &dest, info.as_ref());
            }
        }
        res.msg = Some(msg);
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(s: &str) -> Regex {
        python_regex(s, "regexp").unwrap()
    }

    #[test]
    fn present_follows_ansible_12() {
        // Replace the last match.
        let e = edit_present(
            "a=1\nb=2\na=3\n",
            Some(&re("^a=")),
            "a=9",
            None,
            None,
            false,
        )
        .unwrap();
        assert_eq!(e.content, "a=1\nb=2\na=9\n");
        assert_eq!(e.msg, "line replaced");
        // Already there: nothing.
        let e = edit_present("a=9\n", Some(&re("^a=")), "a=9", None, None, false).unwrap();
        assert_eq!((e.content.as_str(), e.msg.as_str()), ("a=9\n", ""));
        // Insert after the last insertafter match; BOF; EOF on a file without final newline.
        let e = edit_present(
            "x\n[s]\ny\n[s]\nz\n",
            Some(&re("^k=")),
            "k=v",
            Some("^\\[s\\]"),
            None,
            false,
        )
        .unwrap();
        assert_eq!(e.content, "x\n[s]\ny\n[s]\nk=v\nz\n");
        let e = edit_present("x\n", Some(&re("^k=")), "k=v", None, Some("BOF"), false).unwrap();
        assert_eq!(e.content, "k=v\nx\n");
        let e = edit_present("x", Some(&re("^k=")), "k=v", None, None, false).unwrap();
        assert_eq!(e.content, "x\nk=v\n");
        let e = edit_present("x\ny\n", Some(&re("^k=")), "k=v", None, Some("^y"), false).unwrap();
        assert_eq!(e.content, "x\nk=v\ny\n");
        // insertafter not matching: nothing, as 1.2 did.
        let e = edit_present(
            "x\n",
            Some(&re("^k=")),
            "k=v",
            Some("^nomatch"),
            None,
            false,
        )
        .unwrap();
        assert_eq!((e.content.as_str(), e.msg.as_str()), ("x\n", ""));
        // Backrefs: expansion; no match means no change.
        let e = edit_present(
            "# chkconfig: 2345 10 90\n",
            Some(&re("^#\\ chkconfig: (\\d+) (\\d+)")),
            "# chkconfig: \\1 \\g<2>5",
            None,
            None,
            true,
        )
        .unwrap();
        assert_eq!(e.content, "# chkconfig: 2345 105\n");
        let e = edit_present("x\n", Some(&re("^(y)")), "\\1", None, None, true).unwrap();
        assert_eq!((e.content.as_str(), e.msg.as_str()), ("x\n", ""));
    }

    #[test]
    fn absent_removes_all_matches() {
        let e = edit_absent("a\nb\na1\n", Some(&re("^a")), None);
        assert_eq!((e.content.as_str(), e.found), ("b\n", 2));
        assert_eq!(e.msg, "2 line(s) removed");
        let e = edit_absent("a\nb\n", None, Some("b"));
        assert_eq!(e.content, "a\n");
    }
}
