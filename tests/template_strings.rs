//! String templates, conditions and `with_items` terms compared with real Ansible 1.2
//! (goldens `tests/golden/templates/strings.json` from `compat-tests/template_strings_oracle.py`).

use std::path::Path;

use flock::playbook::ConditionKind;
use flock::template::{Dialect, Templar, TemplateContext};
use flock::value::{Map, Value};

#[test]
fn strings_and_conditions_match_ansible12() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/templates");
    let docs = flock::yaml::load_file(&dir.join("string_vars.yml")).unwrap();
    let Value::Object(vars) = docs[0].to_value() else {
        panic!("string_vars.yml is not a mapping")
    };
    let vars: Map = vars;
    let cases: Vec<(String, Value)> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("string_cases.json")).unwrap())
            .unwrap();
    let golden: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("strings.json")).unwrap()).unwrap();
    assert_eq!(cases.len(), golden.len());
    let templar = Templar::new();
    let ctx = TemplateContext::new(&vars, Path::new("/tmp"), Dialect::Legacy12, None);
    let mut failures = Vec::new();
    for ((kind, expr), want) in cases.iter().zip(&golden) {
        let got: Result<Value, String> = match kind.as_str() {
            "template" => templar
                .template_value(expr, &ctx)
                .map_err(|e| e.to_string()),
            "items" => templar
                .loop_items("items", expr, &ctx)
                .map(Value::Array)
                .map_err(|e| e.to_string()),
            k => {
                let kind = match k {
                    "only_if" => ConditionKind::OnlyIf,
                    "when" => ConditionKind::When,
                    other => ConditionKind::from_when_suffix(other.trim_start_matches("when_"))
                        .unwrap_or_else(|| panic!("unknown kind {other}")),
                };
                templar
                    .eval_condition(kind, expr, &ctx)
                    .map(Value::Bool)
                    .map_err(|e| e.to_string())
            }
        };
        let ok = match (&got, want.get("value"), want.get("error")) {
            (Ok(v), Some(w), _) => v == w,
            (Err(e), _, Some(Value::String(w))) => {
                !w.starts_with("Conditional expression") || e == w
            }
            _ => false,
        };
        if !ok {
            failures.push(format!("{kind} {expr}: flock {got:?}, Ansible 1.2 {want}"));
        }
    }
    eprintln!(
        "string/condition cases: {} identical, {} differing",
        cases.len() - failures.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
