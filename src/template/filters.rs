//! Ansible's Jinja2 filters and tests, and Jinja2 2.7 built-ins whose Python output differs from
//! minijinja's (`join`, `string`, `int`, ...).

use super::jinja::{mj_to_value, value_to_mj, MapOrder};
use super::pyfmt::{mj_str, python_str};
use crate::value::Value;
use base64::Engine as _;
use minijinja::value::{Kwargs, Rest, Value as MjValue, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Register Ansible's filters and tests on `env`.
pub(crate) fn register(env: &mut Environment<'static>, modern: bool) {
    let order = if modern {
        MapOrder::Insertion
    } else {
        MapOrder::Templated12
    };
    env.add_filter("join", join);
    env.add_filter("string", |v: MjValue| mj_str(&v));
    env.add_filter("int", int);
    env.add_filter("float", float);
    env.add_filter("bool", to_bool);
    env.add_filter(
        "to_json",
        move |v: MjValue, kw: Kwargs| -> Result<String, Error> {
            let _ = kw.get::<Option<MjValue>>("indent");
            Ok(py_json(&mj_to_value(&v), None, false, !modern))
        },
    );
    env.add_filter(
        "to_nice_json",
        move |v: MjValue, kw: Kwargs| -> Result<String, Error> {
            let indent: Option<usize> = kw.get("indent")?;
            Ok(py_json(
                &mj_to_value(&v),
                Some(indent.unwrap_or(4)),
                true,
                !modern,
            ))
        },
    );
    env.add_filter("from_json", move |s: String| -> Result<MjValue, Error> {
        let v: Value = serde_json::from_str(&s).map_err(|e| invalid(format!("from_json: {e}")))?;
        Ok(value_to_mj(v, order))
    });
    env.add_filter("from_yaml", move |s: String| -> Result<MjValue, Error> {
        let docs = crate::yaml::load_str(&s, "<from_yaml>").map_err(|e| invalid(e.to_string()))?;
        Ok(value_to_mj(
            docs.first().map(|d| d.to_value()).unwrap_or(Value::Null),
            order,
        ))
    });
    env.add_filter("to_yaml", |v: MjValue| {
        super::yamlout::to_yaml(&mj_to_value(&v), 2, true)
    });
    env.add_filter("to_nice_yaml", |v: MjValue| {
        super::yamlout::to_yaml(&mj_to_value(&v), 4, false)
    });
    env.add_filter("b64encode", |s: String| {
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
    });
    env.add_filter("b64decode", |s: String| -> Result<String, Error> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s.trim().as_bytes())
            .map_err(|e| invalid(format!("b64decode: {e}")))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    });
    env.add_filter("basename", |s: String| {
        s.rsplit('/').next().unwrap_or_default().to_string()
    });
    env.add_filter("dirname", |s: String| match s.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => {
            let d = s[..i].trim_end_matches('/');
            if d.is_empty() {
                "/".into()
            } else {
                d.to_string()
            }
        }
        None => String::new(),
    });
    env.add_filter("failed", |v: MjValue| result_failed(&v));
    env.add_filter("success", |v: MjValue| result_failed(&v).map(|f| !f));
    env.add_filter("changed", |v: MjValue| flag(&v, "changed"));
    env.add_filter("skipped", |v: MjValue| flag(&v, "skipped"));
    env.add_test("failed", |v: MjValue| result_failed(&v));
    env.add_test("success", |v: MjValue| result_failed(&v).map(|f| !f));
    env.add_test("succeeded", |v: MjValue| result_failed(&v).map(|f| !f));
    env.add_test("changed", |v: MjValue| flag(&v, "changed"));
    env.add_test("skipped", |v: MjValue| flag(&v, "skipped"));
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
    env.add_test("match", |v: String, re: String| -> Result<bool, Error> {
        Ok(regex(&format!("^(?:{re})"))?.is_match(&v))
    });
    env.add_test("search", |v: String, re: String| -> Result<bool, Error> {
        Ok(regex(&re)?.is_match(&v))
    });
    env.add_test("regex", |v: String, re: String| -> Result<bool, Error> {
        Ok(regex(&re)?.is_match(&v))
    });
    env.add_filter("mandatory", |v: MjValue| -> Result<MjValue, Error> {
        if v.is_undefined() {
            Err(Error::new(
                ErrorKind::UndefinedError,
                "Mandatory variable not defined.",
            ))
        } else {
            Ok(v)
        }
    });
    env.add_filter(
        "ternary",
        |v: MjValue, a: MjValue, b: MjValue| {
            if v.is_true() {
                a
            } else {
                b
            }
        },
    );
    env.add_filter("union", |a: Vec<MjValue>, b: Vec<MjValue>| {
        let mut out: Vec<MjValue> = Vec::new();
        for x in a.into_iter().chain(b) {
            if !out.contains(&x) {
                out.push(x);
            }
        }
        out
    });
    env.add_filter("intersect", |a: Vec<MjValue>, b: Vec<MjValue>| {
        let mut out: Vec<MjValue> = Vec::new();
        for x in a {
            if b.contains(&x) && !out.contains(&x) {
                out.push(x);
            }
        }
        out
    });
    env.add_filter("difference", |a: Vec<MjValue>, b: Vec<MjValue>| {
        let mut out: Vec<MjValue> = Vec::new();
        for x in a {
            if !b.contains(&x) && !out.contains(&x) {
                out.push(x);
            }
        }
        out
    });
    env.add_filter(
        "symmetric_difference",
        |a: Vec<MjValue>, b: Vec<MjValue>| {
            let mut out: Vec<MjValue> = Vec::new();
            for x in a
                .iter()
                .filter(|x| !b.contains(x))
                .chain(b.iter().filter(|x| !a.contains(x)))
            {
                if !out.contains(x) {
                    out.push(x.clone());
                }
            }
            out
        },
    );
    env.add_filter(
        "combine",
        move |dicts: Rest<MjValue>, kw: Kwargs| -> Result<MjValue, Error> {
            let recursive: Option<bool> = kw.get("recursive")?;
            let mut acc = Value::Object(Default::default());
            for d in dicts.iter() {
                merge(&mut acc, mj_to_value(d), recursive.unwrap_or(false));
            }
            Ok(value_to_mj(acc, MapOrder::Insertion))
        },
    );
    env.add_filter("dict2items", |v: MjValue| -> Result<MjValue, Error> {
        let Value::Object(m) = mj_to_value(&v) else {
            return Err(invalid("dict2items requires a dictionary"));
        };
        let items: Vec<Value> = m
            .into_iter()
            .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
            .collect();
        Ok(value_to_mj(Value::Array(items), MapOrder::Insertion))
    });
    env.add_filter("items2dict", |v: MjValue| -> Result<MjValue, Error> {
        let Value::Array(items) = mj_to_value(&v) else {
            return Err(invalid("items2dict requires a list"));
        };
        let mut m = crate::value::Map::new();
        for it in items {
            if let (Some(k), Some(v)) = (it.get("key"), it.get("value")) {
                m.insert(python_str(k), v.clone());
            }
        }
        Ok(value_to_mj(Value::Object(m), MapOrder::Insertion))
    });
    env.add_filter(
        "hash",
        |s: String, kind: Option<String>| -> Result<String, Error> {
            hash_hex(&s, kind.as_deref().unwrap_or("sha1"))
        },
    );
    env.add_filter("checksum", |s: String| hash_hex(&s, "sha1"));
    env.add_filter("md5", |s: String| hash_hex(&s, "md5"));
    env.add_filter("sha1", |s: String| hash_hex(&s, "sha1"));
    env.add_filter("password_hash", password_hash);
    env.add_filter("quote", |s: String| shell_quote(&s));
    env.add_filter("flatten", |v: Vec<MjValue>| {
        fn go(v: &[MjValue], out: &mut Vec<MjValue>) {
            for x in v {
                if x.kind() == ValueKind::Seq {
                    let inner: Vec<MjValue> = x.try_iter().map(|i| i.collect()).unwrap_or_default();
                    go(&inner, out);
                } else {
                    out.push(x.clone());
                }
            }
        }
        let mut out = Vec::new();
        go(&v, &mut out);
        out
    });
    env.add_filter("ipaddr", ipaddr);
    env.add_filter("ipv4", |v: MjValue, q: Option<String>| {
        ipaddr_family(v, q, 4)
    });
    env.add_filter("ipv6", |v: MjValue, q: Option<String>| {
        ipaddr_family(v, q, 6)
    });
    env.add_filter("version_compare", version_test);
    env.add_test("version", version_test);
    env.add_test("version_compare", version_test);
}

