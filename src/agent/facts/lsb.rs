//! `lsb_release -a` without running it, for Debian's minimal `lsb_release` (a shell script that
//! reads os-release and spawns getopt, cut and tr: ~35 ms, most of a host's fact gathering).
//!
//! Only a script byte-identical to a known version is emulated (same program, same input, same
//! output); any other `lsb_release`, or an os-release this reader can't take as plain
//! assignments, runs the real program.

use std::collections::HashMap;
use std::path::Path;

/// SHA-1s of the `lsb_release` scripts emulated here: Debian's `lsb-release` 12.0-1 (minimal
/// implementation, bookworm).
const KNOWN_SCRIPTS: &[&str] = &["abca3aedd86bdf54adfba7e97acf2de938b50d8a"];

/// The output of `lsb_release -a` when `program` is a known minimal script and os-release is
/// plain; `None` when the program must run.
pub(super) fn emulate(program: &Path) -> Option<Vec<u8>> {
    let script = std::fs::read(program).ok()?;
    let sha = {
        use sha1::Digest;
        hex::encode(sha1::Sha1::digest(&script))
    };
    if !KNOWN_SCRIPTS.contains(&sha.as_str()) {
        return None;
    }
    let vars = os_release()?;
    Some(render(&vars).into_bytes())
}

/// The os-release file the script sources (`LSB_OS_RELEASE`, else /etc, else /usr/lib), parsed.
fn os_release() -> Option<HashMap<String, String>> {
    let mut path = None;
    for p in ["/usr/lib/os-release", "/etc/os-release"] {
        if Path::new(p).is_file() {
            path = Some(p.to_string());
        }
    }
    if let Ok(p) = std::env::var("LSB_OS_RELEASE") {
        if p != "x" && Path::new(&p).is_file() {
            path = Some(p);
        }
    }
    match path {
        None => Some(HashMap::new()),
        Some(p) => parse_assignments(&std::fs::read_to_string(p).ok()?),
    }
}

/// Parses `KEY=value` lines as `sh` would source them, for plain values only: bare words,
/// `"…"` (with `\"`, `\\`, `\$`, `` \` `` escapes) and `'…'`. `None` for anything else
/// (expansions, commands, several words), so the real script decides.
fn parse_assignments(text: &str) -> Option<HashMap<String, String>> {
    let mut vars = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, raw) = line.split_once('=')?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return None;
        }
        vars.insert(key.to_string(), shell_word(raw)?);
    }
    Some(vars)
}

/// One shell word without expansions.
fn shell_word(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    ch => out.push(ch),
                }
            },
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => match chars.next()? {
                        e @ ('"' | '\\' | '$' | '`') => out.push(e),
                        e => {
                            out.push('\\');
                            out.push(e);
                        }
                    },
                    '$' | '`' => return None,
                    ch => out.push(ch),
                }
            },
            '\\' => out.push(chars.next()?),
            '$' | '`' | ' ' | '\t' | ';' | '&' | '|' | '<' | '>' | '(' | ')' => return None,
            ch => out.push(ch),
        }
    }
    Some(out)
}

/// The script's `-a` output for these variables.
fn render(vars: &HashMap<String, String>) -> String {
    let get = |k: &str| vars.get(k).map(String::as_str);
    let raw_id = get("ID").unwrap_or("");
    // `cut -c1 | tr '[:lower:]' '[:upper:]'` then `cut -c2-`: the first byte upper-cased.
    let mut id = match raw_id.as_bytes().first() {
        Some(b) => {
            let mut bytes = raw_id.as_bytes().to_vec();
            bytes[0] = b.to_ascii_uppercase();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        None => String::new(),
    };
    if let Some(name) = get("NAME") {
        if id.eq_ignore_ascii_case(name) {
            id = name.to_string();
        }
    }
    let or_na = |v: Option<&str>| match v {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => "n/a".to_string(),
    };
    format!(
        "Distributor ID:\t{}\nDescription:\t{}\nRelease:\t{}\nCodename:\t{}\n",
        or_na(Some(&id)),
        or_na(get("PRETTY_NAME")),
        or_na(get("VERSION_ID")),
        or_na(get("VERSION_CODENAME")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_assignments_only() {
        let v = parse_assignments("A=\"x \\\"y\\\"\"\nB=bare\nC='s q'\n# c\n").unwrap();
        assert_eq!(v["A"], "x \"y\"");
        assert_eq!(v["B"], "bare");
        assert_eq!(v["C"], "s q");
        assert!(parse_assignments("A=$(id)\n").is_none());
        assert!(parse_assignments("A=\"$HOME\"\n").is_none());
        assert!(parse_assignments("A=two words\n").is_none());
    }

    #[test]
    fn renders_like_the_script() {
        let v = parse_assignments("ID=debian\nNAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n").unwrap();
        assert_eq!(
            render(&v),
            "Distributor ID:\tDebian\nDescription:\tDebian GNU/Linux 12 (bookworm)\nRelease:\t12\nCodename:\tbookworm\n"
        );
        let v = parse_assignments("ID=centos\nNAME=CentOS\n").unwrap();
        assert_eq!(
            render(&v),
            "Distributor ID:\tCentOS\nDescription:\tn/a\nRelease:\tn/a\nCodename:\tn/a\n"
        );
    }

    /// On a machine with the known script, the emulation prints what the script prints.
    #[test]
    fn matches_the_real_program_where_installed() {
        let Some(p) = super::super::programs::which("lsb_release") else {
            return;
        };
        let Some(native) = emulate(&p) else {
            eprintln!(
                "{} is not a known minimal lsb_release: not emulated",
                p.display()
            );
            return;
        };
        let real = std::process::Command::new(&p).arg("-a").output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&native),
            String::from_utf8_lossy(&real.stdout)
        );
    }
}
