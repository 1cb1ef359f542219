//! Ansible 1.2's `template()` over values and its legacy `$var` / `${a.b}` / `$FILE()` pass
//! (`_legacy_varFind`, `legacy_varReplace`), ported rule for rule.

use super::engine::Engine;
use super::pyfmt::python_str;
use super::TemplateError;
use crate::value::Value;

/// Recursion limit of 1.2 ("template recursion depth exceeded").
pub(crate) const MAX_DEPTH: usize = 20;

/// What `_legacy_varFind` found: the byte span of the token and its value (`None`: keep the
/// token text).
pub(crate) struct Found {
    pub replacement: Option<Value>,
    pub start: usize,
    pub end: usize,
}

fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

/// Python's `str.isupper()`: some cased character and no lowercase one.
fn py_isupper(s: &str) -> bool {
    s.chars().any(|c| c.is_uppercase()) && !s.chars().any(|c| c.is_lowercase())
}

impl Engine<'_> {
    /// `_legacy_varFind`: the first `$` token of `text`, or `None` when there is none or it
    /// cannot be parsed (which stops the legacy pass).
    pub(crate) fn legacy_var_find(
        &self,
        text: &str,
        depth: usize,
        expand_lists: bool,
    ) -> Result<Option<Found>, TemplateError> {
        let Some(start) = text.find('$') else {
            return Ok(None);
        };
        if start + 1 == text.len() {
            return Ok(None);
        }
        if start > 0 && text.as_bytes()[start - 1] == b'\\' {
            return Ok(Some(Found {
                replacement: Some(Value::String("$".into())),
                start: start - 1,
                end: start + 1,
            }));
        }
        let mut var_start = start + 1;
        let is_complex = text.as_bytes()[var_start] == b'{';
        let mut brace_level: i32 = 1;
        if is_complex {
            var_start += 1;
        }
        let mut is_lookup = false;
        let mut lookup_name = String::new();
        let mut end = var_start;
        let mut part_start = var_start;
        // `space`: Some(Some(v)) = found value, Some(None) = lookup failed; None = still at
        // the variables themselves.
        let mut space: Option<Option<Value>> = None;

        while let Some(c) = char_at(text, end) {
            let in_braces = (is_lookup || is_complex) && brace_level > 0;
            let simple = !is_complex && !is_lookup;
            if !(in_braces || simple) {
                break;
            }
            if c.is_alphanumeric() || c == '_' {
            } else if simple && c == '(' && py_isupper(&text[part_start..end]) {
                is_lookup = true;
                lookup_name = text[part_start..end].to_string();
                part_start = end + 1;
            } else if is_lookup && c == '(' {
                brace_level += 1;
            } else if is_lookup && c == ')' {
                brace_level -= 1;
            } else if is_lookup {
            } else if is_complex && c == '{' {
                brace_level += 1;
            } else if is_complex && c == '}' {
                brace_level -= 1;
            } else if is_complex && matches!(c, '$' | '[' | ']' | '-') {
            } else if is_complex && c == '.' {
                if brace_level == 1 {
                    space = Some(self.limit_space(
                        space,
                        &text[part_start..end],
                        depth,
                        expand_lists,
                    )?);
                    part_start = end + 1;
                }
            } else {
                break;
            }
            end += c.len_utf8();
        }
        let mut var_end = end;
        if var_end == part_start {
            return Ok(Some(Found {
                replacement: None,
                start,
                end,
            }));
        }
        if is_lookup {
            var_end -= 1;
            let raw_args = text.get(part_start..var_end).unwrap_or("");
            let (name, args) = if lookup_name == "LOOKUP" {
                match raw_args.split_once(',') {
                    Some((n, a)) => (n.to_string(), a.trim().to_string()),
                    None => {
                        return Err(TemplateError::Lookup(format!(
                            "$LOOKUP({raw_args}) needs a plugin name and arguments"
                        )))
                    }
                }
            } else {
                (lookup_name.clone(), raw_args.to_string())
            };
            let args = self.legacy_var_replace(&args, depth + 1, true)?;
            if args.contains('$') {
                return Ok(None);
            }
            let replacement = self
                .run_lookup(&name.to_lowercase(), &Value::String(args))?
                .map(|items| {
                    if expand_lists {
                        let joined: Vec<String> = items.iter().map(python_str).collect();
                        Value::String(joined.join(","))
                    } else {
                        Value::Array(items)
                    }
                });
            return Ok(Some(Found {
                replacement,
                start,
                end,
            }));
        }
        if is_complex {
            var_end -= 1;
            if text.as_bytes().get(var_end) != Some(&b'}') || brace_level != 0 {
                return Ok(None);
            }
        }
        let part = &text[part_start..var_end];
        if part.is_empty() {
            return Ok(None);
        }
        let found = self.limit_space(space, part, depth, expand_lists)?;
        Ok(Some(Found {
            replacement: found,
            start,
            end,
        }))
    }

    /// `_legacy_varFindLimitSpace`: index the current value with one path part.
    fn limit_space(
        &self,
        space: Option<Option<Value>>,
        part: &str,
        depth: usize,
        expand_lists: bool,
    ) -> Result<Option<Value>, TemplateError> {
        let space = match space {
            Some(None) => return Ok(None),
            Some(Some(v)) => Some(v),
            None => None,
        };
        let mut part = part;
        if part.len() >= 2 && part.starts_with('{') && part.ends_with('}') {
            part = &part[1..part.len() - 1];
        }
        let part = self.legacy_var_replace(part, depth + 1, expand_lists)?;
        let found = match &space {
            None => self.lookup_var(&part),
            Some(v) => index_value(v, &part),
        };
        let found = match found {
            Some(f) => Some(f),
            None if part.contains('[') => {
                let Some((name, idx)) = list_index(&part) else {
                    return Ok(None);
                };
                let base = match &space {
                    None => self.lookup_var(name),
                    Some(v) => index_value(v, name),
                };
                match base {
                    Some(Value::Array(items)) => items.get(idx).cloned(),
                    _ => None,
                }
            }
            None => None,
        };
        match found {
            Some(Value::Null) | None => Ok(None),
            Some(Value::String(s)) => {
                let v = self.template(&Value::String(s), depth + 1, expand_lists)?;
                Ok((!v.is_null()).then_some(v))
            }
            Some(v) => Ok(Some(v)),
        }
    }

    /// `legacy_varReplace`: replace every `$` token up to the first unparseable one.
    pub(crate) fn legacy_var_replace(
        &self,
        raw: &str,
        depth: usize,
        expand_lists: bool,
    ) -> Result<String, TemplateError> {
        if depth > MAX_DEPTH {
            return Err(TemplateError::Recursion(raw.to_string()));
        }
        let mut done = String::with_capacity(raw.len());
        let mut rest = raw;
        while !rest.is_empty() {
            let Some(m) = self.legacy_var_find(rest, depth, expand_lists)? else {
                done.push_str(rest);
                break;
            };
            let mut replacement = m.replacement;
            if expand_lists {
                if let Some(Value::Array(items)) = &replacement {
                    let joined = items.iter().map(python_str).collect::<Vec<_>>().join(",");
                    replacement = Some(Value::String(joined));
                }
            }
            let text = match replacement {
                Some(Value::String(s)) => self.legacy_var_replace(&s, depth + 1, expand_lists)?,
                Some(v) => python_str(&v),
                None => rest[m.start..m.end].to_string(),
            };
            done.push_str(&rest[..m.start]);
            done.push_str(&text);
            rest = &rest[m.end..];
        }
        Ok(done)
    }
}

/// `space[part]` for a dict.
fn index_value(v: &Value, key: &str) -> Option<Value> {
    match v {
        Value::Object(m) => m.get(key).cloned(),
        _ => None,
    }
}

/// `(\w+)\[(\d+)\]` searched in `part`.
fn list_index(part: &str) -> Option<(&str, usize)> {
    let re_match = part.char_indices().find_map(|(i, c)| {
        if c != '[' {
            return None;
        }
        let name_start = part[..i]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map(|(j, _)| j)?;
        let digits: String = part[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if digits.is_empty() || !part[i + 1 + digits.len()..].starts_with(']') {
            return None;
        }
        Some((&part[name_start..i], digits.parse().ok()?))
    });
    re_match
}