/// Python 2 method names on values (`d.iteritems()`, `d.has_key(k)`, `s.lower()` ...).
pub(crate) fn unknown_method(
    state: &mut State,
    value: &MjValue,
    method: &str,
    args: &[MjValue],
) -> Result<MjValue, Error> {
    let method = match method {
        "items" | "iteritems" if value.kind() == ValueKind::Map => {
            let mut out = Vec::new();
            for k in value.try_iter()? {
                let v = value.get_item(&k)?;
                out.push(MjValue::from_object(PyTuple(vec![k, v])));
            }
            return Ok(MjValue::from(out));
        }
        "iterkeys" => "keys",
        "itervalues" => "values",
        "has_key" => {
            let key = args.first().cloned().unwrap_or_default();
            return Ok(MjValue::from(
                value
                    .get_item(&key)
                    .map(|v| !v.is_undefined())
                    .unwrap_or(false),
            ));
        }
        m => m,
    };
    minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)
}

fn join(v: MjValue, sep: Option<String>, kw: Kwargs) -> Result<String, Error> {
    let attribute: Option<String> = kw.get("attribute")?;
    let sep = sep.unwrap_or_default();
    if let Some(s) = v.as_str() {
        return Ok(s.chars().map(String::from).collect::<Vec<_>>().join(&sep));
    }
    if v.is_undefined() || v.is_none() {
        return Ok(String::new());
    }
    let mut parts = Vec::new();
    for item in v.try_iter()? {
        let item = match &attribute {
            Some(a) => item.get_attr(a)?,
            None => item,
        };
        parts.push(mj_str(&item));
    }
    Ok(parts.join(&sep))
}

