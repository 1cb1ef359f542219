//! Issue 19: a fast subset of the conformance suite on every CI run. A handful of ansible-core
//! integration targets flock passes (each well under 10 s) run through
//! `compat-tests/conformance.py` exactly as the full run does: a fresh one-host lab per target and
//! tool, ansible-core as the baseline, then flock. The test fails if the baseline passes and flock
//! does not (a regression), and also if the baseline itself stops passing (the subset would then
//! prove nothing). The full list: `sudo python3 compat-tests/conformance.py --list all --jobs 3`.

use std::process::Command;

/// Targets flock passes in the full run (docs/compat.md), the fast ones.
const SUBSET: &[&str] = &[
    "ignore_errors",
    "vars_files",
    "lookup_pipe",
    "strategy_free",
    "lookup_nested",
    "lookup_indexed_items",
    "lookup_random_choice",
];

#[test]
#[cfg_attr(
    not(all(flock_ansible_core, flock_root)),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh) and root (flock lab)"
)]
fn conformance_subset_passes_under_flock_as_under_ansible_core() {
    let dir = tempfile::tempdir().expect("dir");
    let json = dir.path().join("subset.json");
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/compat-tests/conformance.py"))
        .args([
            "--targets",
            &SUBSET.join(","),
            "--jobs",
            "2",
            "--timeout",
            "120",
        ])
        .args(["--no-docs", "--flock", env!("CARGO_BIN_EXE_flock")])
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run conformance.py");
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "conformance.py failed: {log}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&json).expect("json written");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let rows = doc["results"].as_array().expect("results");
    assert_eq!(rows.len(), SUBSET.len(), "{log}");
    for row in rows {
        let name = row["target"].as_str().unwrap_or("?");
        assert_eq!(
            row["core"], "pass",
            "{name}: baseline {}",
            row["core_detail"]
        );
        assert_eq!(
            row["flock"], "pass",
            "{name}: flock {}",
            row["flock_detail"]
        );
    }
}
