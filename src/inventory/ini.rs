//! Ansible's INI inventory format, read the way Ansible 1.2's `inventory/ini.py` reads it.
//!
//! Hand-written: the `ini` crate (and rust-ini) cannot read this format. Host lines are not
//! `key=value` pairs but `host k=v k2="a b"` (shlex-split), `www[01:03]` ranges contain `:`,
//! section names carry `:vars`/`:children`, order matters and names are case-sensitive.
//!
//! Three passes over the lines, as 1.2 does: hosts and groups, then `[g:children]`, then
//! `[g:vars]`. Values stay strings (1.2 did no type conversion); the modern dialect converts
//! host-line values later (see [`super::Inventory::host_vars_dialect`]).

use std::path::Path;
use std::sync::Arc;

use super::{Inventory, InventoryError};
use crate::error::SourcePos;
use crate::value::Value;

/// Parse INI inventory text; `file` is used for positions.
pub(super) fn parse(text: &str, file: &Path) -> Result<Inventory, InventoryError> {
    let file = Arc::new(file.to_path_buf());
    let mut inv = Inventory::empty_with_ungrouped();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    base_groups(&mut inv, &lines, &file)?;
    group_children(&mut inv, &lines, &file)?;
    group_variables(&mut inv, &lines, &file)?;
    Ok(inv)
}

fn pos(file: &Arc<std::path::PathBuf>, line: usize, col: usize) -> SourcePos {
    SourcePos::new(file.clone(), line + 1, col + 1)
}

fn err(
    file: &Arc<std::path::PathBuf>,
    line: usize,
    col: usize,
    msg: impl Into<String>,
) -> InventoryError {
    InventoryError::Parse {
        pos: pos(file, line, col),
        message: msg.into(),
    }
}

/// Column (0-based) of the first non-blank character.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn base_groups(
    inv: &mut Inventory,
    lines: &[&str],
    file: &Arc<std::path::PathBuf>,
) -> Result<(), InventoryError> {
    let mut active: Option<usize> = Some(inv.group_index("ungrouped").unwrap_or(1));
    for (n, raw) in lines.iter().enumerate() {
        let line = *raw;
        if line.starts_with('[') {
            let header = section_header(line).map_err(|m| err(file, n, 0, m))?;
            let g = inv.ensure_group(header.name);
            active = header.kind.is_none().then_some(g);
            continue;
        }
        // 1.2 skips only lines starting with `#`; a comment after leading blanks would become a
        // host named `#`: we treat it as a comment too.
        if line.trim_start().starts_with('#') {
            continue;
        }
        let Some(group) = active else { continue };
        let content = line.split(" #").next().unwrap_or("");
        let tokens = super::shlex::split(content).map_err(|e| {
            err(
                file,
                n,
                indent(line),
                format!("cannot split host line: {e}"),
            )
        })?;
        let Some(first) = tokens.first() else {
            continue;
        };
        let col = line.find(first.as_str()).unwrap_or(indent(line));
        let (hostname, port) = split_port(first);
        let names = host_names(hostname, first).map_err(|m| err(file, n, col, m))?;
        for hn in names {
            let h = match inv.host_index(&hn) {
                Some(h) => h,
                None => {
                    let h = inv.ensure_host(&hn);
                    if let Some(p) = port.filter(|p| !p.is_empty()) {
                        let num: i64 = p.parse().map_err(|_| {
                            err(file, n, col, format!("invalid port '{p}' for host {hn}"))
                        })?;
                        inv.host_data[h]
                            .vars
                            .insert("ansible_ssh_port".into(), Value::from(num));
                    }
                    h
                }
            };
            inv.host_data[h].ini = true;
            for t in &tokens[1..] {
                if t.starts_with('#') {
                    break;
                }
                // 1.2 splits on every `=` and fails on a value containing one; we split at the
                // first `=` (modern Ansible's reading), so `a=b=c` is `a` = `b=c`.
                let Some((k, v)) = t.split_once('=') else {
                    let c = line.find(t.as_str()).unwrap_or(col);
                    return Err(err(
                        file,
                        n,
                        c,
                        format!("host variable '{t}' is not in key=value form"),
                    ));
                };
                inv.host_data[h]
                    .vars
                    .insert(k.to_string(), Value::String(v.to_string()));
            }
            inv.add_host_to_group(group, h);
        }
    }
    Ok(())
}

/// 1.2's port detection: `host:port`, `db[1:3]:2222`, but not the colon inside a range.
fn split_port(token: &str) -> (&str, Option<&str>) {
    let has = |c: char| token.contains(c);
    let range_and_port = has('[')
        && has(']')
        && has(':')
        && token.rfind(']').unwrap_or(0) < token.rfind(':').unwrap_or(0);
    if range_and_port || (!has(']') && has(':')) {
        if let Some((h, p)) = token.rsplit_once(':') {
            return (h, Some(p));
        }
    }
    (token, None)
}

