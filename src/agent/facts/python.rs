//! The Python version without starting Python (~11 ms per host, the largest cost left in fact
//! gathering): a statically linked interpreter (Debian's, Red Hat's `python3.X`) carries its
//! `PY_VERSION` as one NUL-terminated string, e.g. `3.11.2`. When the interpreter's file holds
//! exactly one such string for the major.minor its name says, that is the version
//! `platform.python_version()` prints; otherwise (a shared-library build, a shim script, two
//! candidates) the caller runs Python.

use std::path::Path;

/// The version found in `interpreter`'s file, or `None` when Python must run to tell.
pub(super) fn version_from_binary(interpreter: &Path) -> Option<String> {
    let real = std::fs::canonicalize(interpreter).ok()?;
    let name = real.file_name()?.to_str()?;
    let series = name.strip_prefix("python")?;
    // `python3.11` → "3.11."; `python3` → "3." (then exactly one 3.x.y string must be there).
    let plain_series =
        !series.is_empty() && series.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !plain_series {
        return None;
    }
    let prefix = format!("{series}.");
    let data = std::fs::read(&real).ok()?;
    if !data.starts_with(b"\x7fELF") {
        return None;
    }
    let needle = format!("\0{prefix}");
    let mut found: Option<String> = None;
    for pos in memchr::memmem::find_iter(&data, needle.as_bytes()) {
        let start = pos + 1;
        let end = start + data[start..].iter().position(|&b| b == 0)?;
        let Ok(text) = std::str::from_utf8(&data[start..end]) else {
            continue;
        };
        if !is_version(text, &prefix) {
            continue;
        }
        match &found {
            Some(f) if f != text => return None,
            _ => found = Some(text.to_string()),
        }
    }
    found
}

/// `X.Y.Z` with an optional release tag (`a1`, `b2`, `rc1`) and `+`, starting with `prefix`.
fn is_version(text: &str, prefix: &str) -> bool {
    let Some(rest) = text.strip_prefix(prefix) else {
        return false;
    };
    let parts: Vec<&str> = prefix.trim_end_matches('.').split('.').collect();
    let (numbers, tag) = match rest.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let dots_needed = 3 - parts.len();
    let fields: Vec<&str> = numbers.split('.').collect();
    fields.len() == dots_needed
        && fields
            .iter()
            .all(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
        && valid_tag(tag)
}

fn valid_tag(tag: &str) -> bool {
    let tag = tag.strip_suffix('+').unwrap_or(tag);
    if tag.is_empty() {
        return true;
    }
    let digits = tag.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let letters = &tag[..tag.len() - digits.len()];
    matches!(letters, "a" | "b" | "rc")
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_strings() {
        assert!(is_version("3.11.2", "3.11."));
        assert!(is_version("3.12.0rc1", "3.12."));
        assert!(is_version("3.11.2+", "3.11."));
        assert!(is_version("3.11.2", "3."));
        assert!(!is_version("3.11", "3.11."));
        assert!(!is_version("3.11.2.1", "3.11."));
        assert!(!is_version("3.11.x", "3.11."));
        assert!(!is_version("3.11.2 (main)", "3.11."));
    }

    /// Where a python3 is installed, the binary's version is what Python prints (or none found).
    #[test]
    fn agrees_with_python_where_installed() {
        for p in ["/usr/bin/python3", "/usr/bin/python2", "/usr/bin/python"] {
            let Some(v) = version_from_binary(Path::new(p)) else {
                continue;
            };
            let out = std::process::Command::new(p)
                .args(["-c", "import platform; print(platform.python_version())"])
                .output()
                .unwrap();
            assert_eq!(v, String::from_utf8_lossy(&out.stdout).trim(), "{p}");
        }
    }
}
