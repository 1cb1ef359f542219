//! Lookup plugins (`with_<name>`, `lookup()`, `$FILE()`/`$PIPE()`/`$ENV()`), as 1.2 had them
//! plus the modern `dict`, `together`, `subelements`, `indexed_items`, `flattened`.

use super::engine::Engine;
use super::pyeval::safe_eval;
use super::pyfmt::python_str;
use super::TemplateError;
use crate::value::{Map, Value};
use std::path::{Path, PathBuf};

fn err(msg: impl Into<String>) -> TemplateError {
    TemplateError::Lookup(msg.into())
}

/// 1.2's `path_dwim`: absolute, `~`, or relative to `basedir` (normalised like `abspath`).
pub(crate) fn path_dwim(basedir: &Path, given: &str) -> PathBuf {
    let p = if let Some(rest) = given.strip_prefix('~') {
        let home = std::env::var("HOME").unwrap_or_default();
        PathBuf::from(format!("{home}{rest}"))
    } else if given.starts_with('/') {
        PathBuf::from(given)
    } else {
        basedir.join(given)
    };
    normalize(&p)
}

fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn as_list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => vec![other],
    }
}

fn flatten_one(terms: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for t in terms {
        match t {
            Value::Array(a) => out.extend(a),
            other => out.push(other),
        }
    }
    out
}

