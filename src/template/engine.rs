//! The per-call templating engine: 1.2's `template()` over values (Jinja2 first, then the
//! legacy `$` pass) and modern Jinja2-only templating.

use super::jinja::{JinjaOutcome, Mode};
use super::legacy::MAX_DEPTH;
use super::{Dialect, Inner, TemplateContext, TemplateError};
use crate::value::{Map, Value};

/// Borrowed state of one templating call.
pub(crate) struct Engine<'e> {
    pub inner: &'e Inner,
    pub ctx: &'e TemplateContext<'e>,
    /// Extra variables visible to Jinja2 (template-file magic vars).
    pub extra: Option<&'e Map>,
    /// Names a lenient render read without finding them (for warnings).
    pub misses: std::cell::RefCell<Vec<String>>,
}

impl<'e> Engine<'e> {
    pub fn new(inner: &'e Inner, ctx: &'e TemplateContext<'e>) -> Self {
        Self {
            inner,
            ctx,
            extra: None,
            misses: Default::default(),
        }
    }

    /// A variable as stored (not templated); `hostvars` built from the lookup if needed.
    pub fn lookup_var(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.extra.and_then(|e| e.get(name)) {
            return Some(v.clone());
        }
        if let Some(v) = self.ctx.vars.get(name) {
            return Some(v.clone());
        }
        if name == "hostvars" {
            let hv = self.ctx.hostvars.as_ref()?;
            let mut m = Map::new();
            for h in hv.hosts() {
                if let Some(v) = hv.get(&h) {
                    m.insert(h, v);
                }
            }
            return Some(Value::Object(m));
        }
        None
    }

    /// Ansible's `template()` of a value: strings templated, lists and dicts element-wise
    /// (keys untouched), other values returned as they are.
    pub fn template(
        &self,
        v: &Value,
        depth: usize,
        expand_lists: bool,
    ) -> Result<Value, TemplateError> {
        if depth > MAX_DEPTH + 2 {
            return Err(TemplateError::Recursion(python_short(v)));
        }
        match v {
            Value::String(s) => self.template_string_value(s, depth, expand_lists),
            Value::Array(items) => Ok(Value::Array(
                items
                    .iter()
                    .map(|i| self.template(i, depth, expand_lists))
                    .collect::<Result<_, _>>()?,
            )),
            Value::Object(m) => {
                let mut out = Map::with_capacity(m.len());
                for (k, v) in m {
                    out.insert(k.clone(), self.template(v, depth, expand_lists)?);
                }
                Ok(Value::Object(out))
            }
            other => Ok(other.clone()),
        }
    }

    fn template_string_value(
        &self,
        s: &str,
        depth: usize,
        expand_lists: bool,
    ) -> Result<Value, TemplateError> {
        if self.ctx.dialect == Dialect::Modern {
            return self.modern_string_value(s, depth);
        }
        if !s.contains('$') && !s.contains("{{") && !s.contains("{%") {
            return Ok(Value::String(s.to_string()));
        }
        let rendered;
        let s = if s.contains("{{") || s.contains("{%") {
            rendered = self.template_from_string(s, depth)?;
            rendered.as_str()
        } else {
            s
        };
        if !s.contains('$') {
            return Ok(Value::String(s.to_string()));
        }
        let Some(m) = self.legacy_var_find(s, depth, expand_lists)? else {
            return Ok(Value::String(s.to_string()));
        };
        if m.start == 0 && m.end == s.len() {
            match m.replacement {
                Some(r) => self.template(&r, depth, expand_lists),
                None => Ok(Value::String(s.to_string())),
            }
        } else {
            Ok(Value::String(self.legacy_var_replace(
                s,
                depth,
                expand_lists,
            )?))
        }
    }

    /// 1.2's `template_from_string`: Jinja2 with StrictUndefined; an undefined variable or a
    /// syntax error returns the text unchanged.
    pub fn template_from_string(&self, s: &str, depth: usize) -> Result<String, TemplateError> {
        match self.inner.jinja.render(self, s, Mode::Strict12, depth)? {
            JinjaOutcome::Rendered(out) => Ok(out),
            JinjaOutcome::Undefined(_) | JinjaOutcome::Syntax(_) => Ok(s.to_string()),
            JinjaOutcome::Failed(e) => Err(TemplateError::Jinja {
                source_name: abbreviate(s),
                line: e.line().unwrap_or(1),
                msg: super::jinja::error_text(&e),
            }),
        }
    }

    /// Modern Ansible: Jinja2 only; undefined variables are errors; a string that is one
    /// `{{ expr }}` keeps the expression's type.
    fn modern_string_value(&self, s: &str, depth: usize) -> Result<Value, TemplateError> {
        if !s.contains("{{") && !s.contains("{%") {
            return Ok(Value::String(s.to_string()));
        }
        if let Some(expr) = single_expression(s) {
            return self.inner.jinja.eval_expr(self, expr, depth);
        }
        match self.inner.jinja.render(self, s, Mode::Modern, depth)? {
            JinjaOutcome::Rendered(out) => Ok(Value::String(out)),
            JinjaOutcome::Undefined(e) | JinjaOutcome::Syntax(e) | JinjaOutcome::Failed(e) => {
                Err(TemplateError::Jinja {
                    source_name: abbreviate(s),
                    line: e.line().unwrap_or(1),
                    msg: super::jinja::error_text(&e),
                })
            }
        }
    }
}

/// `{{ expr }}` spanning the whole string (no other tags).
fn single_expression(s: &str) -> Option<&str> {
    let t = s.trim();
    let inner = t.strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}") && !inner.contains("{%"))
        .then_some(inner.trim())
}

/// A string shortened for error messages.
pub(crate) fn abbreviate(s: &str) -> String {
    let one_line = s.replace('\n', "\\n");
    if one_line.chars().count() > 80 {
        let cut: String = one_line.chars().take(77).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

fn python_short(v: &Value) -> String {
    abbreviate(&super::pyfmt::python_str(v))
}