fn int(v: MjValue, default: Option<MjValue>, kw: Kwargs) -> Result<MjValue, Error> {
    let base: Option<u32> = kw.get("base")?;
    let default = default.unwrap_or(MjValue::from(0));
    Ok(match v.kind() {
        ValueKind::Bool => MjValue::from(v.is_true() as i64),
        ValueKind::Number => match v.as_i64() {
            Some(i) => MjValue::from(i),
            None => f64::try_from(v.clone())
                .map(|f| MjValue::from(f.trunc() as i64))
                .unwrap_or(default),
        },
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default().trim();
            let base = base.unwrap_or(10);
            match i64::from_str_radix(s, base) {
                Ok(i) => MjValue::from(i),
                Err(_) => match s.parse::<f64>() {
                    Ok(f) if base == 10 => MjValue::from(f.trunc() as i64),
                    _ => default,
                },
            }
        }
        _ => default,
    })
}

fn float(v: MjValue, default: Option<MjValue>) -> MjValue {
    let default = default.unwrap_or(MjValue::from(0.0));
    match v.kind() {
        ValueKind::Number => f64::try_from(v.clone())
            .map(MjValue::from)
            .unwrap_or(default),
        ValueKind::String => v
            .as_str()
            .unwrap_or_default()
            .trim()
            .parse::<f64>()
            .map(MjValue::from)
            .unwrap_or(default),
        ValueKind::Bool => MjValue::from(if v.is_true() { 1.0 } else { 0.0 }),
        _ => default,
    }
}

fn to_bool(v: MjValue) -> bool {
    match v.kind() {
        ValueKind::Bool => v.is_true(),
        ValueKind::Number => v.as_i64() == Some(1),
        ValueKind::String => matches!(
            v.as_str().unwrap_or_default().to_lowercase().trim(),
            "yes" | "on" | "1" | "true" | "y"
        ),
        _ => false,
    }
}

fn result_failed(v: &MjValue) -> Result<bool, Error> {
    if v.kind() != ValueKind::Map {
        return Err(invalid("|failed expects a dictionary"));
    }
    let rc = v.get_attr("rc").ok().and_then(|r| r.as_i64()).unwrap_or(0);
    let failed = v.get_attr("failed").map(|f| f.is_true()).unwrap_or(false);
    Ok(rc != 0 || failed)
}

fn flag(v: &MjValue, key: &str) -> Result<bool, Error> {
    if v.kind() != ValueKind::Map {
        return Err(invalid(format!("|{key} expects a dictionary")));
    }
    Ok(v.get_attr(key).map(|f| f.is_true()).unwrap_or(false))
}

fn regex(re: &str) -> Result<regex::Regex, Error> {
    regex::Regex::new(re).map_err(|e| invalid(format!("invalid regular expression: {e}")))
}