/// Walk the lines of every `[g:KIND]` section (1.2's second and third passes), calling `body`
/// with the line number, raw line, trimmed line and the section's group (created by pass 1).
fn section_lines(
    lines: &[&str],
    kind: SectionKind,
    inv: &Inventory,
    mut body: impl FnMut(usize, &str, &str, usize) -> Result<(), InventoryError>,
) -> Result<(), InventoryError> {
    let mut group: Option<usize> = None;
    for (n, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            // Pass 1 checked every header and created every section's group.
            group = section_header(line)
                .ok()
                .filter(|h| h.kind == Some(kind))
                .and_then(|h| inv.group_index(h.name));
        } else if let Some(g) = group {
            body(n, raw, line, g)?;
        }
    }
    Ok(())
}

fn group_children(
    inv: &mut Inventory,
    lines: &[&str],
    file: &Arc<std::path::PathBuf>,
) -> Result<(), InventoryError> {
    let mut edges = Vec::new();
    section_lines(lines, SectionKind::Children, inv, |n, raw, line, g| {
        let Some(kid) = inv.group_index(line) else {
            let msg = format!("child group is not defined: ({line})");
            return Err(err(file, n, indent(raw), msg));
        };
        if kid == g {
            let msg = format!("can't add group {line} to itself");
            return Err(err(file, n, indent(raw), msg));
        }
        edges.push((g, kid));
        Ok(())
    })?;
    for (g, kid) in edges {
        inv.add_child_group(g, kid);
    }
    Ok(())
}

fn group_variables(
    inv: &mut Inventory,
    lines: &[&str],
    file: &Arc<std::path::PathBuf>,
) -> Result<(), InventoryError> {
    let mut vars = Vec::new();
    section_lines(lines, SectionKind::Vars, inv, |n, raw, line, g| {
        let Some((k, v)) = line.split_once('=') else {
            let msg = "variables assigned to group must be in key=value form";
            return Err(err(file, n, indent(raw), msg));
        };
        vars.push((g, k.trim().to_string(), v.trim().to_string()));
        Ok(())
    })?;
    for (g, k, raw) in vars {
        let v = Value::String(unquote(&raw).to_string());
        inv.groups[g].vars.insert(k.clone(), v);
        inv.groups[g].ini_raw.insert(k, Value::String(raw));
    }
    Ok(())
}

/// The kind of a `[group:KIND]` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SectionKind {
    /// `[group:vars]`: `key=value` lines.
    Vars,
    /// `[group:children]`: one group name a line.
    Children,
}

/// A checked section header: `[name]`, `[name:vars]` or `[name:children]`.
#[derive(Debug, PartialEq, Eq)]
struct SectionHeader<'a> {
    name: &'a str,
    kind: Option<SectionKind>,
}

