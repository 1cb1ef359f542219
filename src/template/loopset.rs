//! Jinja2 2.7 scoping of `{% set %}` inside `{% for %}` on top of minijinja.
//!
//! In Jinja2 2.7 a variable assigned inside a loop body keeps its value into the following
//! iterations and is dropped when the loop ends; minijinja (like Jinja2 ≥ 2.9) starts every
//! iteration afresh. The corpus relies on 2.7 (separator idioms with `{% set first = 0 %}`), so
//! such names are rewritten to attributes of a `namespace()` created just before the loop and
//! seeded with the outer value: `{% set ns = namespace(x=x) %}{% for … %}…{{ ns.x }}…`.

use std::borrow::Cow;

#[derive(Clone, Copy, PartialEq, Eq)]
enum TagKind {
    Block,
    Var,
}

struct Tag {
    kind: TagKind,
    /// Byte range of the tag's expression text (inside delimiters and `-`/`+` markers).
    inner: (usize, usize),
    /// Byte offset where the tag starts (`{`).
    start: usize,
}

/// Scan the template's `{{ }}` and `{% %}` tags (comments and raw blocks skipped).
fn scan(src: &str) -> Vec<Tag> {
    let b = src.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    let mut in_raw = false;
    while i + 1 < b.len() {
        if b[i] != b'{' || !matches!(b[i + 1], b'{' | b'%' | b'#') {
            i += 1;
            continue;
        }
        let open = b[i + 1];
        if open == b'#' {
            match src[i + 2..].find("#}") {
                Some(p) => i = i + 2 + p + 2,
                None => break,
            }
            continue;
        }
        let close: &[u8] = if open == b'{' { b"}}" } else { b"%}" };
        let mut j = i + 2;
        let mut quote: Option<u8> = None;
        let mut end = None;
        while j < b.len() {
            let c = b[j];
            if let Some(q) = quote {
                if c == b'\\' {
                    j += 2;
                    continue;
                }
                if c == q {
                    quote = None;
                }
            } else if c == b'\'' || c == b'"' {
                quote = Some(c);
            } else if b[j..].starts_with(close) {
                end = Some(j);
                break;
            }
            j += 1;
        }
        let Some(end) = end else { break };
        let mut s = i + 2;
        if matches!(b.get(s), Some(b'-' | b'+')) {
            s += 1;
        }
        let mut e = end;
        if e > s && matches!(b[e - 1], b'-' | b'+') {
            e -= 1;
        }
        let kind = if open == b'{' {
            TagKind::Var
        } else {
            TagKind::Block
        };
        let word = first_word(&src[s..e]);
        if in_raw {
            if kind == TagKind::Block && word == "endraw" {
                in_raw = false;
            }
        } else if kind == TagKind::Block && word == "raw" {
            in_raw = true;
        } else {
            tags.push(Tag {
                kind,
                inner: (s, e),
                start: i,
            });
        }
        i = end + 2;
    }
    tags
}

fn first_word(s: &str) -> &str {
    let t = s.trim_start();
    let n = t
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(t.len());
    &t[..n]
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// `set NAME = …` (simple assignment): the name and the byte offset of the expression.
fn simple_set(inner: &str) -> Option<(&str, usize)> {
    let t = inner.trim_start();
    let lead = inner.len() - t.len();
    let rest = t.strip_prefix("set")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let r2 = rest.trim_start();
    let name_off = lead + 3 + (rest.len() - r2.len());
    let n = r2
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(r2.len());
    if n == 0 || !r2.starts_with(is_ident_start) {
        return None;
    }
    let after = r2[n..].trim_start();
    if !after.starts_with('=') || after.starts_with("==") {
        return None;
    }
    let expr_off = inner.len() - after.len() + 1;
    Some((&inner[name_off..name_off + n], expr_off))
}

/// Replace identifiers found in `rename` inside an expression (not attributes, filter or test
/// names, keyword-argument names, or string contents).
fn rename_idents(expr: &str, rename: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(expr.len() + 16);
    let chars: Vec<(usize, char)> = expr.char_indices().collect();
    let mut i = 0;
    let mut prev_sig: Option<char> = None;
    let mut prev_word = String::new();
    while i < chars.len() {
        let (off, c) = chars[i];
        if c == '\'' || c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j].1 != c {
                if chars[j].1 == '\\' {
                    j += 1;
                }
                j += 1;
            }
            let end = chars.get(j + 1).map(|x| x.0).unwrap_or(expr.len());
            out.push_str(&expr[off..end]);
            i = j + 1;
            prev_sig = Some(c);
            prev_word.clear();
            continue;
        }
        if is_ident_start(c) {
            let mut j = i;
            while j < chars.len() && (chars[j].1.is_alphanumeric() || chars[j].1 == '_') {
                j += 1;
            }
            let end = chars.get(j).map(|x| x.0).unwrap_or(expr.len());
            let word = &expr[off..end];
            let next_sig = expr[end..].trim_start();
            let is_kwarg = next_sig.starts_with('=') && !next_sig.starts_with("==");
            let after_is =
                prev_word == "is" || (prev_word == "not" && out.trim_end().ends_with("is not"));
            let skip = matches!(prev_sig, Some('.' | '|')) || is_kwarg || after_is;
            match (skip, rename(word)) {
                (false, Some(r)) => out.push_str(&r),
                _ => out.push_str(word),
            }
            prev_sig = word.chars().last();
            prev_word = word.to_string();
            i = j;
            continue;
        }
        out.push(c);
        if !c.is_whitespace() {
            prev_sig = Some(c);
            prev_word.clear();
        }
        i += 1;
    }
    out
}

