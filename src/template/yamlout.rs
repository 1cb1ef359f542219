//! A small YAML emitter for `to_yaml` / `to_nice_yaml` (PyYAML `safe_dump` layout: block
//! style; with `flow_leaves`, collections of scalars in flow style like `default_flow_style=None`).

use super::pyfmt::float_repr;
use crate::value::Value;

/// Dump `v` as YAML with `indent` spaces per level.
pub(crate) fn to_yaml(v: &Value, indent: usize, flow_leaves: bool) -> String {
    let mut out = String::new();
    match v {
        _ if nested(v, flow_leaves) => block(v, indent, flow_leaves, 0, &mut out),
        Value::Array(_) | Value::Object(_) => {
            out.push_str(&flow(v));
            out.push('\n');
        }
        scalar => {
            out.push_str(&scalar_text(scalar));
            out.push_str("\n...\n");
        }
    }
    out
}

/// A non-empty collection written in block style.
fn nested(v: &Value, flow_leaves: bool) -> bool {
    let non_empty = match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
        _ => false,
    };
    non_empty && !(flow_leaves && is_leaf(v))
}

fn is_leaf(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.iter().all(|x| !x.is_array() && !x.is_object()),
        Value::Object(m) => m.values().all(|x| !x.is_array() && !x.is_object()),
        _ => true,
    }
}

fn needs_quotes(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
    ) {
        return true;
    }
    if s.parse::<f64>().is_ok() || s.starts_with(|c: char| " -?:,[]{}#&*!|>'\"%@`".contains(c)) {
        return true;
    }
    s.ends_with(' ') || s.contains(": ") || s.contains(" #") || s.contains('\n')
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => if *b { "true" } else { "false" }.into(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => float_repr(f),
            _ => n.to_string(),
        },
        Value::String(s) if needs_quotes(s) => format!("'{}'", s.replace('\'', "''")),
        Value::String(s) => s.clone(),
        other => flow(other),
    }
}

fn flow(v: &Value) -> String {
    match v {
        Value::Array(a) => format!("[{}]", a.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", scalar_text(&Value::String(k.clone())), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        s => scalar_text(s),
    }
}

fn block(v: &Value, indent: usize, fl: bool, level: usize, out: &mut String) {
    let pad = " ".repeat(indent * level);
    match v {
        Value::Array(a) => {
            for item in a {
                out.push_str(&pad);
                out.push_str("- ");
                match item {
                    _ if nested(item, fl) => {
                        out.push('\n');
                        block(item, indent, fl, level + 1, out);
                    }
                    _ => {
                        out.push_str(&flow(item));
                        out.push('\n');
                    }
                }
            }
        }
        Value::Object(m) => {
            for (k, item) in m {
                out.push_str(&pad);
                out.push_str(&scalar_text(&Value::String(k.clone())));
                out.push(':');
                match item {
                    _ if nested(item, fl) => {
                        out.push('\n');
                        block(item, indent, fl, level + 1, out);
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&flow(item));
                        out.push('\n');
                    }
                }
            }
        }
        s => {
            out.push_str(&pad);
            out.push_str(&scalar_text(s));
            out.push('\n');
        }
    }
}
