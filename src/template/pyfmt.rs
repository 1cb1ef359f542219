//! Python 2 `str()` / `repr()` of values, as Ansible 1.2 prints them (`True`, `None`,
//! `['a', 'b']`, `{'k': 1}` in Python 2 dict order).

use super::py2dict::yaml_templated_order;
use crate::value::Value;
use minijinja::value::{Value as MjValue, ValueKind};

/// Python 2 `str()` of a value: strings as they are, `True`/`False`/`None`, numbers as Python
/// prints them, lists and dicts as their `repr` (dict keys in Python 2 order).
pub fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if !n.is_i64() && !n.is_u64() => float_str(n.as_f64().unwrap_or(0.0)),
        other => python_repr(other),
    }
}

/// Python 2 `repr()` of a value (`'a'`, `[1, 'b']`, `{'k': True}`, `None`).
pub fn python_repr(v: &Value) -> String {
    let mut out = String::new();
    repr_json(v, &mut out, true);
    out
}

/// Python 3 `repr()` of a value as ansible-core prints it: like [`python_repr`], but dicts
/// keep their insertion order.
pub fn python3_repr(v: &Value) -> String {
    let mut out = String::new();
    repr_json(v, &mut out, false);
    out
}

/// `py2_order`: dict keys in CPython 2.7's order (else insertion order).
fn repr_json(v: &Value, out: &mut String, py2_order: bool) {
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                out.push_str(&float_repr(n.as_f64().unwrap_or(0.0)));
            }
        }
        Value::String(s) => out.push_str(&str_repr(s)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                repr_json(item, out, py2_order);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            out.push('{');
            let keys = if py2_order {
                yaml_templated_order(&keys)
            } else {
                keys
            };
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&str_repr(k));
                out.push_str(": ");
                repr_json(&map[k], out, py2_order);
            }
            out.push('}');
        }
    }
}

/// Python 2 `repr()` of a float (shortest round-trip form, `1e+16` style exponents).
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let abs = x.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        let s = format!("{x:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", exp.abs());
    }
    let s = format!("{x}");
    if s.contains('.') {
        s
    } else {
        s + ".0"
    }
}

/// Python 2 `str()` of a float (`%.12g`).
pub fn float_str(x: f64) -> String {
    crate::yaml::python2_float_str(x)
}

/// Python 2 `repr()` of a string: single quotes unless the text has `'` and no `"`; non-ASCII
/// text is shown as a `u'...'` literal with `\u` escapes.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let unicode = !s.is_ascii();
    let mut out = String::with_capacity(s.len() + 3);
    if unicode {
        out.push('u');
    }
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x7f => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(quote);
    out
}

/// Python 2 `unicode()` of a minijinja value (what `{{ x }}` prints in Ansible 1.2).
pub fn mj_str(v: &MjValue) -> String {
    match v.kind() {
        ValueKind::Undefined => String::new(),
        ValueKind::String => v.as_str().unwrap_or_default().to_string(),
        ValueKind::Number if v.as_i64().is_none() => match f64::try_from(v.clone()) {
            Ok(f) => float_str(f),
            Err(_) => v.to_string(),
        },
        _ => mj_repr(v),
    }
}

/// Python 2 `repr()` of a minijinja value. Maps iterate in the order the value carries (the
/// conversion into minijinja already put them in Python 2 order).
pub fn mj_repr(v: &MjValue) -> String {
    let mut out = String::new();
    repr_mj(v, &mut out);
    out
}

fn repr_mj(v: &MjValue, out: &mut String) {
    match v.kind() {
        ValueKind::Undefined => out.push_str(""),
        ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if v.is_true() { "True" } else { "False" }),
        ValueKind::Number => {
            if let Some(i) = v.as_i64() {
                out.push_str(&i.to_string());
            } else if let Ok(f) = f64::try_from(v.clone()) {
                out.push_str(&float_repr(f));
            } else {
                out.push_str(&v.to_string());
            }
        }
        ValueKind::String => out.push_str(&str_repr(v.as_str().unwrap_or_default())),
        ValueKind::Seq if v.downcast_object_ref::<super::filters::PyTuple>().is_some() => {
            let items: Vec<MjValue> = v.try_iter().map(|i| i.collect()).unwrap_or_default();
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                repr_mj(item, out);
            }
            if items.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            if let Ok(iter) = v.try_iter() {
                for (i, item) in iter.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    repr_mj(&item, out);
                }
            }
            out.push(']');
        }
        ValueKind::Map => {
            out.push('{');
            if let Ok(iter) = v.try_iter() {
                for (i, key) in iter.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    repr_mj(&key, out);
                    out.push_str(": ");
                    let val = v.get_item(&key).unwrap_or_default();
                    repr_mj(&val, out);
                }
            }
            out.push('}');
        }
        _ => out.push_str(&v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python2_forms() {
        assert_eq!(python_str(&json!(["148.6.0.1"])), "['148.6.0.1']");
        assert_eq!(python_str(&json!(true)), "True");
        assert_eq!(python_str(&json!(null)), "None");
        assert_eq!(python_str(&json!(420)), "420");
        assert_eq!(python_str(&json!(3.1)), "3.1");
        assert_eq!(
            python_str(&json!({"system": "10.1.0.0"})),
            "{'system': '10.1.0.0'}"
        );
        assert_eq!(python_repr(&json!("it's")), "\"it's\"");
        assert_eq!(python_repr(&json!("a\nb")), "'a\\nb'");
        assert_eq!(python_repr(&json!("é")), "u'\\xe9'");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(0.1), "0.1");
    }
}
