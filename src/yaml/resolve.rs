//! PyYAML 3.10's implicit resolver and scalar constructors (YAML 1.1), written as small
//! hand-rolled matchers that follow the regular expressions of `yaml/resolver.py` exactly.

/// The type a plain scalar resolves to, before construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ImplicitTag {
    Null,
    Bool,
    Int,
    Float,
    Merge,
    Timestamp,
    /// The `=` value key (`tag:yaml.org,2002:value`).
    Value,
    Str,
}

/// Resolve a plain scalar the way PyYAML's `Resolver.resolve` does.
pub(crate) fn resolve_plain(s: &str) -> ImplicitTag {
    let Some(first) = s.bytes().next() else {
        return ImplicitTag::Null;
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' if is_bool(s) => {
            ImplicitTag::Bool
        }
        b'~' | b'n' | b'N' if is_null(s) => ImplicitTag::Null,
        b'-' | b'+' | b'0'..=b'9' | b'.' if is_float(s) => ImplicitTag::Float,
        b'-' | b'+' | b'0'..=b'9' if is_int(s) => ImplicitTag::Int,
        b'0'..=b'9' if is_timestamp(s) => ImplicitTag::Timestamp,
        b'<' if s == "<<" => ImplicitTag::Merge,
        b'=' if s == "=" => ImplicitTag::Value,
        _ => ImplicitTag::Str,
    }
}

/// `yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF`
pub(crate) fn is_bool(s: &str) -> bool {
    matches!(
        s,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

fn is_null(s: &str) -> bool {
    matches!(s, "~" | "null" | "Null" | "NULL" | "")
}

/// Strip one leading `+` or `-`.
fn strip_sign(s: &str) -> &str {
    s.strip_prefix(['-', '+']).unwrap_or(s)
}

/// Count leading bytes satisfying `pred`.
fn span(s: &[u8], pred: impl Fn(u8) -> bool) -> usize {
    s.iter().take_while(|&&b| pred(b)).count()
}

fn digit_(b: u8) -> bool {
    b.is_ascii_digit() || b == b'_'
}

/// `[eE][-+][0-9]+` (the whole rest), or empty.
fn exponent_or_empty(rest: &[u8]) -> bool {
    if rest.is_empty() {
        return true;
    }
    rest.len() >= 3
        && matches!(rest[0], b'e' | b'E')
        && matches!(rest[1], b'-' | b'+')
        && rest[2..].iter().all(u8::is_ascii_digit)
}

/// `(?::[0-5]?[0-9])+` followed by `tail` check on the remainder.
fn sexagesimal_groups(mut rest: &[u8]) -> Option<&[u8]> {
    let mut groups = 0;
    while rest.first() == Some(&b':') {
        let digits = span(&rest[1..], |b| b.is_ascii_digit());
        let ok = match digits {
            1 => true,
            // `[0-5]?[0-9]` greedy: two digits only if the first is 0-5. Three or more digits:
            // the regex would stop after two and then need ':' or the tail.
            _ if digits >= 2 => rest[1] <= b'5',
            _ => false,
        };
        if !ok {
            return None;
        }
        let take = digits.min(2);
        rest = &rest[1 + take..];
        groups += 1;
    }
    (groups > 0).then_some(rest)
}

/// PyYAML 3.10's float regex.
pub(crate) fn is_float(s: &str) -> bool {
    let b = s.as_bytes();
    // \.[0-9_]+(?:[eE][-+][0-9]+)?   (no sign)
    if b.first() == Some(&b'.') {
        let n = span(&b[1..], digit_);
        if n > 0 && exponent_or_empty(&b[1 + n..]) {
            return true;
        }
        // \.(?:nan|NaN|NAN)
        if matches!(s, ".nan" | ".NaN" | ".NAN") {
            return true;
        }
    }
    let u = strip_sign(s).as_bytes();
    // [-+]?\.(?:inf|Inf|INF)
    if matches!(u, b".inf" | b".Inf" | b".INF") {
        return true;
    }
    // [-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?
    if u.first().is_some_and(u8::is_ascii_digit) {
        let n = span(u, digit_);
        let rest = &u[n..];
        if rest.first() == Some(&b'.') {
            let m = span(&rest[1..], digit_);
            if exponent_or_empty(&rest[1 + m..]) {
                return true;
            }
        }
        // [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        if let Some(tail) = sexagesimal_groups(rest) {
            if tail.first() == Some(&b'.') && tail[1..].iter().all(|&b| digit_(b)) {
                return true;
            }
        }
    }
    false
}

/// PyYAML 3.10's int regex.
pub(crate) fn is_int(s: &str) -> bool {
    let u = strip_sign(s).as_bytes();
    if u.is_empty() {
        return false;
    }
    if let Some(r) = u.strip_prefix(b"0b") {
        if !r.is_empty() && r.iter().all(|&b| matches!(b, b'0' | b'1' | b'_')) {
            return true;
        }
    }
    if let Some(r) = u.strip_prefix(b"0x") {
        if !r.is_empty() && r.iter().all(|&b| b.is_ascii_hexdigit() || b == b'_') {
            return true;
        }
    }
    if u[0] == b'0' {
        // 0 | 0[0-7_]+
        return u.len() == 1 || u[1..].iter().all(|&b| matches!(b, b'0'..=b'7' | b'_'));
    }
    if !matches!(u[0], b'1'..=b'9') {
        return false;
    }
    let n = span(u, digit_);
    let rest = &u[n..];
    rest.is_empty() || sexagesimal_groups(rest).is_some_and(<[u8]>::is_empty)
}

/// PyYAML 3.10's timestamp regex.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let ymd = b.len() >= 8 && (0..4).all(d) && b[4] == b'-';
    if !ymd {
        return false;
    }
    if b.len() == 10 && d(5) && d(6) && b[7] == b'-' && d(8) && d(9) {
        return true;
    }
    timestamp_long(&b[5..])
}

