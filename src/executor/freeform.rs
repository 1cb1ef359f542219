//! Splitting a command-family argument string (spec 5.4): `chdir= creates= removes= executable=`
//! (and modern `warn= stdin= argv=`) are taken out wherever they stand; the rest is the command.

use std::sync::OnceLock;

use regex::Regex;

use crate::value::{Map, Value};

fn option_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?:^|\s)(chdir|creates|removes|executable|warn|stdin|stdin_add_newline|strip_empty_ends)=("[^"]*"|'[^']*'|\S+)"#)
            .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

/// Splits `s` into the recognised `k=v` options and the remaining command text.
pub fn split_free_form(s: &str) -> (Map, String) {
    let mut opts = Map::new();
    let mut rest = String::with_capacity(s.len());
    let mut last = 0;
    for cap in option_re().captures_iter(s) {
        let (Some(whole), Some(key), Some(val)) = (cap.get(0), cap.get(1), cap.get(2)) else {
            continue;
        };
        rest.push_str(&s[last..whole.start()]);
        last = whole.end();
        let v = val.as_str();
        let unq = v
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
            .unwrap_or(v);
        opts.insert(key.as_str().to_string(), Value::String(unq.to_string()));
    }
    rest.push_str(&s[last..]);
    (opts, rest.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_out_options_anywhere() {
        let (o, cmd) =
            split_free_form("creates=/etc/x /usr/bin/make install chdir=\"/opt/src dir\"");
        assert_eq!(cmd, "/usr/bin/make install");
        assert_eq!(o["creates"], "/etc/x");
        assert_eq!(o["chdir"], "/opt/src dir");
        let (o, cmd) = split_free_form("echo a=b | tee /x");
        assert!(o.is_empty());
        assert_eq!(cmd, "echo a=b | tee /x");
    }
}
