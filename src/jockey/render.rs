//! Template rendering for jockey: the original's placeholder substitution (`ROOT_PASSWORD`,
//! `HTTP_LISTEN`, … replaced like its `awk gsub` chain did) and Jinja2 for `*.j2` templates.
//!
//! Jinja2 rendering goes through [`render_jinja`] only, so it can switch to the project's
//! template stage (`crate::template`) once that offers a file-rendering entry point; until then
//! it uses minijinja directly with strict undefined variables.

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

/// Renders a Jinja2 template `text` (from `path`, for errors) with `vars`.
pub fn render_jinja(path: &Path, text: &str, vars: &[(&str, &str)]) -> Result<String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let ctx: std::collections::BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    // Keep the file's final newline, as Ansible's template_from_file does.
    let keep_newline = |mut out: String| {
        if text.ends_with('\n') && !out.ends_with('\n') {
            out.push('\n');
        }
        out
    };
    env.render_str(text, ctx)
        .map(keep_newline)
        .map_err(|e| JockeyError::Template {
            path: path.to_path_buf(),
            msg: match e.line() {
                Some(line) => format!("line {line}: {e}"),
                None => e.to_string(),
            },
        })
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
    fn jinja_strict() {
        let p = Path::new("kickstart.x.j2");
        assert_eq!(
            render_jinja(p, "ip={{ system_addr }}\n", &[("system_addr", "10.1.1.1")]).unwrap(),
            "ip=10.1.1.1\n"
        );
        let e = render_jinja(p, "{{ nope }}", &[]).unwrap_err();
        assert!(e.to_string().starts_with("kickstart.x.j2: line 1:"), "{e}");
    }
}