/// The part after `YYYY-` of the long timestamp form.
fn timestamp_long(b: &[u8]) -> bool {
    let mut i = 0;
    let digits12 = |i: &mut usize| -> bool {
        let n = span(&b[*i..], |c| c.is_ascii_digit());
        if n == 0 || n > 2 {
            return false;
        }
        *i += n;
        true
    };
    let exact2 = |i: &mut usize| -> bool {
        if b.len() >= *i + 2 && b[*i].is_ascii_digit() && b[*i + 1].is_ascii_digit() {
            *i += 2;
            true
        } else {
            false
        }
    };
    if !digits12(&mut i) || b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    if !digits12(&mut i) {
        return false;
    }
    match b.get(i) {
        Some(b'T' | b't') => i += 1,
        Some(b' ' | b'\t') => i += span(&b[i..], |c| c == b' ' || c == b'\t'),
        _ => return false,
    }
    if !digits12(&mut i) || b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    if !exact2(&mut i) || b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    if !exact2(&mut i) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1 + span(&b[i + 1..], |c| c.is_ascii_digit());
    }
    if i == b.len() {
        return true;
    }
    i += span(&b[i..], |c| c == b' ' || c == b'\t');
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'-' | b'+') => {
            i += 1;
            if !digits12(&mut i) {
                return false;
            }
            if b.get(i) == Some(&b':') {
                i += 1;
                if !exact2(&mut i) {
                    return false;
                }
            }
            i == b.len()
        }
        _ => false,
    }
}

/// The result of constructing an int: PyYAML has big integers; we keep i64 and fall back to a
/// float beyond its range.
pub(crate) enum IntValue {
    Int(i64),
    Float(f64),
}

/// `construct_yaml_int`. `None` when the text is not a valid int (explicit `!!int` tags).
pub(crate) fn construct_int(text: &str) -> Option<IntValue> {
    let cleaned = text.replace('_', "");
    let negative = cleaned.starts_with('-');
    let value = strip_sign(&cleaned);
    if value.is_empty() {
        return None;
    }
    let magnitude: i128 = if value == "0" {
        0
    } else if let Some(bin) = value.strip_prefix("0b") {
        i128::from_str_radix(bin, 2).ok()?
    } else if let Some(hex) = value.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if value.starts_with('0') {
        i128::from_str_radix(value, 8).ok()?
    } else if value.contains(':') {
        let mut total: i128 = 0;
        for part in value.split(':') {
            total = total
                .checked_mul(60)?
                .checked_add(part.parse::<i128>().ok()?)?;
        }
        total
    } else {
        value.parse::<i128>().ok()?
    };
    let signed = if negative { -magnitude } else { magnitude };
    Some(match i64::try_from(signed) {
        Ok(v) => IntValue::Int(v),
        Err(_) => IntValue::Float(signed as f64),
    })
}

