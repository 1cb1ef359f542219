//! The fuzz targets' entry points, shared by `cargo fuzz` (fuzz_targets/*.rs) and the replay
//! test of the normal suite (tests/fuzz_replay.rs), so a corpus file or a former crash runs the
//! same code in both. Each takes arbitrary bytes and must return without panicking, hanging or
//! allocating without bound; errors are fine (they are the expected answer to bad input).

#![allow(dead_code)]

use std::path::Path;

use flock::inventory::Inventory;
use flock::template::{Dialect, Templar, TemplateContext};
use flock::{Map, Value};

/// A target's entry point.
pub type Entry = fn(&[u8]);

/// The targets by name, for the replay test.
pub const TARGETS: &[(&str, Entry)] = &[
    ("yaml", yaml),
    ("inventory_ini", inventory_ini),
    ("inventory_yaml", inventory_yaml),
    ("host_pattern", host_pattern),
    ("kv", kv),
    ("template", template),
    ("agent_frame", agent_frame),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The YAML reader (PyYAML 3.10's resolution).
pub fn yaml(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = flock::yaml::load_str(s, "fuzz.yml");
    }
}

/// INI inventories, then pattern selection on what was read.
pub fn inventory_ini(data: &[u8]) {
    if let Some(s) = text(data) {
        if let Ok(inv) = Inventory::from_ini_str(s, "hosts") {
            let _ = inv.select("all", None, Dialect::Legacy12);
            for h in inv.hosts().iter().take(4) {
                let _ = inv.host_vars_dialect(h, Dialect::Modern);
            }
        }
    }
}

/// YAML inventories.
pub fn inventory_yaml(data: &[u8]) {
    if let Some(s) = text(data) {
        if let Ok(inv) = Inventory::from_yaml_str(s, "hosts.yml") {
            let _ = inv.select("all", None, Dialect::Modern);
        }
    }
}

const PATTERN_INVENTORY: &str =
    "[core]\ncore-0[1:3]\n[cn]\ncn-[01:20]\n[com]\ncom\n[all:children]\ncore\n";

/// Host patterns: the first line is the pattern, the rest the `--limit`, both dialects.
pub fn host_pattern(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let Ok(inv) = Inventory::from_ini_str(PATTERN_INVENTORY, "hosts") else {
        return;
    };
    let (pattern, limit) = match s.split_once('\n') {
        Some((p, l)) => (p, Some(l)),
        None => (s, None),
    };
    // `@file` limits read a file: keep the fuzzer to the patterns themselves.
    if limit.is_some_and(|l| l.contains('@')) {
        return;
    }
    for d in [Dialect::Legacy12, Dialect::Modern] {
        let _ = inv.select(pattern, limit, d);
    }
    let _ = inv.unmatched_elements(pattern);
}

/// `k=v` strings: extra vars (`-e`) and module arguments.
pub fn kv(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = flock::vars::parse_kv(s);
        let _ = flock::modules::args::parse_kv(s);
    }
}

/// Lookups run commands (`pipe`, `lines`, `$PIPE()`) and read or write files (`password`): the
/// fuzzer must never reach them on the machine it runs on. Refused: any mention of the lookup
/// functions (`lookup`, `query`, a word `q`, whatever their arguments) and 1.2's `$NAME(` forms.
fn reaches_a_lookup(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if lower.contains("lookup") || lower.contains("query") {
        return true;
    }
    let b = lower.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let q_word = (0..b.len()).any(|i| {
        b[i] == b'q' && (i == 0 || !word(b[i - 1])) && b.get(i + 1).is_none_or(|&c| !word(c))
    });
    let legacy = s.split('$').skip(1).any(|rest| {
        let name: String = rest.chars().take_while(char::is_ascii_uppercase).collect();
        !name.is_empty() && rest[name.len()..].starts_with('(')
    });
    q_word || legacy
}

/// The template engine: the first byte picks the dialect (even: 1.2, odd: modern).
pub fn template(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Some(s) = text(rest) else { return };
    if reaches_a_lookup(s) {
        return;
    }
    let dialect = if first % 2 == 0 {
        Dialect::Legacy12
    } else {
        Dialect::Modern
    };
    let mut vars = Map::new();
    vars.insert("name".into(), Value::from("core-01"));
    vars.insert("n".into(), Value::from(3));
    vars.insert("items".into(), serde_json::json!(["a", "b", {"k": [1, 2]}]));
    vars.insert(
        "d".into(),
        serde_json::json!({"x": {"y": "z"}, "l": [true, null, 1.5]}),
    );
    vars.insert("ref".into(), Value::from("{{ name }}-{{ n }}"));
    let basedir = Path::new("/nonexistent-flock-fuzz");
    let ctx = TemplateContext::new(&vars, basedir, dialect, None);
    let _ = Templar::new().template_str(s, &ctx);
}

/// The agent's frame reader and request decoder (the agent runs as root on hosts).
pub fn agent_frame(data: &[u8]) {
    let mut input = data;
    while let Ok(Some(frame)) = flock::agent::read_frame(&mut input) {
        let _ = frame.parse::<flock::agent::proto::Request>();
    }
    if let Some(n) = flock::agent::proto::complete_len(data) {
        let _ = flock::agent::proto::decode_body(&data[4..n]);
    }
}
