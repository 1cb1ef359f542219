//! `known_hosts` files as OpenSSH reads them: plain and hashed (`|1|salt|hash`) host patterns,
//! `[host]:port` entries, `*`/`?` wildcards, `!` negation, `@revoked` lines (`@cert-authority`
//! lines are skipped). Mismatches are reported with the file and line that disagree.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;
use russh::keys::ssh_key::PublicKey;
use sha1::{Digest, Sha1};

/// One usable line of a known_hosts file.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// 1-based line number.
    pub line: usize,
    /// `@revoked` marker.
    pub revoked: bool,
    /// The recorded key.
    pub key: PublicKey,
}

/// The verdict for a server key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A line records exactly this key.
    Known,
    /// The host is not in the file.
    Unknown,
    /// The host is recorded with another key of the same type (line number).
    Changed(usize),
    /// The host is recorded, but only with keys of other types (first such line).
    OtherType(usize),
    /// The key is marked `@revoked` (line number).
    Revoked(usize),
}

/// The name a host has in known_hosts: `host` for port 22, `[host]:port` otherwise.
pub(crate) fn host_port(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// The entries of `path` that apply to `host`:`port` (a missing file has none).
pub(crate) fn entries_for(path: &Path, host: &str, port: u16) -> Vec<Entry> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let name = host_port(host, port);
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let mut first = fields.next().unwrap_or("");
        let mut revoked = false;
        if first.starts_with('@') {
            if first == "@revoked" {
                revoked = true;
            } else {
                continue; // @cert-authority: certificates are not used here
            }
            first = fields.next().unwrap_or("");
        }
        if !patterns_match(first, &name) {
            continue;
        }
        let (Some(kind), Some(b64)) = (fields.next(), fields.next()) else {
            continue;
        };
        if let Ok(key) = PublicKey::from_openssh(&format!("{kind} {b64}")) {
            out.push(Entry {
                line: i + 1,
                revoked,
                key,
            });
        }
    }
    out
}

/// Judges `key` against the entries that apply to the host.
pub(crate) fn verdict(entries: &[Entry], key: &PublicKey) -> Verdict {
    if let Some(e) = entries
        .iter()
        .find(|e| e.revoked && e.key.key_data() == key.key_data())
    {
        return Verdict::Revoked(e.line);
    }
    let live: Vec<&Entry> = entries.iter().filter(|e| !e.revoked).collect();
    if live.iter().any(|e| e.key.key_data() == key.key_data()) {
        return Verdict::Known;
    }
    if let Some(e) = live
        .iter()
        .find(|e| e.key.algorithm().as_str() == key.algorithm().as_str())
    {
        return Verdict::Changed(e.line);
    }
    match live.first() {
        Some(e) => Verdict::OtherType(e.line),
        None => Verdict::Unknown,
    }
}

static APPEND_LOCK: Mutex<()> = Mutex::new(());

/// Appends `host`:`port` with `key` to `path` (creating the file and its directory), one
/// `write` per line so concurrent appenders do not interleave.
pub(crate) fn append(path: &Path, host: &str, port: u16, key: &PublicKey) -> std::io::Result<()> {
    let _guard = APPEND_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    let needs_newline = match std::fs::read(path) {
        Ok(data) => !data.is_empty() && !data.ends_with(b"\n"),
        Err(_) => false,
    };
    let openssh = key
        .to_openssh()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    // Drop the comment: known_hosts lines are `host type base64`.
    let mut parts = openssh.split_whitespace();
    let (kind, b64) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let line = format!(
        "{}{} {kind} {b64}\n",
        if needs_newline { "\n" } else { "" },
        host_port(host, port)
    );
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(line.as_bytes())
}

/// `~/.ssh/known_hosts`.
pub(crate) fn default_path() -> PathBuf {
    home_dir().join(".ssh").join("known_hosts")
}

/// The user's home directory (`$HOME`, else `/root`).
pub(crate) fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}

/// Whether the comma-separated pattern list matches `name` (negations veto).
fn patterns_match(list: &str, name: &str) -> bool {
    let mut matched = false;
    for pat in list.split(',') {
        if let Some(neg) = pat.strip_prefix('!') {
            if wildcard(neg, name) {
                return false;
            }
        } else if let Some(hashed) = pat.strip_prefix("|1|") {
            if hashed_match(hashed, name) {
                matched = true;
            }
        } else if wildcard(pat, name) {
            matched = true;
        }
    }
    matched
}

/// `salt|hash` (both base64) against HMAC-SHA1(salt, name).
fn hashed_match(salt_hash: &str, name: &str) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let Some((salt, hash)) = salt_hash.split_once('|') else {
        return false;
    };
    match (b64.decode(salt), b64.decode(hash)) {
        (Ok(salt), Ok(hash)) => hmac_sha1(&salt, name.as_bytes()).as_slice() == hash.as_slice(),
        _ => false,
    }
}

/// HMAC-SHA1 (RFC 2104).
fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha1::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha1::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Case-insensitive glob with `*` and `?`, as OpenSSH's `match_pattern`.
fn wildcard(pat: &str, name: &str) -> bool {
    let p: Vec<char> = pat.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    let (mut pi, mut ni, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED1: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const ED2: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA6rWI3G2sz07DnfFlrouTcysQlj2P+jpNSOEWD9OJ3X";

    #[test]
    fn hmac_matches_openssh_hashed_entry() {
        // A self-made hashed entry round-trips.
        let salt = [7u8; 20];
        let h = hmac_sha1(&salt, b"[127.0.0.1]:2222");
        let b64 = base64::engine::general_purpose::STANDARD;
        let entry = format!("{}|{}", b64.encode(salt), b64.encode(h));
        assert!(hashed_match(&entry, "[127.0.0.1]:2222"));
        assert!(!hashed_match(&entry, "127.0.0.1"));
    }

    #[test]
    fn hmac_sha1_rfc2202_vector() {
        let got = hmac_sha1(b"key", b"The quick brown fox jumps over the lazy dog");
        assert_eq!(hex::encode(got), "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9");
    }

    #[test]
    fn verdicts_with_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        std::fs::write(
            &path,
            format!("# comment\n\nother,!web1 {ED2}\n[web1]:2222 {ED1}\n*.lab {ED2}\n"),
        )
        .unwrap();
        let k1 = PublicKey::from_openssh(ED1).unwrap();
        let k2 = PublicKey::from_openssh(ED2).unwrap();
        let e = entries_for(&path, "web1", 2222);
        assert_eq!(verdict(&e, &k1), Verdict::Known);
        assert_eq!(verdict(&e, &k2), Verdict::Changed(4));
        assert_eq!(
            verdict(&entries_for(&path, "web1", 22), &k1),
            Verdict::Unknown
        );
        assert_eq!(
            verdict(&entries_for(&path, "a.LAB", 22), &k2),
            Verdict::Known
        );
        append(&path, "web1", 22, &k1).unwrap();
        assert_eq!(
            verdict(&entries_for(&path, "web1", 22), &k1),
            Verdict::Known
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("*.example.com", "a.example.com"));
        assert!(wildcard("10.0.0.?", "10.0.0.7"));
        assert!(!wildcard("10.0.0.?", "10.0.0.17"));
        assert!(patterns_match("a,b,c", "b"));
        assert!(!patterns_match("*,!b", "b"));
    }
}