/// Read a section header line, refusing what 1.2 silently bent into a group name (`[lab`,
/// `[lab]]`, `[]`, `[a b]`, `[lab:var]`). ansible-core refuses the same lines ("Invalid
/// section entry"); a comment may follow the `]`.
fn section_header(line: &str) -> Result<SectionHeader<'_>, String> {
    let line = line.trim_end();
    let shown = line.trim();
    let Some(close) = line.find(']') else {
        return Err(format!(
            "section header '{shown}' is missing its closing ']'"
        ));
    };
    let inside = &line[1..close];
    let rest = line[close + 1..].trim_start();
    if !rest.is_empty() && !rest.starts_with('#') {
        return Err(format!(
            "unexpected text '{rest}' after the section header '{}'",
            &line[..=close]
        ));
    }
    let (name, kind) = match inside.split_once(':') {
        None => (inside, None),
        Some((name, "vars")) => (name, Some(SectionKind::Vars)),
        Some((name, "children")) => (name, Some(SectionKind::Children)),
        Some((_, other)) => {
            return Err(format!(
                "section '[{inside}]' has unknown type '{other}' (expected vars or children)"
            ))
        }
    };
    if name.is_empty() {
        return Err(format!("section header '{shown}' has no group name"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_whitespace() || "[]:".contains(*c))
    {
        return Err(format!(
            "group name '{name}' in section header '{shown}' contains '{c}'"
        ));
    }
    Ok(SectionHeader { name, kind })
}

/// The host names a host token stands for: a `[begin:end]` range expands; any other bracket
/// is a mistake (an unclosed range such as `cn-0[1-` or `cn-0[1:`), which 1.2 made into a host
/// of that name. `token` (the name as written, port included) is shown in the error.
pub(super) fn host_names(name: &str, token: &str) -> Result<Vec<String>, String> {
    if detect_range(name) {
        return expand_hostname_range(name);
    }
    if name.contains(['[', ']']) && !is_bracketed_ipv6(name) {
        return Err(format!(
            "host '{token}' has an unclosed or malformed range (expected NAME[BEGIN:END], \
             such as cn-[01:10])"
        ));
    }
    Ok(vec![name.to_string()])
}

/// `[fe80::1]`, an IPv6 address in brackets (as ansible-core writes one with a port).
fn is_bracketed_ipv6(name: &str) -> bool {
    name.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .is_some_and(|a| {
            a.contains(':')
                && a.chars()
                    .all(|c| c.is_ascii_hexdigit() || ".:%".contains(c))
        })
}

/// 1.2: a value wrapped in a matching pair of quotes loses its first and last character.
fn unquote(v: &str) -> &str {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// True when a host name holds a `[beg:end]` range (1.2's `detect_range`).
pub(super) fn detect_range(line: &str) -> bool {
    if line.starts_with('[') {
        return false;
    }
    match (line.find('['), line.find(':'), line.find(']')) {
        (Some(a), Some(b), Some(c)) => a < b && b < c,
        _ => false,
    }
}

/// Expand `db[01:03]-x` / `[a:c]` as 1.2's `expand_hostname_range` does.
pub(super) fn expand_hostname_range(line: &str) -> Result<Vec<String>, String> {
    let replaced = line.replace(['[', ']'], "|");
    let parts: Vec<&str> = replaced.split('|').collect();
    if parts.len() != 3 {
        return Err(format!("host range incorrectly specified: {line}"));
    }
    let (head, nrange, tail) = (parts[0], parts[1], parts[2]);
    let bounds: Vec<&str> = nrange.split(':').collect();
    if bounds.len() != 2 {
        return Err(format!("host range incorrectly specified: {line}"));
    }
    let beg = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    if end.is_empty() {
        return Err(format!("host range end value missing: {line}"));
    }
    let width = if beg.starts_with('0') && beg.len() > 1 {
        if beg.len() != end.len() {
            return Err(format!("host range format incorrectly specified: {line}"));
        }
        Some(beg.len())
    } else {
        None
    };
    let fill = |s: String| match width {
        Some(w) if s.len() < w => format!("{}{}", "0".repeat(w - s.len()), s),
        _ => s,
    };
    const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let seq: Vec<String> = match (LETTERS.find(beg), LETTERS.find(end)) {
        (Some(b), Some(e)) => {
            if b > e {
                return Err(format!("host range ends before it begins: {line}"));
            }
            LETTERS[b..=e].chars().map(|c| c.to_string()).collect()
        }
        _ => {
            let b: i64 = beg
                .trim()
                .parse()
                .map_err(|_| format!("host range bounds are not numbers or letters: {line}"))?;
            let e: i64 = end
                .trim()
                .parse()
                .map_err(|_| format!("host range bounds are not numbers or letters: {line}"))?;
            if e < b {
                return Err(format!("host range ends before it begins: {line}"));
            }
            if e - b > 1_000_000 {
                return Err(format!("host range too large: {line}"));
            }
            (b..=e).map(|i| i.to_string()).collect()
        }
    };
    Ok(seq
        .into_iter()
        .map(|s| format!("{head}{}{tail}", fill(s)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_12() {
        assert_eq!(
            expand_hostname_range("cn-[01:03]").unwrap(),
            ["cn-01", "cn-02", "cn-03"]
        );
        assert_eq!(
            expand_hostname_range("db[1:3].x").unwrap(),
            ["db1.x", "db2.x", "db3.x"]
        );
        assert_eq!(expand_hostname_range("h[a:c]").unwrap(), ["ha", "hb", "hc"]);
        assert_eq!(
            expand_hostname_range("h[y:B]").unwrap(),
            ["hy", "hz", "hA", "hB"]
        );
        assert_eq!(expand_hostname_range("h[:2]").unwrap(), ["h0", "h1", "h2"]);
        assert_eq!(
            expand_hostname_range("h[8:11]").unwrap(),
            ["h8", "h9", "h10", "h11"]
        );
        assert!(expand_hostname_range("h[01:100]").is_err());
        assert!(expand_hostname_range("h[1:]").is_err());
        assert!(expand_hostname_range("h[1:2:3]").is_err());
        assert!(expand_hostname_range("h[1:x]").is_err());
        assert!(expand_hostname_range("h[1:2][3:4]").is_err());
        assert!(detect_range("cn-0[1:2]"));
        assert!(!detect_range("cn-0[1-2]"));
        assert!(!detect_range("[a:b]"));
    }

    #[test]
    fn ports() {
        assert_eq!(split_port("h:2222"), ("h", Some("2222")));
        assert_eq!(split_port("h[1:3]"), ("h[1:3]", None));
        assert_eq!(split_port("h[1:3]:22"), ("h[1:3]", Some("22")));
        assert_eq!(split_port("h"), ("h", None));
    }
}
