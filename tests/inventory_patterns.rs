//! Host patterns and `--limit` against goldens recorded from real Ansible 1.2
//! (`scripts/oracle/inventory-patterns.sh`: `ansible PATTERN -i INV --list-hosts [-l LIMIT]`),
//! on flock's own `tests/data/inventory/lab.ini` and on every inventory of the 2013 corpus.

use std::path::{Path, PathBuf};

use flock::inventory::Inventory;
use flock::template::Dialect;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/inventory")
}

/// The corpus (`FLOCK_CORPUS_DIR`, see `build.rs`).
fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("FLOCK_CORPUS_DIR"))
}

struct Case {
    inv: String,
    pattern: String,
    limit: String,
    /// `None`: Ansible 1.2 failed (traceback or error).
    expect: Option<Vec<String>>,
}

fn cases() -> Vec<Case> {
    golden("patterns.txt")
}

fn golden(name: &str) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/inventory");
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    let mut out: Vec<Case> = Vec::new();
    for line in text.lines() {
        if let Some(head) = line.strip_prefix("== ") {
            let parts: Vec<&str> = head.split(" | ").collect();
            assert_eq!(parts.len(), 3, "bad golden header {line}");
            out.push(Case {
                inv: parts[0].to_string(),
                pattern: parts[1].to_string(),
                limit: parts[2].trim_end().to_string(),
                expect: Some(Vec::new()),
            });
        } else if line == "ERROR" {
            out.last_mut().unwrap().expect = None;
        } else if !line.is_empty() {
            out.last_mut()
                .unwrap()
                .expect
                .as_mut()
                .unwrap()
                .push(line.to_string());
        }
    }
    out
}

fn run_cases(
    pick: impl Fn(&Case) -> bool,
    dir_of: impl Fn(&str) -> PathBuf,
) -> (usize, Vec<String>) {
    run_golden(cases(), Dialect::Legacy12, pick, dir_of)
}

fn run_golden(
    cases: Vec<Case>,
    dialect: Dialect,
    pick: impl Fn(&Case) -> bool,
    dir_of: impl Fn(&str) -> PathBuf,
) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut failures = Vec::new();
    for c in cases.iter().filter(|c| pick(c)) {
        let inv = Inventory::load(&dir_of(&c.inv)).unwrap_or_else(|e| panic!("{}: {e}", c.inv));
        let limit = c.limit.replace(
            "@limit.txt",
            &format!("@{}", data_dir().join("limit.txt").display()),
        );
        let limit = (!limit.is_empty()).then_some(limit.as_str());
        let got = inv.select(&c.pattern, limit, dialect).ok();
        if got != c.expect {
            failures.push(format!(
                "{} | {} | {}: want {:?}, got {:?}",
                c.inv, c.pattern, c.limit, c.expect, got
            ));
        }
        checked += 1;
    }
    (checked, failures)
}

#[test]
fn lab_patterns_match_ansible_12() {
    let result = run_cases(|c| c.inv == "lab.ini", |name| data_dir().join(name));
    assert_all_identical(result, 50);
}

/// At least `min` cases were compared and none differed.
fn assert_all_identical((n, failures): (usize, Vec<String>), min: usize) {
    assert!(n >= min, "only {n} cases");
    let report = failures.join("\n");
    assert!(
        failures.is_empty(),
        "{} of {n} differ:\n{report}",
        failures.len()
    );
}

/// The modern dialect against ansible-core 2.19 (`scripts/oracle/inventory-patterns-modern.sh`).
#[test]
fn modern_patterns_match_ansible_core() {
    let cases = golden("patterns-modern.txt");
    let result = run_golden(
        cases,
        Dialect::Modern,
        |_| true,
        |name| data_dir().join(name),
    );
    assert_all_identical(result, 40);
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn corpus_inventories_load_and_match_ansible_12() {
    let corpus = corpus_dir();
    let result = run_cases(|c| c.inv != "lab.ini", |name| corpus.join(name));
    assert_all_identical(result, 49);
    // The inventories' variables, as 1.2 reads them.
    let inv = Inventory::load(&corpus.join("hosts")).unwrap();
    assert_eq!(inv.hosts(), ["core-01", "core-02", "core-03", "com"]);
    assert_eq!(inv.host_vars("core-02")["ansible_ssh_host"], "10.1.1.2");
    assert_eq!(inv.groups_of("com"), ["com"]);
    let home = Inventory::load(&corpus.join("home")).unwrap();
    assert_eq!(home.groups_of("z"), ["ungrouped"]);
    assert_eq!(home.host_vars("z")["ansible_ssh_host"], "192.168.1.254");
    // `space` is the jockey's directory, not an inventory: 1.2 fails on it, so do we.
    assert!(Inventory::load(&corpus.join("space")).is_err());
}