/// Python `re.sub` replacement syntax (`\1`, `\g<name>`) to the regex crate's (`${1}`).
fn py_replacement(rep: &str) -> String {
    let mut out = String::new();
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    chars.next();
                    out.push_str(&format!("${{{d}}}"));
                }
                Some('g') => {
                    chars.next();
                    if chars.peek() == Some(&'<') {
                        chars.next();
                        let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
                        out.push_str(&format!("${{{name}}}"));
                    } else {
                        out.push_str("\\g");
                    }
                }
                Some('n') => {
                    chars.next();
                    out.push('\n');
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

fn regex_replace(s: String, re: String, rep: Option<String>) -> Result<String, Error> {
    let rx = regex(&re)?;
    Ok(rx
        .replace_all(&s, py_replacement(&rep.unwrap_or_default()).as_str())
        .into_owned())
}

fn regex_search(s: String, re: String) -> Result<MjValue, Error> {
    let rx = regex(&re)?;
    Ok(match rx.find(&s) {
        Some(m) => MjValue::from(m.as_str()),
        None => MjValue::from(()),
    })
}

fn merge(acc: &mut Value, new: Value, recursive: bool) {
    match (acc, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(old) if recursive && old.is_object() && v.is_object() => {
                        merge(old, v, true)
                    }
                    _ => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (acc, new) => *acc = new,
    }
}

fn hash_hex(s: &str, kind: &str) -> Result<String, Error> {
    use sha2::Digest;
    Ok(match kind {
        "md5" => hex::encode(md5::Md5::digest(s.as_bytes())),
        "sha1" => hex::encode(sha1::Sha1::digest(s.as_bytes())),
        "sha256" => hex::encode(sha2::Sha256::digest(s.as_bytes())),
        "sha512" => hex::encode(sha2::Sha512::digest(s.as_bytes())),
        other => return Err(invalid(format!("unsupported hash type {other}"))),
    })
}

fn password_hash(s: String, kind: Option<String>, salt: Option<String>) -> Result<String, Error> {
    let kind = kind.unwrap_or_else(|| "sha512".into());
    if kind != "sha512" && kind != "sha512_crypt" {
        return Err(invalid(format!("password_hash: unsupported scheme {kind}")));
    }
    const TABLE: [usize; 64] = [
        42, 21, 0, 1, 43, 22, 23, 2, 44, 45, 24, 3, 4, 46, 25, 26, 5, 47, 48, 27, 6, 7, 49, 28, 29,
        8, 50, 51, 30, 9, 10, 52, 31, 32, 11, 53, 54, 33, 12, 13, 55, 34, 35, 14, 56, 57, 36, 15,
        16, 58, 37, 38, 17, 59, 60, 39, 18, 19, 61, 40, 41, 20, 62, 63,
    ];
    const B64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let salt = salt.unwrap_or_else(|| {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        (0..16).map(|_| B64[rng.gen_range(0..64)] as char).collect()
    });
    let salt: String = salt.chars().take(16).collect();
    let params = sha_crypt::Params::new(5000).map_err(|_| invalid("password_hash: bad rounds"))?;
    let raw = sha_crypt::sha512_crypt(s.as_bytes(), salt.as_bytes(), params);
    let bytes: Vec<u8> = TABLE.iter().map(|&i| raw[i]).collect();
    let mut enc = String::new();
    for chunk in bytes.chunks(3) {
        let mut v: u32 = 0;
        for (i, b) in chunk.iter().enumerate() {
            v |= (*b as u32) << (8 * i);
        }
        for i in 0..=chunk.len() {
            enc.push(B64[((v >> (6 * i)) & 63) as usize] as char);
        }
    }
    Ok(format!("$6${salt}${enc}"))
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

fn version_test(a: MjValue, b: MjValue, op: Option<String>) -> Result<bool, Error> {
    use std::cmp::Ordering;
    let parse = |v: &MjValue| -> Vec<u64> {
        mj_str(v)
            .split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.parse().ok())
            .collect()
    };
    let (x, y) = (parse(&a), parse(&b));
    let ord = x.cmp(&y);
    Ok(match op.as_deref().unwrap_or("eq") {
        "lt" | "<" => ord == Ordering::Less,
        "le" | "<=" => ord != Ordering::Greater,
        "gt" | ">" => ord == Ordering::Greater,
        "ge" | ">=" => ord != Ordering::Less,
        "eq" | "==" | "=" => ord == Ordering::Equal,
        "ne" | "!=" | "<>" => ord != Ordering::Equal,
        other => return Err(invalid(format!("version: unknown operator {other}"))),
    })
}

/// Python's `json.dumps` (`sort_keys` for `to_nice_json`; Python 2 keeps the `", "` item
/// separator even when indenting, leaving a space at line ends).
pub(crate) fn py_json(v: &Value, indent: Option<usize>, sort_keys: bool, py2: bool) -> String {
    let mut out = String::new();
    let item_sep = if indent.is_some() && !py2 { "," } else { ", " };
    json_write(v, indent, sort_keys, item_sep, 0, &mut out);
    out
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_write(
    v: &Value,
    indent: Option<usize>,
    sort: bool,
    item_sep: &str,
    level: usize,
    out: &mut String,
) {
    let nl = |out: &mut String, level: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * level));
        }
    };
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => out.push_str(&super::pyfmt::float_repr(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => json_str(s, out),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                nl(out, level + 1);
                json_write(item, indent, sort, item_sep, level + 1, out);
            }
            nl(out, level);
            out.push(']');
        }
        Value::Object(m) => {
            if m.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut keys: Vec<&String> = m.keys().collect();
            if sort {
                keys.sort();
            }
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                nl(out, level + 1);
                json_str(k, out);
                out.push_str(": ");
                json_write(&m[k], indent, sort, item_sep, level + 1, out);
            }
            nl(out, level);
            out.push('}');
        }
    }
}