/// `construct_yaml_float`. `None` when the text is not a valid float.
pub(crate) fn construct_float(text: &str) -> Option<f64> {
    let cleaned = text.replace('_', "").to_ascii_lowercase();
    let negative = cleaned.starts_with('-');
    let value = strip_sign(&cleaned);
    let sign = if negative { -1.0 } else { 1.0 };
    if value == ".inf" {
        return Some(sign * f64::INFINITY);
    }
    if value == ".nan" {
        return Some(f64::NAN);
    }
    if value.contains(':') {
        let mut total = 0.0;
        for part in value.split(':') {
            total = total * 60.0 + python_float(part)?;
        }
        return Some(sign * total);
    }
    Some(sign * python_float(value)?)
}

/// Python's `float()` for the decimal forms the regex admits (`1.`, `.5`, `1.e+3`).
fn python_float(text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    let mut fixed = String::with_capacity(text.len() + 2);
    if text.starts_with('.') {
        fixed.push('0');
    }
    let (mantissa, exponent) = match text.find('e') {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    fixed.push_str(mantissa);
    if mantissa.ends_with('.') {
        fixed.push('0');
    }
    fixed.push_str(exponent);
    fixed.parse().ok()
}

/// Python 2's `str(float)`: `%.12g`, with `.0` added to integral values.
pub fn python2_float_str(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format_g(x, 12);
    if s.contains(['.', 'e', 'n', 'i']) {
        s
    } else {
        s + ".0"
    }
}

/// C's `%.{prec}g`.
fn format_g(x: f64, prec: usize) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{:.*e}", prec - 1, x);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let mant = trim_fraction_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_fraction_zeros(&format!("{:.*}", decimals, x)).to_string()
    }
}

fn trim_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_pyyaml() {
        use ImplicitTag::*;
        let cases = [
            ("yes", Bool),
            ("Off", Bool),
            ("oN", Str),
            ("y", Str),
            ("~", Null),
            ("", Null),
            ("Null", Null),
            ("nULL", Str),
            ("0644", Int),
            ("08", Str),
            ("09.5", Float),
            ("1_000", Int),
            ("0x1F", Int),
            ("0b101", Int),
            ("0o17", Str),
            ("1:30", Int),
            ("1:30.5", Float),
            ("1:60", Str),
            ("1e3", Str),
            ("1.0e+3", Float),
            ("1.0e3", Str),
            ("3.10", Float),
            (".5", Float),
            ("1.", Float),
            ("-.inf", Float),
            (".NaN", Float),
            ("-.nan", Str),
            ("695e84e6", Str),
            ("3.4.0", Str),
            ("2013-07-11", Timestamp),
            ("2001-12-14t21:59:43.10-05:00", Timestamp),
            ("2001-12-14 21:59:43.10 -5", Timestamp),
            ("<<", Merge),
            ("=", Value),
            ("+0", Int),
            ("-", Str),
        ];
        for (text, want) in cases {
            assert_eq!(resolve_plain(text), want, "{text:?}");
        }
    }

    #[test]
    fn constructs_numbers() {
        let int = |t| match construct_int(t) {
            Some(IntValue::Int(v)) => v,
            _ => panic!("{t}"),
        };
        assert_eq!(int("0644"), 420);
        assert_eq!(int("1:30"), 90);
        assert_eq!(int("-0x1_F"), -31);
        assert_eq!(int("0b101"), 5);
        assert_eq!(construct_float("1:30.5"), Some(90.5));
        assert_eq!(construct_float("1.e+2"), Some(100.0));
        assert_eq!(construct_float("3.10"), Some(3.1));
    }

    #[test]
    fn python2_str_of_floats() {
        assert_eq!(python2_float_str(3.1), "3.1");
        assert_eq!(python2_float_str(1.0), "1.0");
        assert_eq!(python2_float_str(1e16), "1e+16");
        assert_eq!(python2_float_str(0.1 + 0.2), "0.3");
        assert_eq!(python2_float_str(1e-5), "1e-05");
        assert_eq!(python2_float_str(123456789012.0), "123456789012.0");
    }
}
