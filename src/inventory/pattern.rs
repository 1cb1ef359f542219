//! Host patterns: Ansible 1.2's rules (`inventory/__init__.py`) and modern ansible-core's.
//!
//! 1.2: the pattern is split on `:` and `;` (not `,`); elements apply left to right to an empty
//! set (plain = union, `!x` = minus, `&x` = intersect); an element matches group names or host
//! names by `fnmatch` (or `re.search` after `~`), `all` matches everything; `x[i-j]` keeps
//! positions i..j of the name-sorted matches; `--limit` (also split on `,`; `@file` reads lines)
//! intersects; the result is sorted by host name.
//!
//! Modern: split on `,` (or on `:` outside brackets), plain elements first, then `&`, then `!`;
//! groups match first (their hosts in inventory order), host names when no group matched or the
//! element is a glob/regex (`re.match`); subscripts `x[i]`, `x[i:j]` (inclusive), `x[-1]`;
//! `localhost` is implicit; order is inventory order.

use std::collections::HashSet;

use regex::Regex;

use super::{Inventory, InventoryError};

fn perr(p: &str, m: impl Into<String>) -> InventoryError {
    InventoryError::Pattern {
        pattern: p.to_string(),
        message: m.into(),
    }
}

/// A compiled name matcher: fnmatch glob or regex.
pub(crate) struct Matcher {
    re: Regex,
}

impl Matcher {
    /// `~re` → regex (`re.search` when `search`, else anchored at the start as `re.match`);
    /// otherwise an fnmatch glob matching the whole name.
    fn new(pattern: &str, search: bool) -> Result<Matcher, InventoryError> {
        let src = match pattern.strip_prefix('~') {
            Some(r) if search => r.to_string(),
            Some(r) => format!("^(?:{r})"),
            None => fnmatch_regex(pattern),
        };
        let re = Regex::new(&src).map_err(|e| perr(pattern, e.to_string()))?;
        Ok(Matcher { re })
    }

    fn is_match(&self, name: &str) -> bool {
        self.re.is_match(name)
    }
}

/// Python 2.7's `fnmatch.translate`, for the `regex` crate, anchored on both ends.
pub(crate) fn fnmatch_regex(pat: &str) -> String {
    let chars: Vec<char> = pat.chars().collect();
    let n = chars.len();
    let mut res = String::from("(?s)^");
    let mut i = 0;
    while i < n {
        let c = chars[i];
        i += 1;
        match c {
            '*' => res.push_str(".*"),
            '?' => res.push('.'),
            '[' => {
                let mut j = i;
                if j < n && chars[j] == '!' {
                    j += 1;
                }
                if j < n && chars[j] == ']' {
                    j += 1;
                }
                while j < n && chars[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    res.push_str("\\[");
                } else {
                    let stuff: Vec<char> = chars[i..j].to_vec();
                    i = j + 1;
                    res.push('[');
                    for (k, &ch) in stuff.iter().enumerate() {
                        match ch {
                            '!' if k == 0 => res.push('^'),
                            '^' if k == 0 => res.push_str("\\^"),
                            '\\' | '[' | ']' | '&' | '~' => {
                                res.push('\\');
                                res.push(ch);
                            }
                            _ => res.push(ch),
                        }
                    }
                    res.push(']');
                }
            }
            _ => res.push_str(&regex::escape(&c.to_string())),
        }
    }
    res.push('$');
    res
}

