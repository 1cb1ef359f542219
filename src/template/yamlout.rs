//! A small YAML emitter for `to_yaml` / `to_nice_yaml` with PyYAML `safe_dump`'s layout: keys
//! sorted, block style (with `flow_leaves`, collections of scalars in flow style like
//! `default_flow_style=None`, wrapped after column 80), sequences inside mappings not
//! indented, a mapping inside a sequence item starting on the dash's line.

use super::pyfmt::float_repr;
use crate::value::Value;

const WIDTH: usize = 80;

/// Dump `v` as YAML with `step` spaces per indentation level.
pub(crate) fn to_yaml(v: &Value, step: usize, flow_leaves: bool) -> String {
    let mut e = Emitter {
        out: String::new(),
        step,
        flow_leaves,
    };
    if e.is_block(v) {
        e.block(v, 0, false);
    } else if v.is_array() || v.is_object() {
        e.flow(v, step);
        e.out.push('\n');
    } else {
        e.out.push_str(&scalar_text(v));
        e.out.push_str("\n...\n");
    }
    e.out
}

struct Emitter {
    out: String,
    step: usize,
    flow_leaves: bool,
}

fn is_leaf(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.iter().all(|x| !x.is_array() && !x.is_object()),
        Value::Object(m) => m.values().all(|x| !x.is_array() && !x.is_object()),
        _ => true,
    }
}

fn sorted(m: &crate::value::Map) -> Vec<(&String, &Value)> {
    let mut items: Vec<(&String, &Value)> = m.iter().collect();
    items.sort_by(|a, b| a.0.cmp(b.0));
    items
}

impl Emitter {
    fn column(&self) -> usize {
        self.out.len() - self.out.rfind('\n').map(|i| i + 1).unwrap_or(0)
    }

    /// A non-empty collection written in block style.
    fn is_block(&self, v: &Value) -> bool {
        let non_empty = match v {
            Value::Array(a) => !a.is_empty(),
            Value::Object(m) => !m.is_empty(),
            _ => false,
        };
        non_empty && !(self.flow_leaves && is_leaf(v))
    }

    fn flow(&mut self, v: &Value, indent: usize) {
        let (open, close) = match v {
            Value::Array(_) => ('[', ']'),
            Value::Object(_) => ('{', '}'),
            s => {
                let t = scalar_text(s);
                self.out.push_str(&t);
                return;
            }
        };
        self.out.push(open);
        let items: Vec<(Option<&String>, &Value)> = match v {
            Value::Array(a) => a.iter().map(|x| (None, x)).collect(),
            Value::Object(m) => sorted(m).into_iter().map(|(k, x)| (Some(k), x)).collect(),
            _ => Vec::new(),
        };
        for (i, (k, x)) in items.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
                if self.column() > WIDTH {
                    self.out.push('\n');
                    self.out.push_str(&" ".repeat(indent));
                } else {
                    self.out.push(' ');
                }
            }
            if let Some(k) = k {
                self.out.push_str(&scalar_text(&Value::String(k.clone())));
                self.out.push_str(": ");
            }
            self.flow(x, indent + self.step);
        }
        self.out.push(close);
    }

    /// Write a block collection at `indent`; `inline` = the cursor already sits at `indent`
    /// (first entry of a sequence item).
    fn block(&mut self, v: &Value, indent: usize, inline: bool) {
        let pad = " ".repeat(indent);
        match v {
            Value::Object(m) => {
                for (i, (k, x)) in sorted(m).into_iter().enumerate() {
                    if i > 0 || !inline {
                        self.out.push_str(&pad);
                    }
                    self.out.push_str(&scalar_text(&Value::String(k.clone())));
                    self.out.push(':');
                    if self.is_block(x) {
                        self.out.push('\n');
                        let child = if x.is_array() {
                            indent
                        } else {
                            indent + self.step
                        };
                        self.block(x, child, false);
                    } else {
                        self.out.push(' ');
                        self.flow(x, indent + self.step);
                        self.out.push('\n');
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    if i > 0 || !inline {
                        self.out.push_str(&pad);
                    }
                    self.out.push('-');
                    if self.is_block(x) {
                        self.out
                            .push_str(&" ".repeat(self.step.saturating_sub(1).max(1)));
                        self.block(x, indent + self.step.max(2), true);
                    } else {
                        self.out.push(' ');
                        self.flow(x, indent + self.step);
                        self.out.push('\n');
                    }
                }
            }
            s => {
                self.out.push_str(&scalar_text(s));
                self.out.push('\n');
            }
        }
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
    s.ends_with(' ')
        || s.contains(": ")
        || s.contains(" #")
        || s.contains('\n')
        || s.contains([',', '[', ']', '{', '}'])
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
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        other => to_yaml(other, 2, true).trim_end().to_string(),
    }
}
