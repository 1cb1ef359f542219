//! Differential test: our YAML loader against real PyYAML (`yaml.load_all`, `SafeLoader`) over
//! every `.yml` file of the 2013 corpus plus `tests/golden/yaml/*.yml` edge cases. Types,
//! values and mapping key order must agree (python3's dicts keep PyYAML's insertion order).
//! Set `PYYAML_PYTHON` to use another interpreter (e.g. python2 with PyYAML 3.10 on
//! `PYTHONPATH`; python2 dicts are unordered, so key order is then compared sorted).

use std::path::{Path, PathBuf};
use std::process::Command;

use flock::yaml::{self, Node, NodeKind};
use serde_json::{json, Value};

/// The corpus (`FLOCK_CORPUS_DIR`, see `build.rs`).
fn corpus() -> PathBuf {
    PathBuf::from(env!("FLOCK_CORPUS_DIR"))
}

fn yml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(p);
        }
    }
}

fn canon(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Null => json!(["n"]),
        NodeKind::Bool(b) => json!(["b", b]),
        NodeKind::Int(i) => json!(["i", i.to_string()]),
        NodeKind::Float(f) if f.is_nan() => json!(["f", "nan"]),
        NodeKind::Float(f) => json!(["f", f.to_bits().to_string()]),
        NodeKind::Str(s) => json!(["s", s]),
        NodeKind::Timestamp(_) => json!(["t"]),
        NodeKind::Seq(items) => json!(["l", items.iter().map(canon).collect::<Vec<_>>()]),
        NodeKind::Map(pairs) => {
            json!([
                "m",
                pairs
                    .iter()
                    .map(|(k, v)| json!([canon(k), canon(v)]))
                    .collect::<Vec<_>>()
            ])
        }
    }
}

/// Sort mapping pairs recursively (for unordered python2 dicts).
fn sorted(v: &Value) -> Value {
    match v {
        Value::Array(a) if a.first() == Some(&json!("m")) => {
            let mut pairs: Vec<Value> = a[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| json!([sorted(&p[0]), sorted(&p[1])]))
                .collect();
            pairs.sort_by_key(|p| p[0].to_string());
            json!(["m", pairs])
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), sorted(v))).collect()),
        other => other.clone(),
    }
}

#[test]
#[cfg_attr(
    not(all(flock_corpus, flock_pyyaml)),
    ignore = "needs ../shared/flock-2013 and PyYAML for python3 (scripts/test.sh)"
)]
fn agrees_with_pyyaml() {
    let corpus = corpus();
    let python = std::env::var("PYYAML_PYTHON").unwrap_or_else(|_| "python3".into());
    let unordered = python.contains("python2");
    let mut files = Vec::new();
    yml_files(&corpus, &mut files);
    let corpus_count = files.len();
    yml_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/yaml"),
        &mut files,
    );
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/yaml/pyyaml_oracle.py");
    let out = Command::new(&python)
        .arg(&oracle)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Value = serde_json::from_slice(&out.stdout).unwrap();

    let mut same = 0;
    let mut both_error = 0;
    let mut mismatches = Vec::new();
    for file in &files {
        let want = &expected[file.to_str().unwrap()];
        let got = match yaml::load_file(file) {
            Ok(docs) => json!(docs.iter().map(canon).collect::<Vec<_>>()),
            Err(e) => json!({"error": e.pos().line, "message": e.to_string()}),
        };
        if want.get("error").is_some() && got.get("error").is_some() {
            both_error += 1;
        } else if (unordered && sorted(want) == sorted(&got)) || want == &got {
            same += 1;
        } else {
            mismatches.push(format!(
                "{}\n  pyyaml: {want}\n  flock:  {got}",
                file.display()
            ));
        }
    }
    eprintln!(
        "PyYAML agreement: {same} identical + {both_error} rejected by both, of {} files \
         ({corpus_count} corpus)",
        files.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(corpus_count >= 150, "corpus too small: {corpus_count}");
}
