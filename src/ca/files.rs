//! File helpers of the CAs: atomic writes with the final mode set before any byte is written,
//! PEM armour, relative symlinks, and a small `.tar.gz` writer (stored deflate blocks).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;

use super::CaError;

/// Mode of secret files (private keys, `ta.key`, PKCS#12).
pub const SECRET: u32 = 0o600;
/// Mode of public files.
pub const PUBLIC: u32 = 0o644;

/// Writes `data` to `path` atomically: a temporary file in the same directory, created with
/// `mode` (so a secret is never readable by others, not even for a moment), then renamed.
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<(), CaError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| CaError::Input(format!("{}: not a file name", path.display())))?;
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp = dir.to_path_buf();
    tmp.push(format!(
        ".{}.tmp{}-{seq}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let res = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have removed bits from a public file; secrets only ever lose bits.
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(data)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    res.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        CaError::io(path, e)
    })
}

/// Creates a directory (and parents) with mode 0755, or 0700 when `private`.
pub fn mkdir(path: &Path, private: bool) -> Result<(), CaError> {
    fs::create_dir_all(path).map_err(|e| CaError::io(path, e))?;
    if private {
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))
            .map_err(|e| CaError::io(path, e))?;
    }
    Ok(())
}

/// Reads a file to a string.
pub fn read_string(path: &Path) -> Result<String, CaError> {
    fs::read_to_string(path).map_err(|e| CaError::io(path, e))
}

/// Replaces `link` with a symlink pointing at `target` (taken literally, usually relative).
pub fn symlink(target: &Path, link: &Path) -> Result<(), CaError> {
    if fs::symlink_metadata(link).is_ok() {
        fs::remove_file(link).map_err(|e| CaError::io(link, e))?;
    }
    std::os::unix::fs::symlink(target, link).map_err(|e| CaError::io(link, e))
}

/// PEM armour of DER bytes under `label`.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

/// The DER contents of the first PEM block labelled `label` (any label when `None`) in `text`;
/// `path` names the file in the error.
pub fn pem_decode(text: &str, label: Option<&str>, path: &Path) -> Result<Vec<u8>, CaError> {
    let mut lines = text.lines().enumerate();
    while let Some((_, line)) = lines.next() {
        let Some(rest) = line.trim().strip_prefix("-----BEGIN ") else {
            continue;
        };
        let found = rest.trim_end_matches('-');
        if label.is_some_and(|l| l != found) {
            continue;
        }
        let mut b64 = String::new();
        for (no, l) in lines.by_ref() {
            let l = l.trim();
            if l.starts_with("-----END ") {
                return base64::engine::general_purpose::STANDARD
                    .decode(b64.as_bytes())
                    .map_err(|e| CaError::Parse {
                        path: path.to_path_buf(),
                        line: no + 1,
                        msg: format!("bad base64 in PEM block {found}: {e}"),
                    });
            }
            if !l.contains(':') {
                b64.push_str(l);
            }
        }
        break;
    }
    Err(CaError::Parse {
        path: path.to_path_buf(),
        line: 1,
        msg: format!("no PEM block {}", label.unwrap_or("")),
    })
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A gzip stream of `data` with stored (uncompressed) deflate blocks.
pub fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    let mut chunks = data.chunks(65535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(c) = chunks.next() {
        out.push(if chunks.peek().is_none() { 1 } else { 0 });
        let len = c.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// A ustar archive of `(path inside the archive, contents, mode)`; directories end in `/`.
pub fn tar(entries: &[(String, Vec<u8>, u32)]) -> Vec<u8> {
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut out = Vec::new();
    for (name, data, mode) in entries {
        let mut h = [0u8; 512];
        let is_dir = name.ends_with('/');
        let nb = name.as_bytes();
        h[..nb.len().min(100)].copy_from_slice(&nb[..nb.len().min(100)]);
        let octal = |h: &mut [u8; 512], off: usize, len: usize, v: u64| {
            let s = format!("{:0width$o}\0", v, width = len - 1);
            h[off..off + len].copy_from_slice(s.as_bytes());
        };
        octal(&mut h, 100, 8, *mode as u64);
        octal(&mut h, 108, 8, 0);
        octal(&mut h, 116, 8, 0);
        octal(&mut h, 124, 12, if is_dir { 0 } else { data.len() as u64 });
        octal(&mut h, 136, 12, mtime);
        h[156] = if is_dir { b'5' } else { b'0' };
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[265..269].copy_from_slice(b"root");
        h[297..301].copy_from_slice(b"root");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        out.extend_from_slice(&h);
        if !is_dir {
            out.extend_from_slice(data);
            let pad = (512 - data.len() % 512) % 512;
            out.extend(std::iter::repeat_n(0u8, pad));
        }
    }
    out.extend(std::iter::repeat_n(0u8, 1024));
    out
}

/// `root/rel`, for readability at call sites.
pub fn join(root: &Path, rel: &str) -> PathBuf {
    root.join(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn pem_round_trip() {
        let der: Vec<u8> = (0..200u8).collect();
        let p = pem_encode("THING", &der);
        assert_eq!(pem_decode(&p, Some("THING"), Path::new("x")).unwrap(), der);
        assert!(pem_decode(&p, Some("OTHER"), Path::new("x")).is_err());
    }
}