/// Refuse a pattern element with an unclosed `[` or a stray `]` (`lab[1-`, `lab[0:`, `lab]`).
/// ansible-core drops the broken part with a warning and matches all of `lab`, which for a
/// `--limit` means every host of the group; 1.2 matched nothing or everything depending on the
/// shape. `~regex` elements (up to the next comma) are left to the regex compiler.
fn check_brackets(pattern: &str) -> Result<(), InventoryError> {
    let (mut open, mut at_start, mut in_regex) = (false, true, false);
    for c in pattern.chars() {
        if in_regex {
            if c == ',' {
                (in_regex, at_start) = (false, true);
            }
            continue;
        }
        match c {
            '~' if at_start => in_regex = true,
            '!' | '&' if at_start => {}
            '[' if open => return Err(perr(pattern, "a '[' inside a '[...]' subscript")),
            '[' => (open, at_start) = (true, false),
            ']' if !open => return Err(perr(pattern, "a ']' without its '['")),
            ']' => open = false,
            ',' | ':' | ';' if !open => at_start = true,
            c if c.is_whitespace() && !open => at_start = true,
            _ => at_start = false,
        }
    }
    if open {
        return Err(perr(
            pattern,
            "an unclosed '[' (a subscript is written lab[0], lab[0:2] or lab[1-3])",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- Ansible 1.2

/// 1.2's `Inventory.get_hosts(pattern)` with `subset(limit)`, sorted by name.
pub(super) fn select_legacy(
    inv: &Inventory,
    pattern: &str,
    limit: Option<&str>,
) -> Result<Vec<String>, InventoryError> {
    check_brackets(pattern)?;
    limit.map(check_brackets).transpose()?;
    let elems: Vec<String> = pattern
        .replace(';', ":")
        .split(':')
        .map(str::to_string)
        .collect();
    let mut hosts = get_hosts_legacy(inv, &elems)?;
    if let Some(limit) = limit {
        let subset = limit_elements(limit.replace([',', ';'], ":").split(':'), false)?;
        if !subset.is_empty() {
            let keep = get_hosts_legacy(inv, &subset)?;
            hosts.retain(|h| keep.contains(h));
        }
    }
    let mut names: Vec<String> = hosts.into_iter().map(|h| inv.hosts[h].clone()).collect();
    names.sort();
    Ok(names)
}

/// Expand `@file` elements of a limit into the file's lines.
fn limit_elements<'a>(
    elems: impl Iterator<Item = &'a str>,
    strip: bool,
) -> Result<Vec<String>, InventoryError> {
    let mut out = Vec::new();
    for x in elems {
        if let Some(file) = x.strip_prefix('@') {
            let text = std::fs::read_to_string(file)
                .map_err(|e| perr(x, format!("cannot read limit file: {e}")))?;
            for l in text.split('\n') {
                let l = if strip { l.trim() } else { l };
                if !(strip && l.is_empty()) {
                    out.push(l.to_string());
                }
            }
        } else {
            out.push(x.to_string());
        }
    }
    Ok(out)
}

fn get_hosts_legacy(
    inv: &Inventory,
    patterns: &[String],
) -> Result<HashSet<usize>, InventoryError> {
    let mut hosts = HashSet::new();
    for p in patterns {
        let found = one_legacy(inv, p)?;
        if p.starts_with('!') {
            for h in found {
                hosts.remove(&h);
            }
        } else if p.starts_with('&') {
            let keep: HashSet<usize> = found.into_iter().collect();
            hosts.retain(|h| keep.contains(h));
        } else {
            hosts.extend(found);
        }
    }
    Ok(hosts)
}

/// One element: its matches sorted by name, cut by an `[i-j]` enumeration.
fn one_legacy(inv: &Inventory, p: &str) -> Result<Vec<usize>, InventoryError> {
    let (name, limits) = if !p.contains('[') || p.starts_with('~') {
        (p, None)
    } else {
        let parts: Vec<&str> = p.split('[').collect();
        if parts.len() != 2 {
            return Err(perr(p, "more than one '[' in a host pattern"));
        }
        let rest = parts[1].replace(']', "");
        let (l, r) = match rest.split_once('-') {
            Some((l, r)) => (l.to_string(), r.to_string()),
            None => (rest.clone(), rest),
        };
        (parts[0], Some((l, r)))
    };
    let pattern = name.replace(['!', '&'], "");
    let mut hosts: Vec<usize> = if pattern == "all" {
        (0..inv.hosts.len()).collect()
    } else {
        let m = Matcher::new(&pattern, true)?;
        let mut set = HashSet::new();
        for (g, gname) in inv.group_names() {
            if m.is_match(gname) {
                set.extend(inv.group_hosts(g));
            }
        }
        for (h, hn) in inv.hosts.iter().enumerate() {
            if m.is_match(hn) {
                set.insert(h);
            }
        }
        set.into_iter().collect()
    };
    hosts.sort_by(|&a, &b| inv.hosts[a].cmp(&inv.hosts[b]));
    let Some((l, r)) = limits else {
        return Ok(hosts);
    };
    let num = |s: &str| -> Result<i64, InventoryError> {
        let s = s.trim();
        if s.is_empty() {
            Ok(0)
        } else {
            s.parse()
                .map_err(|_| perr(p, format!("invalid subscript '{s}'")))
        }
    };
    let (l, r) = (num(&l)?, num(&r)?);
    Ok(hosts
        .into_iter()
        .enumerate()
        .filter(|&(i, _)| i as i64 >= l && i as i64 <= r)
        .map(|(_, h)| h)
        .collect())
}

// ---------------------------------------------------------------- modern

const LOCALHOST: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// ansible-core's `split_host_pattern`.
fn split_modern(pattern: &str) -> Vec<String> {
    let pattern = pattern.trim();
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_string).collect()
    } else if looks_like_ipv6(pattern) {
        vec![pattern.to_string()]
    } else {
        // Runs of characters other than whitespace and `:[]`, or whole `[...]` groups.
        let re = Regex::new(r"(?:[^\s:\[\]]|\[[^\]]*\])+").expect("static regex");
        re.find_iter(pattern)
            .map(|m| m.as_str().to_string())
            .collect()
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn looks_like_ipv6(p: &str) -> bool {
    let p = p.trim_start_matches('[').trim_end_matches(']');
    p.matches(':').count() >= 2
        && p.chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
}

/// Plain elements, then `&`, then `!`; `all` first when there is no plain element.
fn order_patterns(ps: Vec<String>) -> Vec<String> {
    let (mut regular, mut inter, mut excl) = (Vec::new(), Vec::new(), Vec::new());
    for p in ps {
        if p.starts_with('!') {
            excl.push(p);
        } else if p.starts_with('&') {
            inter.push(p);
        } else {
            regular.push(p);
        }
    }
    if regular.is_empty() {
        regular.push("all".to_string());
    }
    regular.extend(inter);
    regular.extend(excl);
    regular
}

pub(super) fn select_modern(
    inv: &Inventory,
    pattern: &str,
    limit: Option<&str>,
) -> Result<Vec<String>, InventoryError> {
    check_brackets(pattern)?;
    limit.map(check_brackets).transpose()?;
    let mut hosts = evaluate_modern(inv, &order_patterns(split_modern(pattern)))?;
    if let Some(limit) = limit {
        let elems = split_modern(limit);
        let subset = limit_elements(elems.iter().map(String::as_str), true)?;
        if !subset.is_empty() {
            let keep: HashSet<String> = evaluate_modern(inv, &order_patterns(subset))?
                .into_iter()
                .collect();
            hosts.retain(|h| keep.contains(h));
        }
    }
    Ok(hosts)
}

fn evaluate_modern(inv: &Inventory, patterns: &[String]) -> Result<Vec<String>, InventoryError> {
    let mut hosts: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for p in patterns {
        if inv.has_host(p) {
            if seen.insert(p.clone()) {
                hosts.push(p.clone());
            }
            continue;
        }
        let that = match_one_modern(inv, p)?;
        if p.starts_with('!') {
            let that: HashSet<&String> = that.iter().collect();
            hosts.retain(|h| !that.contains(h));
            seen = hosts.iter().cloned().collect();
        } else if p.starts_with('&') {
            let that: HashSet<&String> = that.iter().collect();
            hosts.retain(|h| that.contains(h));
            seen = hosts.iter().cloned().collect();
        } else {
            for h in that {
                if seen.insert(h.clone()) {
                    hosts.push(h);
                }
            }
        }
    }
    Ok(hosts)
}

/// `(start, end)`: `x[i]` is `(i, None)`, `x[i:j]` / `x[i:]` is `(i, Some(j or -1))`.
type Subscript = (i64, Option<i64>);

fn split_subscript(p: &str) -> Result<(&str, Option<Subscript>), InventoryError> {
    if p.starts_with('~') {
        return Ok((p, None));
    }
    let re = Regex::new(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$").expect("static regex");
    let Some(c) = re.captures(p) else {
        return Ok((p, None));
    };
    let base = c.get(1).map_or(p, |m| m.as_str());
    let num = |s: &str| s.parse::<i64>().map_err(|_| perr(p, "invalid subscript"));
    if let Some(idx) = c.get(2) {
        return Ok((base, Some((num(idx.as_str())?, None))));
    }
    let start = num(c.get(3).map_or("0", |m| m.as_str()))?;
    let end = match c.get(5).map(|m| m.as_str()).filter(|s| !s.is_empty()) {
        Some(e) => num(e)?,
        None => -1,
    };
    Ok((base, Some((start, Some(end)))))
}

fn match_one_modern(inv: &Inventory, p: &str) -> Result<Vec<String>, InventoryError> {
    let expr = p.strip_prefix(['!', '&']).unwrap_or(p);
    let (base, sub) = split_subscript(expr)?;
    let mut hosts = enumerate_modern(inv, base)?;
    if let Some((start, end)) = sub {
        let len = hosts.len() as i64;
        let idx = |i: i64| if i < 0 { len + i } else { i };
        hosts = match end {
            Some(e) if e != 0 => {
                let e = if e == -1 { len - 1 } else { e };
                let (s, e) = (idx(start).clamp(0, len), (idx(e) + 1).clamp(0, len));
                if s < e {
                    hosts[s as usize..e as usize].to_vec()
                } else {
                    Vec::new()
                }
            }
            _ => {
                // Out of range: no hosts (ansible-core catches the IndexError).
                let i = idx(start);
                if i < 0 || i >= len {
                    Vec::new()
                } else {
                    vec![hosts[i as usize].clone()]
                }
            }
        };
    }
    Ok(hosts)
}

/// The elements of a modern pattern (without `&`/`!` and subscripts) that match no host, as
/// ansible-core warns about them (`Could not match supplied host pattern`); `all` and `@file`
/// elements are never listed.
pub(super) fn unmatched_modern(inv: &Inventory, pattern: &str) -> Vec<String> {
    split_modern(pattern)
        .into_iter()
        .filter_map(|p| {
            let expr = p.strip_prefix(['!', '&']).unwrap_or(&p);
            let (base, _) = split_subscript(expr).ok()?;
            let skip = base == "all" || base.starts_with('@') || inv.has_host(base);
            let none = enumerate_modern(inv, base).is_ok_and(|h| h.is_empty());
            (!skip && none).then(|| base.to_string())
        })
        .collect()
}

fn enumerate_modern(inv: &Inventory, pattern: &str) -> Result<Vec<String>, InventoryError> {
    let m = Matcher::new(pattern, false)?;
    let mut out: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let mut any_group = false;
    for (g, gname) in inv.group_names() {
        if m.is_match(gname) {
            any_group = true;
            for h in inv.group_hosts(g) {
                if seen.insert(h) {
                    out.push(inv.hosts[h].clone());
                }
            }
        }
    }
    let special = pattern.starts_with('~') || pattern.contains(['.', '?', '*', '[']);
    if !any_group || special {
        for (h, hn) in inv.hosts.iter().enumerate() {
            if m.is_match(hn) && seen.insert(h) {
                out.push(hn.clone());
            }
        }
    }
    if out.is_empty() && LOCALHOST.contains(&pattern) {
        out.push(pattern.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_translation() {
        let m = |p: &str, s: &str| Regex::new(&fnmatch_regex(p)).unwrap().is_match(s);
        assert!(m("core-*", "core-01"));
        assert!(!m("core-*", "xcore-01"));
        assert!(m("core-0[12]", "core-01"));
        assert!(!m("core-0[!12]", "core-01"));
        assert!(m("c?m", "com"));
        assert!(m("a[", "a["));
        assert!(m("a.b", "a.b"));
        assert!(!m("a.b", "axb"));
    }

    #[test]
    fn modern_split() {
        assert_eq!(split_modern("a:b:&c:!d"), ["a", "b", "&c", "!d"]);
        assert_eq!(split_modern("a, b"), ["a", "b"]);
        assert_eq!(split_modern("web[0:2]:db"), ["web[0:2]", "db"]);
        assert_eq!(split_modern("::1"), ["::1"]);
        assert_eq!(order_patterns(vec!["!a".into()]), ["all", "!a"]);
    }

    #[test]
    fn subscripts() {
        assert_eq!(split_subscript("web[1]").unwrap(), ("web", Some((1, None))));
        assert_eq!(
            split_subscript("web[-1]").unwrap(),
            ("web", Some((-1, None)))
        );
        assert_eq!(
            split_subscript("web[0:2]").unwrap(),
            ("web", Some((0, Some(2))))
        );
        assert_eq!(
            split_subscript("web[1:]").unwrap(),
            ("web", Some((1, Some(-1))))
        );
        assert_eq!(split_subscript("~web[1]").unwrap(), ("~web[1]", None));
    }
}