struct Frame {
    id: usize,
    names: Vec<String>,
}

/// Rewrite assignments inside loop bodies so they persist across iterations (Jinja2 2.7).
pub(crate) fn rewrite_loop_sets(src: &str) -> Cow<'_, str> {
    if !src.contains("set") || !src.contains("for") {
        return Cow::Borrowed(src);
    }
    let tags = scan(src);
    // Pass 1: the names assigned directly in each loop's body (by for-tag index).
    let mut loop_names: Vec<(usize, Vec<String>)> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    for (ti, tag) in tags.iter().enumerate() {
        if tag.kind != TagKind::Block {
            continue;
        }
        let inner = &src[tag.inner.0..tag.inner.1];
        match first_word(inner) {
            "for" => {
                stack.push(loop_names.len());
                loop_names.push((ti, Vec::new()));
            }
            "endfor" => {
                stack.pop();
            }
            "set" => {
                if let (Some(&top), Some((name, _))) = (stack.last(), simple_set(inner)) {
                    let names = &mut loop_names[top].1;
                    if !names.iter().any(|n| n == name) {
                        names.push(name.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    if loop_names.iter().all(|(_, n)| n.is_empty()) {
        return Cow::Borrowed(src);
    }
    // Pass 2: rewrite tags with the enclosing loops' namespaces.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut next_loop = 0;
    for tag in tags.iter() {
        let inner = &src[tag.inner.0..tag.inner.1];
        let word = if tag.kind == TagKind::Block {
            first_word(inner)
        } else {
            ""
        };
        let rename = |name: &str| -> Option<String> {
            frames
                .iter()
                .rev()
                .find(|f| f.names.iter().any(|n| n == name))
                .map(|f| format!("__fl{}.{name}", f.id))
        };
        let rewritten =
            if let Some((name, expr_off)) = (word == "set").then(|| simple_set(inner)).flatten() {
                let expr = rename_idents(&inner[expr_off..], &rename);
                match rename(name) {
                    Some(target) => Some(format!(" set {target} ={expr}")),
                    None => Some(format!("{}{}", &inner[..expr_off], expr)),
                }
            } else {
                Some(rename_idents(inner, &rename))
            };
        if let Some(new) = rewritten {
            if new != inner {
                edits.push((tag.inner.0, tag.inner.1, new));
            }
        }
        match word {
            "for" => {
                let (_, names) = &loop_names[next_loop];
                let id = next_loop;
                next_loop += 1;
                if !names.is_empty() {
                    let init = names
                        .iter()
                        .map(|n| {
                            let outer = rename(n).unwrap_or_else(|| n.clone());
                            format!("{n}={outer}")
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let open = &src[tag.start..tag.inner.0];
                    let insert = format!("{open} set __fl{id} = namespace({init}) %}}");
                    edits.push((tag.start, tag.start, insert));
                }
                frames.push(Frame {
                    id,
                    names: names.clone(),
                });
            }
            "endfor" => {
                frames.pop();
            }
            _ => {}
        }
    }
    edits.sort_by_key(|e| (e.0, e.1));
    let mut out = String::with_capacity(src.len() + 64 * edits.len());
    let mut pos = 0;
    for (s, e, text) in edits {
        out.push_str(&src[pos..s]);
        out.push_str(&text);
        pos = e;
    }
    out.push_str(&src[pos..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_names_assigned_in_loops() {
        let src = "{% set x = 1 %}{% for i in [1,2,3] %}{{x}}{% set x = x + 1 %}{% endfor %}|{{x}}";
        assert_eq!(
            rewrite_loop_sets(src),
            "{% set x = 1 %}{% set __fl0 = namespace(x=x) %}{% for i in [1,2,3] %}{{__fl0.x}}{% set __fl0.x = __fl0.x + 1 %}{% endfor %}|{{x}}"
        );
        let plain = "{% for h in hostvars %}{{ h }}{% endfor %}";
        assert!(matches!(rewrite_loop_sets(plain), Cow::Borrowed(_)));
        let attrs = "{% for i in l %}{% set x = 1 %}{{ y.x | x(x=x) }}{% endfor %}";
        assert_eq!(
            rewrite_loop_sets(attrs),
            "{% set __fl0 = namespace(x=x) %}{% for i in l %}{% set __fl0.x = 1 %}{{ y.x | x(x=__fl0.x) }}{% endfor %}"
        );
    }
}
