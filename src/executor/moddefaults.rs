//! `module_defaults` (modern): default arguments for a module, set on the play, a block or the
//! task. A mapping (or a list of mappings, later ones winning) from a module name, short or
//! FQCN, to arguments the task did not give. `group/NAME` keys name action groups of
//! collections; flock holds no collection metadata, so they apply to nothing.

use crate::playbook::canonical_module_name;
use crate::value::{Map, Value};

/// The defaults for `module` (canonical short name) out of a templated `module_defaults` value.
pub fn defaults_for(module: &str, module_defaults: &Value) -> Map {
    let mut out = Map::new();
    let entries: Vec<&Value> = match module_defaults {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for entry in entries {
        let Value::Object(by_module) = entry else {
            continue;
        };
        for (name, args) in by_module {
            if name.starts_with("group/") || canonical_module_name(name.as_str()) != module {
                continue;
            }
            if let Value::Object(args) = args {
                for (k, v) in args {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
    }
    out
}

/// Fills `args` with the defaults the task did not set itself.
pub fn apply(args: &mut Map, defaults: Map) {
    for (k, v) in defaults {
        args.entry(k).or_insert(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn short_and_fqcn_names_match_and_later_entries_win() {
        let md = Value::Array(vec![
            obj(&[(
                "file",
                obj(&[("mode", "0600".into()), ("state", "touch".into())]),
            )]),
            obj(&[("ansible.builtin.file", obj(&[("mode", "0640".into())]))]),
            obj(&[("copy", obj(&[("mode", "0700".into())]))]),
            obj(&[("group/testgroup", obj(&[("mode", "0777".into())]))]),
        ]);
        let d = defaults_for("file", &md);
        assert_eq!(d.get("mode"), Some(&Value::from("0640")));
        assert_eq!(d.get("state"), Some(&Value::from("touch")));
        let mut args: Map = [("state".to_string(), Value::from("directory"))]
            .into_iter()
            .collect();
        apply(&mut args, d);
        assert_eq!(args.get("state"), Some(&Value::from("directory")));
        assert_eq!(args.get("mode"), Some(&Value::from("0640")));
    }
}
