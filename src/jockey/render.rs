//! Template rendering for jockey: the original's placeholder substitution (`ROOT_PASSWORD`,
//! `HTTP_LISTEN`, … replaced like its `awk gsub` chain did) and Jinja2 for `*.j2` templates.
//!
//! Jinja2 rendering goes through [`render_jinja`], which uses the project's template stage.

use std::path::Path;

use super::{JockeyError, Result};

/// Replaces every placeholder of `subs` in `text`, left to right in one pass; at one position the
/// first matching placeholder of `subs` wins (so list `ROOT_PASSWORD_PLAIN` before
/// `ROOT_PASSWORD`). Replacement values are inserted literally and never rescanned.
pub fn substitute(text: &str, subs: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    'scan: while !rest.is_empty() {
        // The earliest placeholder occurrence; ties go to the first one listed.
        let mut best: Option<(usize, usize)> = None;
        for (i, (key, _)) in subs.iter().enumerate() {
            if key.is_empty() {
                continue;
            }
            if let Some(pos) = rest.find(key) {
                if best.is_none_or(|(bpos, _)| pos < bpos) {
                    best = Some((pos, i));
                }
            }
        }
        match best {
            Some((pos, i)) => {
                out.push_str(&rest[..pos]);
                out.push_str(subs[i].1);
                rest = &rest[pos + subs[i].0.len()..];
            }
            None => {
                out.push_str(rest);
                break 'scan;
            }
        }
    }
    out
}

/// Renders the Jinja2 template file `path` with `vars` through the project's template stage
/// ([`crate::template::Templar::render_file`]) in modern mode: undefined variables are errors and
/// there is no 1.2 `$var` pass (kickstarts are full of shell `$VARS`).
pub fn render_jinja(path: &Path, vars: &[(&str, &str)]) -> Result<String> {
    use crate::template::{Dialect, Templar, TemplateContext};
    use crate::value::{Map, Value};
    let map: Map = vars
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    let basedir = path.parent().unwrap_or(Path::new("."));
    let mut ctx = TemplateContext::new(&map, basedir, Dialect::Modern, None);
    ctx.strict_undefined = true;
    Templar::new()
        .render_file(path, &ctx)
        .map(|r| r.text)
        .map_err(JockeyError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_listed_first_and_literal() {
        let subs = [
            ("ROOT_PASSWORD_PLAIN", "p&q"),
            ("ROOT_PASSWORD", "$1$s$h"),
            ("GATEWAY", ""),
        ];
        assert_eq!(
            substitute("a ROOT_PASSWORD_PLAIN b ROOT_PASSWORD c GATEWAY.", &subs),
            "a p&q b $1$s$h c ."
        );
        // A value that contains a placeholder is not substituted again.
        assert_eq!(
            substitute("X", &[("X", "GATEWAY"), ("GATEWAY", "no")]),
            "GATEWAY"
        );
    }

    #[test]
    fn jinja_strict_and_no_legacy_pass() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kickstart.x.j2");
        std::fs::write(&p, "ip={{ system_addr }} $HOME ${PATH}\n").unwrap();
        assert_eq!(
            render_jinja(&p, &[("system_addr", "10.1.1.1"), ("HOME", "no")]).unwrap(),
            "ip=10.1.1.1 $HOME ${PATH}\n"
        );
        std::fs::write(&p, "a\n{{ nope }}\n").unwrap();
        let e = render_jinja(&p, &[]).unwrap_err();
        assert!(
            e.to_string().starts_with(&format!("{}:2: ", p.display())),
            "{e}"
        );
    }
}
