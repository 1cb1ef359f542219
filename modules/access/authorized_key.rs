//! `authorized_key`: SSH public keys in a user's `~/.ssh/authorized_keys` (or `path=`). One exec
//! finds the user's home and reads the file; keys are compared by type and blob; the file is
//! rewritten atomically, owned by the user, mode 0600, with `~/.ssh` made (0700) when
//! `manage_dir=yes`. The key may hold several lines (a `$FILE()`/`lookup('file')` of a .pub).

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::files::common::{content_diff, write_script, WriteOptions};
use crate::modules::{
    ArgKind, ArgSpec, FileAttrs, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult,
    OptSpec,
};

/// The `authorized_key` module.
pub struct AuthorizedKey;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("user", ArgKind::Str).required(),
        OptSpec::new("key", ArgKind::Str).required(),
        OptSpec::new("path", ArgKind::Path),
        OptSpec::new("manage_dir", ArgKind::Bool).default("yes"),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "absent"])
            .default("present"),
        OptSpec::new("key_options", ArgKind::Str),
        OptSpec::new("exclusive", ArgKind::Bool).default("no"),
        OptSpec::new("validate_certs", ArgKind::Bool),
        OptSpec::new("comment", ArgKind::Str),
        OptSpec::new("follow", ArgKind::Bool),
    ],
    free_form: false,
    file_common: false,
});

/// One parsed `authorized_keys` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyLine {
    /// Options before the key type (`from="…",command="…"`), if any.
    pub options: Option<String>,
    /// Key type (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …).
    pub kind: String,
    /// The Base64 blob.
    pub blob: String,
    /// The comment, if any.
    pub comment: Option<String>,
}

fn is_key_type(t: &str) -> bool {
    t.starts_with("ssh-")
        || t.starts_with("ecdsa-sha2-")
        || t.starts_with("sk-")
        || t.contains("@openssh.com")
}

