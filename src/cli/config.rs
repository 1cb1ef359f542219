//! The project settings flock reads from Ansible's configuration file: the first of
//! `$ANSIBLE_CONFIG`, `./ansible.cfg`, `~/.ansible.cfg`, `/etc/ansible/ansible.cfg` that exists
//! (ansible-core's order), section `[flock]`:
//!
//! ```ini
//! [flock]
//! dialect = 1.2      # or modern: how playbooks without 1.2-only or modern-only constructs read
//! ```
//!
//! `$FLOCK_DIALECT` is used when no file sets it. The setting decides how playbooks without
//! 1.2-only or modern-only constructs are read (over the entry point's default); `--dialect`
//! forces a dialect whatever the playbook holds.

use std::path::PathBuf;

/// The configuration file ansible-core would read, if any.
pub fn ansible_cfg() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("ANSIBLE_CONFIG") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(PathBuf::from("ansible.cfg"));
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".ansible.cfg"));
    }
    candidates.push(PathBuf::from("/etc/ansible/ansible.cfg"));
    candidates.into_iter().find(|p| p.is_file())
}

/// `key` of section `section` in INI `text` (`key = value` or `key: value`; `#`/`;` comments).
pub fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_string();
            continue;
        }
        if current != section {
            continue;
        }
        let Some((k, v)) = line.split_once(['=', ':']) else {
            continue;
        };
        if k.trim() == key {
            let v = v
                .split(" #")
                .next()
                .unwrap_or("")
                .split(" ;")
                .next()
                .unwrap_or("");
            return Some(v.trim().to_string());
        }
    }
    None
}

/// The configured dialect and where it was set (`FILE [flock] dialect`, `$FLOCK_DIALECT`).
pub fn configured_dialect() -> Option<(String, String)> {
    if let Some(path) = ansible_cfg() {
        if let Some(v) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| ini_value(&t, "flock", "dialect"))
        {
            return Some((v, format!("{} [flock] dialect", path.display())));
        }
    }
    std::env::var("FLOCK_DIALECT")
        .ok()
        .filter(|v| !v.is_empty())
        .map(|v| (v, "$FLOCK_DIALECT".to_string()))
}

/// The configured dialect becomes the dialect of playbooks with neither 1.2-only nor
/// modern-only constructs (over the entry point's default); markers still decide for the
/// others, and `--dialect` over everything. A value other than 1.2 or modern is an error.
pub fn apply_configured_dialect(run: &mut super::RunOptions) -> Result<(), String> {
    let Some((value, source)) = configured_dialect() else {
        return Ok(());
    };
    let dialect = match value.as_str() {
        "1.2" | "legacy" | "legacy12" => crate::template::Dialect::Legacy12,
        "modern" | "2" | "latest" => crate::template::Dialect::Modern,
        other => return Err(format!("{source}: expected 1.2 or modern, got {other:?}")),
    };
    run.dialect_without_markers = Some(dialect);
    run.dialect_source = Some(source);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_flock_section() {
        let text = "[defaults]\ndialect = no\n[flock]\n# comment\ndialect = 1.2 # why\n";
        assert_eq!(ini_value(text, "flock", "dialect").as_deref(), Some("1.2"));
        assert_eq!(
            ini_value("[flock]\ndialect: modern\n", "flock", "dialect").as_deref(),
            Some("modern")
        );
        assert_eq!(
            ini_value("[defaults]\ndialect=1.2\n", "flock", "dialect"),
            None
        );
    }
}