/// `ipaddr` basics: validate an address or `addr/prefix`, or extract `address`, `network`,
/// `netmask`, `prefix`, `broadcast`, `host`, `size` (IPv4; IPv6 for validation, `address`,
/// `prefix`). Lists are filtered to their valid members.
fn ipaddr(v: MjValue, query: Option<String>) -> MjValue {
    ipaddr_family(v, query, 0)
}

fn ipaddr_family(v: MjValue, query: Option<String>, family: u8) -> MjValue {
    if v.kind() == ValueKind::Seq {
        let items: Vec<MjValue> = v
            .try_iter()
            .map(|it| {
                it.map(|x| ipaddr_one(&mj_str(&x), query.as_deref(), family))
                    .filter(|r| r.kind() != ValueKind::Bool)
                    .collect()
            })
            .unwrap_or_default();
        return MjValue::from(items);
    }
    ipaddr_one(&mj_str(&v), query.as_deref(), family)
}

fn ipaddr_one(s: &str, query: Option<&str>, family: u8) -> MjValue {
    use std::net::IpAddr;
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, p.parse::<u8>().ok()),
        None => (s, None),
    };
    let Ok(ip) = addr.trim().parse::<IpAddr>() else {
        return MjValue::from(false);
    };
    let bits = if ip.is_ipv4() { 32 } else { 128 };
    if (family == 4 && !ip.is_ipv4()) || (family == 6 && ip.is_ipv4()) {
        return MjValue::from(false);
    }
    let prefix = match (s.contains('/'), prefix) {
        (true, None) => return MjValue::from(false),
        (_, Some(p)) if p > bits => return MjValue::from(false),
        (_, p) => p.unwrap_or(bits),
    };
    let query = query.unwrap_or("");
    let v4 = match ip {
        IpAddr::V4(a) => Some(u32::from(a)),
        IpAddr::V6(_) => None,
    };
    let mask = if v4.is_none() || prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix as u32)
    };
    let dotted = |x: u32| std::net::Ipv4Addr::from(x).to_string();
    match (query, v4) {
        ("", _) => MjValue::from(s),
        ("address", _) => MjValue::from(ip.to_string()),
        ("prefix", _) => MjValue::from(prefix as i64),
        ("host", _) => MjValue::from(format!("{ip}/{prefix}")),
        ("network", Some(a)) => MjValue::from(dotted(a & mask)),
        ("netmask", Some(_)) => MjValue::from(dotted(mask)),
        ("broadcast", Some(a)) => MjValue::from(dotted(a | !mask)),
        ("size", Some(_)) => MjValue::from(1i64 << (32 - prefix as u32)),
        ("net", Some(a)) if a & mask == a => MjValue::from(s),
        _ => MjValue::from(false),
    }
}

/// A Python tuple (`dict.items()` entries): a sequence that prints as `('k', 'v')`.
#[derive(Debug)]
pub(crate) struct PyTuple(pub Vec<MjValue>);

impl minijinja::value::Object for PyTuple {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Seq
    }

    fn get_value(self: &std::sync::Arc<Self>, key: &MjValue) -> Option<MjValue> {
        self.0.get(key.as_usize()?).cloned()
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(self.0.len())
    }
}