/// Parses a key line; `None` for blank lines, comments and garbage.
pub fn parse_key(line: &str) -> Option<KeyLine> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (options, rest) = if is_key_type(line.split_whitespace().next()?) {
        (None, line)
    } else {
        // Options end at the first whitespace outside double quotes.
        let mut in_q = false;
        let mut end = line.len();
        for (i, c) in line.char_indices() {
            match c {
                '"' => in_q = !in_q,
                c if c.is_whitespace() && !in_q => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        (Some(line[..end].to_string()), line[end..].trim_start())
    };
    let mut parts = rest.splitn(3, char::is_whitespace);
    let kind = parts.next()?.to_string();
    let blob = parts.next()?.trim().to_string();
    if !is_key_type(&kind) || blob.is_empty() {
        return None;
    }
    let comment = parts
        .next()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    Some(KeyLine {
        options,
        kind,
        blob,
        comment,
    })
}

impl KeyLine {
    fn render(&self) -> String {
        let mut s = String::new();
        if let Some(o) = &self.options {
            s.push_str(o);
            s.push(' ');
        }
        s.push_str(&self.kind);
        s.push(' ');
        s.push_str(&self.blob);
        if let Some(c) = &self.comment {
            s.push(' ');
            s.push_str(c);
        }
        s
    }
}

/// The new file content: `wanted` keys added (or their options updated), or removed.
pub fn edit_keys(old: &str, wanted: &[KeyLine], present: bool, exclusive: bool) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut seen = vec![false; wanted.len()];
    for line in old.lines() {
        match parse_key(line) {
            Some(k) => match wanted
                .iter()
                .position(|w| w.kind == k.kind && w.blob == k.blob)
            {
                Some(i) if present => {
                    if !seen[i] {
                        seen[i] = true;
                        let w = &wanted[i];
                        if w.options.is_some() && w.options != k.options {
                            out.push(w.render());
                        } else {
                            out.push(line.to_string());
                        }
                    }
                }
                Some(_) => {}
                None if present && exclusive => {}
                None => out.push(line.to_string()),
            },
            None => {
                if !(present && exclusive) || line.trim().is_empty() {
                    out.push(line.to_string());
                }
            }
        }
    }
    if present {
        for (w, s) in wanted.iter().zip(seen) {
            if !s {
                out.push(w.render());
            }
        }
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    if out.is_empty() {
        String::new()
    } else {
        out.join("\n") + "\n"
    }
}

#[async_trait]
impl Module for AuthorizedKey {
    fn name(&self) -> &'static str {
        "authorized_key"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let user = args.str("user").unwrap_or_default().to_string();
        let present = args.str("state") != Some("absent");
        let key_text = args.str("key").unwrap_or_default().to_string();
        let mut wanted: Vec<KeyLine> = Vec::new();
        for l in key_text.lines().filter(|l| !l.trim().is_empty()) {
            match parse_key(l) {
                Some(mut k) => {
                    if let Some(o) = args.str("key_options") {
                        k.options = Some(o.to_string());
                    }
                    if let Some(c) = args.str("comment") {
                        k.comment = Some(c.to_string());
                    }
                    wanted.push(k);
                }
                None => return Ok(ModuleResult::failed(format!("invalid key specified: {l}"))),
            }
        }
        if wanted.is_empty() {
            return Ok(ModuleResult::failed("invalid key specified: (empty)"));
        }
        let u = shell_quote(&user);
        let file_expr = match args.str("path") {
            Some(p) => shell_quote(p),
            None => "\"$h/.ssh/authorized_keys\"".to_string(),
        };
        let script = format!(
            "p=$(getent passwd {u}) || {{ echo NOUSER; exit 0; }}; h=$(printf %s \"$p\" | cut -d: -f6); \
             g=$(printf %s \"$p\" | cut -d: -f4); f={file_expr}; d=$(dirname -- \"$f\"); \
             printf 'G:%s\\n' \"$g\"; printf 'F:%s\\n' \"$f\"; [ -d \"$d\" ] && echo DIR; \
             if [ -f \"$f\" ]; then printf '\\n--FLOCK-CONTENT--\\n'; cat -- \"$f\"; fi"
        );
        let out = ctx.remote.sh(&script).await?;
        let stdout = out.stdout_str();
        let (head, old) = match stdout.find("\n--FLOCK-CONTENT--\n") {
            Some(i) => (
                &stdout[..i],
                Some(&stdout[i + "\n--FLOCK-CONTENT--\n".len()..]),
            ),
            None => (stdout.as_str(), None),
        };
        if head.lines().any(|l| l == "NOUSER") {
            return Ok(ModuleResult::failed(format!(
                "Failed to lookup user {user}: no such user"
            )));
        }
        let gid = head
            .lines()
            .find_map(|l| l.strip_prefix("G:"))
            .unwrap_or("")
            .to_string();
        let file = head
            .lines()
            .find_map(|l| l.strip_prefix("F:"))
            .unwrap_or("")
            .to_string();
        let dir_exists = head.lines().any(|l| l == "DIR");
        let old = old.unwrap_or("");
        let new = edit_keys(old, &wanted, present, args.bool("exclusive", false));
        let changed = new != old;
        let mut res = ModuleResult::changed(changed)
            .with("user", user.clone())
            .with("key", key_text)
            .with("state", if present { "present" } else { "absent" })
            .with("path", file.clone())
            .with("manage_dir", args.bool("manage_dir", true))
            .with("exclusive", args.bool("exclusive", false));
        if let Some(o) = args.str("key_options") {
            res.data.insert("key_options".into(), o.into());
        }
        if !changed {
            return Ok(res);
        }
        if ctx.diff_mode {
            if let Some(d) = content_diff(&file, old.as_bytes(), new.as_bytes()) {
                res.diffs.push(d);
            }
        }
        if ctx.check_mode {
            return Ok(res);
        }
        let mut script = String::from("set -e; ");
        if !dir_exists {
            if !args.bool("manage_dir", true) {
                return Ok(ModuleResult::failed(format!(
                    "directory of {file} does not exist and manage_dir=no"
                )));
            }
            let d = shell_quote(
                &std::path::Path::new(&file)
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            );
            script.push_str(&format!(
                "mkdir -p -m 0700 -- {d}; chown {u}:{} -- {d}; ",
                shell_quote(&gid)
            ));
        }
        let attrs = FileAttrs {
            owner: Some(user.clone()),
            group: Some(gid),
            mode: Some(0o600),
        };
        script.push_str(&write_script(&file, &attrs, &WriteOptions::default()));
        let out = ctx.remote.sh_stdin(&script, new.as_bytes()).await?;
        if out.rc != 0 {
            return Ok(ModuleResult::failed(format!(
                "failed to write {file}: {}",
                out.stderr_str().trim()
            )));
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1 a@x";
    const B: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ b@y";

    #[test]
    fn parses_options_and_comments() {
        let k = parse_key("from=\"10.0.0.1,host b\",no-pty ssh-rsa AAAA c d").unwrap();
        assert_eq!(
            k.options.as_deref(),
            Some("from=\"10.0.0.1,host b\",no-pty")
        );
        assert_eq!(k.comment.as_deref(), Some("c d"));
        assert!(parse_key("# comment").is_none());
        assert!(parse_key("garbage").is_none());
    }

    #[test]
    fn edits_keep_other_keys() {
        let a = [parse_key(A).unwrap()];
        assert_eq!(edit_keys("", &a, true, false), format!("{A}\n"));
        let old = format!("{B}\n");
        assert_eq!(edit_keys(&old, &a, true, false), format!("{B}\n{A}\n"));
        let both = format!("{B}\n{A}\n");
        assert_eq!(edit_keys(&both, &a, true, false), both);
        assert_eq!(edit_keys(&both, &a, false, false), format!("{B}\n"));
        assert_eq!(edit_keys(&both, &a, true, true), format!("{A}\n"));
    }
}
