//! `--extra-vars` values and 1.2's `parse_kv`.

use std::path::Path;

use super::VarsError;
use crate::value::{Map, Value};

/// Ansible 1.2's `parse_kv`: shlex-split (POSIX, `#` is not a comment), each token holding `=`
/// is split at the first `=`, tokens without `=` are dropped, later duplicates win. Values are
/// strings.
pub fn parse_kv(args: &str) -> Result<Map, VarsError> {
    let tokens = crate::inventory::shlex::split(args).map_err(|e| VarsError::Kv {
        text: args.to_string(),
        message: e.to_string(),
    })?;
    let mut out = Map::new();
    for t in tokens {
        if let Some((k, v)) = t.split_once('=') {
            out.insert(k.to_string(), Value::String(v.to_string()));
        }
    }
    Ok(out)
}

/// Merge every `-e` value, later ones winning: `@file` (YAML or JSON mapping, read with
/// PyYAML's rules), `{...}`/`[...]` (JSON or YAML flow: must be a mapping), else `k=v k2='a b'`.
pub fn parse_extra_vars(args: &[String]) -> Result<Map, VarsError> {
    let mut out = Map::new();
    for a in args {
        let m = parse_one(a)?;
        for (k, v) in m {
            out.insert(k, v);
        }
    }
    Ok(out)
}

fn parse_one(a: &str) -> Result<Map, VarsError> {
    if let Some(file) = a.strip_prefix('@') {
        return load_mapping_file(Path::new(file));
    }
    let t = a.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        let v: Value = match serde_json::from_str(t) {
            Ok(v) => v,
            Err(_) => {
                let docs = crate::yaml::load_str(t, "<extra vars>")?;
                docs.first().map(|d| d.to_value()).unwrap_or(Value::Null)
            }
        };
        return match v {
            Value::Object(m) => Ok(m),
            _ => Err(VarsError::NotMapping {
                what: format!("extra vars '{a}'"),
            }),
        };
    }
    parse_kv(a)
}

/// A YAML/JSON file that must hold a mapping (empty file: no variables).
pub fn load_mapping_file(path: &Path) -> Result<Map, VarsError> {
    let docs = crate::yaml::load_file(path)?;
    match docs.first() {
        None => Ok(Map::new()),
        Some(n) if n.is_null() => Ok(Map::new()),
        Some(n) => match n.to_value() {
            Value::Object(m) => Ok(m),
            _ => Err(VarsError::NotMappingAt {
                pos: n.pos.clone(),
                what: path.display().to_string(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_like_12() {
        let m = parse_kv(
            r#"master=core k2='a b' line="%wheel ALL=(ALL) NOPASSWD:ALL" junk x=1 x=2 #c=3"#,
        )
        .unwrap();
        assert_eq!(m["master"], "core");
        assert_eq!(m["k2"], "a b");
        assert_eq!(m["line"], "%wheel ALL=(ALL) NOPASSWD:ALL");
        assert_eq!(m["x"], "2");
        assert_eq!(m["#c"], "3");
        assert!(!m.contains_key("junk"));
    }

    #[test]
    fn extra_vars_forms() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ev.yml");
        std::fs::write(&f, "mode: 0644\nflag: yes\nname: from-file\n").unwrap();
        let args = vec![
            "name=kv a=1".to_string(),
            r#"{"j": 1, "a": [1, 2]}"#.to_string(),
            format!("@{}", f.display()),
        ];
        let m = parse_extra_vars(&args).unwrap();
        assert_eq!(m["name"], "from-file");
        assert_eq!(m["mode"], 420);
        assert_eq!(m["flag"], true);
        assert_eq!(m["j"], 1);
        assert_eq!(m["a"], serde_json::json!([1, 2]));
        assert!(parse_extra_vars(&["[1, 2]".to_string()]).is_err());
        let bad = dir.path().join("bad.yml");
        std::fs::write(&bad, "a: [\n").unwrap();
        let e = parse_extra_vars(&[format!("@{}", bad.display())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.yml:"), "{e}");
        assert!(parse_extra_vars(&["@/nonexistent/x.yml".to_string()]).is_err());
    }
}