fn run_shell(cmd: &str, basedir: &Path, what: &str) -> Result<String, TemplateError> {
    let out = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(basedir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| err(format!("lookup_plugin.{what}({cmd}): {e}")))?;
    if !out.status.success() {
        return Err(err(format!(
            "lookup_plugin.{what}({cmd}) returned {}",
            out.status.code().unwrap_or(-1)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Engine<'_> {
    /// 1.2's `listify_lookup_plugin_terms`.
    pub(crate) fn listify(&self, terms: &Value) -> Result<Value, TemplateError> {
        let Value::String(s) = terms else {
            return Ok(terms.clone());
        };
        let mut terms_s = s.clone();
        let mut result: Option<Value> = None;
        let stripped = s.trim();
        if !(stripped.starts_with('{') || stripped.starts_with('[') || stripped.starts_with('/')) {
            let wrapped = Value::String(format!("{{{{ {s} }}}}"));
            if let Ok(new_terms) = self.template(&wrapped, 0, true) {
                match new_terms {
                    Value::String(ns) if ns.contains("{{") => {}
                    Value::String(ns) => terms_s = ns,
                    other => result = Some(other),
                }
            }
        }
        if let Some(v) = result {
            return Ok(v);
        }
        if terms_s.contains('{') || terms_s.contains('[') {
            return Ok(safe_eval(&terms_s).to_value());
        }
        Ok(Value::Array(vec![Value::String(terms_s)]))
    }

    fn basedir(&self) -> PathBuf {
        if let Some(Value::String(f)) = self.ctx.vars.get("_original_file") {
            let dir = Path::new(f).parent().unwrap_or(Path::new("."));
            let files = normalize(&dir.join("../files"));
            if files.exists() {
                return files;
            }
        }
        self.ctx.basedir.to_path_buf()
    }

    /// Run lookup plugin `name` on `terms`; `Ok(None)` if there is no such plugin.
    pub(crate) fn run_lookup(
        &self,
        name: &str,
        terms: &Value,
    ) -> Result<Option<Vec<Value>>, TemplateError> {
        let basedir = self.basedir();
        let basedir = basedir.as_path();
        let list =
            |t: &Value| -> Result<Vec<Value>, TemplateError> { Ok(as_list(self.listify(t)?)) };
        let items = match name {
            "items" => {
                let t = self.listify(terms)?;
                let Value::Array(a) = t else {
                    return Err(err("with_items expects a list"));
                };
                flatten_one(a)
            }
            "file" => {
                let mut out = Vec::new();
                for t in list(terms)? {
                    let path = path_dwim(basedir, &python_str(&t));
                    let text = std::fs::read_to_string(&path)
                        .map_err(|_| err(format!("{} does not exist", path.display())))?;
                    out.push(Value::String(text.trim_end().to_string()));
                }
                out
            }
            "fileglob" => {
                let mut out = Vec::new();
                for t in list(terms)? {
                    let pat = path_dwim(basedir, &python_str(&t));
                    let pat = pat.to_string_lossy();
                    if let Ok(paths) = glob::glob(&pat) {
                        for p in paths.flatten() {
                            if p.is_file() {
                                out.push(Value::String(p.to_string_lossy().into_owned()));
                            }
                        }
                    }
                }
                out
            }
            "lines" => {
                let mut out = Vec::new();
                for t in list(terms)? {
                    let text = run_shell(&python_str(&t), basedir, "lines")?;
                    out.extend(text.lines().map(|l| Value::String(l.to_string())));
                }
                out
            }
            "pipe" => {
                let mut out = Vec::new();
                for t in list(terms)? {
                    let text = run_shell(&python_str(&t), basedir, "pipe")?;
                    out.push(Value::String(text.trim_end().to_string()));
                }
                out
            }
            "env" => list(terms)?
                .iter()
                .map(|t| {
                    let s = python_str(t);
                    let var = s.split_whitespace().next().unwrap_or("");
                    Value::String(std::env::var(var).unwrap_or_default())
                })
                .collect(),
            "template" => {
                let mut out = Vec::new();
                for t in list(terms)? {
                    let path = path_dwim(basedir, &python_str(&t));
                    out.push(Value::String(self.render_file_text(&path)?.text));
                }
                out
            }
            "nested" | "cartesian" => {
                let lists = self.inject_names(list(terms)?);
                if lists.is_empty() {
                    return Err(err(
                        "with_nested requires at least one element in the nested list",
                    ));
                }
                let mut result: Vec<Vec<Value>> = as_list(lists[0].clone())
                    .into_iter()
                    .map(|x| vec![x])
                    .collect();
                for l in &lists[1..] {
                    let mut next = Vec::new();
                    for r in &result {
                        for y in as_list(l.clone()) {
                            let mut row = r.clone();
                            row.push(y);
                            next.push(row);
                        }
                    }
                    result = next;
                }
                result
                    .into_iter()
                    .map(|row| Value::Array(flatten_one(row)))
                    .collect()
            }
            "together" => {
                let lists: Vec<Vec<Value>> = self
                    .inject_names(list(terms)?)
                    .into_iter()
                    .map(as_list)
                    .collect();
                let n = lists.iter().map(Vec::len).max().unwrap_or(0);
                (0..n)
                    .map(|i| {
                        Value::Array(
                            lists
                                .iter()
                                .map(|l| l.get(i).cloned().unwrap_or(Value::Null))
                                .collect(),
                        )
                    })
                    .collect()
            }
            "dict" => {
                let t = match terms {
                    Value::Object(_) => terms.clone(),
                    _ => self.listify(terms)?,
                };
                let t = match t {
                    Value::Array(mut a) if a.len() == 1 => a.remove(0),
                    other => other,
                };
                let Value::Object(m) = t else {
                    return Err(err("with_dict expects a dict"));
                };
                m.into_iter()
                    .map(|(k, v)| {
                        let mut e = Map::new();
                        e.insert("key".into(), Value::String(k));
                        e.insert("value".into(), v);
                        Value::Object(e)
                    })
                    .collect()
            }
            "indexed_items" => list(terms)?
                .into_iter()
                .enumerate()
                .map(|(i, v)| Value::Array(vec![Value::from(i as i64), v]))
                .collect(),
            "flattened" => {
                fn go(v: Value, out: &mut Vec<Value>) {
                    match v {
                        Value::Array(a) => a.into_iter().for_each(|x| go(x, out)),
                        Value::Null => {}
                        other => out.push(other),
                    }
                }
                let mut out = Vec::new();
                for t in self.inject_names(list(terms)?) {
                    go(t, &mut out);
                }
                out
            }
            "subelements" => {
                let t = list(terms)?;
                let (Some(base), Some(Value::String(key))) = (t.first(), t.get(1)) else {
                    return Err(err("subelements lookup expects a list of two items"));
                };
                let base = self.inject_names(vec![base.clone()]).remove(0);
                let mut out = Vec::new();
                for elem in as_list(base) {
                    let subs = elem
                        .get(key.as_str())
                        .cloned()
                        .unwrap_or(Value::Array(vec![]));
                    for s in as_list(subs) {
                        out.push(Value::Array(vec![elem.clone(), s]));
                    }
                }
                out
            }
            "random_choice" => {
                use rand::seq::SliceRandom;
                let t = list(terms)?;
                t.choose(&mut rand::thread_rng())
                    .cloned()
                    .into_iter()
                    .collect()
            }
            "first_found" => {
                let mut found = None;
                for t in list(terms)? {
                    let candidates = match &t {
                        Value::Object(m) => {
                            let files = m
                                .get("files")
                                .map(|f| as_list(f.clone()))
                                .unwrap_or_default();
                            let paths = m
                                .get("paths")
                                .map(|f| as_list(f.clone()))
                                .unwrap_or_default();
                            let mut c = Vec::new();
                            for f in &files {
                                if paths.is_empty() {
                                    c.push(python_str(f));
                                }
                                for p in &paths {
                                    c.push(format!("{}/{}", python_str(p), python_str(f)));
                                }
                            }
                            c
                        }
                        other => python_str(other)
                            .split(',')
                            .map(|s| s.trim().to_string())
                            .collect(),
                    };
                    for c in candidates {
                        let path = path_dwim(basedir, &c);
                        if path.exists() {
                            found = Some(path);
                            break;
                        }
                    }
                    if found.is_some() {
                        break;
                    }
                }
                match found {
                    Some(p) => vec![Value::String(p.to_string_lossy().into_owned())],
                    None => return Err(err("No file was found when using with_first_found.")),
                }
            }
            "sequence" => {
                let mut out = Vec::new();
                for t in list(terms)? {
                    out.extend(sequence(&python_str(&t))?);
                }
                out
            }
            "password" => {
                let mut out = Vec::new();
                for t in list(terms)? {
                    out.push(Value::String(self.password(&python_str(&t), basedir)?));
                }
                out
            }
            _ => return Ok(None),
        };
        Ok(Some(items))
    }

    /// `nested`'s `__lookup_injects`: a bare name that is a variable stands for its value.
    fn inject_names(&self, terms: Vec<Value>) -> Vec<Value> {
        terms
            .into_iter()
            .map(|t| match &t {
                Value::String(s) => match self.ctx.vars.get(s.as_str()) {
                    Some(v) => self.template(v, 1, true).unwrap_or_else(|_| v.clone()),
                    None => t,
                },
                _ => t,
            })
            .collect()
    }

    fn password(&self, term: &str, basedir: &Path) -> Result<String, TemplateError> {
        let mut parts = term.split_whitespace();
        let rel = parts.next().unwrap_or_default();
        let mut length = 20usize;
        for p in parts {
            if let Some(l) = p.strip_prefix("length=") {
                length = l
                    .parse()
                    .map_err(|_| err(format!("invalid length in {term}")))?;
            }
        }
        let path = path_dwim(basedir, rel);
        if let Ok(text) = std::fs::read_to_string(&path) {
            return Ok(text.trim_end().to_string());
        }
        use rand::Rng;
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,:-_";
        let mut rng = rand::thread_rng();
        let pw: String = (0..length)
            .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
            .collect();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| err(format!("{}: {e}", dir.display())))?;
        }
        std::fs::write(&path, format!("{pw}\n"))
            .map_err(|e| err(format!("{}: {e}", path.display())))?;
        Ok(pw)
    }
}

/// The `sequence` lookup: `start=1 end=10 stride=1 format=%d`, `count=`, or `[start-]end[/stride][:format]`.
fn sequence(term: &str) -> Result<Vec<Value>, TemplateError> {
    let (mut start, mut end, mut stride, mut count, mut format) =
        (1i64, None, 1i64, None, "%d".to_string());
    let parse = |s: &str| -> Result<i64, TemplateError> {
        let s = s.trim();
        let v = if let Some(h) = s.strip_prefix("0x") {
            i64::from_str_radix(h, 16)
        } else if let Some(o) = s.strip_prefix("0o") {
            i64::from_str_radix(o, 8)
        } else {
            s.parse()
        };
        v.map_err(|_| err(format!("can't parse arg {s} in sequence")))
    };
    if term.contains('=') {
        for kv in term.split_whitespace() {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| err(format!("bad sequence arg {kv}")))?;
            match k {
                "start" => start = parse(v)?,
                "end" => end = Some(parse(v)?),
                "stride" => stride = parse(v)?,
                "count" => count = Some(parse(v)?),
                "format" => format = v.to_string(),
                other => {
                    return Err(err(format!(
                        "unrecognized arguments to with_sequence: {other}"
                    )))
                }
            }
        }
    } else {
        let (rest, fmt) = match term.split_once(':') {
            Some((r, f)) => (r, Some(f)),
            None => (term, None),
        };
        if let Some(f) = fmt {
            format = f.to_string();
        }
        let (rest, st) = match rest.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (rest, None),
        };
        if let Some(s) = st {
            stride = parse(s)?;
        }
        match rest.split_once('-') {
            Some((a, b)) if !a.is_empty() => {
                start = parse(a)?;
                end = Some(parse(b)?);
            }
            _ => end = Some(parse(rest)?),
        }
    }
    if let Some(c) = count {
        end = Some(start + c * stride - stride.signum());
        if c == 0 {
            return Ok(vec![]);
        }
    }
    let end = end.ok_or_else(|| err("must specify count or end in with_sequence"))?;
    if stride == 0 {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    let mut i = start;
    while (stride > 0 && i <= end) || (stride < 0 && i >= end) {
        out.push(Value::String(printf_int(&format, i)));
        i += stride;
    }
    Ok(out)
}

/// `format % i` for the common `%d`, `%02d`, `%x`, `%o` forms.
fn printf_int(fmt: &str, i: i64) -> String {
    let Some(pos) = fmt.find('%') else {
        return fmt.to_string();
    };
    let rest = &fmt[pos + 1..];
    let spec_len = rest
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|p| p + 1)
        .unwrap_or(rest.len());
    let spec = &rest[..spec_len];
    if !spec.ends_with(|c: char| c.is_ascii_alphabetic()) {
        return fmt.to_string();
    }
    let (flags, conv) = spec.split_at(spec.len() - 1);
    let zero = flags.starts_with('0');
    let width: usize = flags.trim_start_matches('0').parse().unwrap_or(0);
    let body = match conv {
        "x" => format!("{i:x}"),
        "X" => format!("{i:X}"),
        "o" => format!("{i:o}"),
        _ => i.to_string(),
    };
    let padded = if zero {
        format!("{body:0>width$}")
    } else {
        format!("{body:>width$}")
    };
    format!("{}{}{}", &fmt[..pos], padded, &rest[spec_len..])
}
