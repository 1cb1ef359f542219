//! `flock init` and `flock keys`: the toolkit's SSH keys, generated in Rust (OpenSSH format).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use russh::keys::ssh_key::{self, Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey};

/// Errors of `flock init` and `flock keys`.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// Key generation or encoding failed.
    #[error("{path}: {msg}")]
    Key { path: String, msg: String },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Creates `keys/` and `space/boot/pxelinux.cfg/` under `dir`, then `keys/sysop` (encrypted with
/// `passphrase`, if any) and `keys/nopass` (no passphrase), each with its `.pub`. Existing keys
/// are kept. Returns the lines to print.
pub fn init(dir: &Path, passphrase: Option<&str>) -> Result<Vec<String>, KeyError> {
    let keys = dir.join("keys");
    fs::create_dir_all(&keys).map_err(io_err(&keys))?;
    let pxe = dir.join("space/boot/pxelinux.cfg");
    fs::create_dir_all(&pxe).map_err(io_err(&pxe))?;
    let mut lines = Vec::new();
    for (name, pass) in [("sysop", passphrase), ("nopass", None)] {
        let path = keys.join(name);
        if path.exists() {
            lines.push(format!("{}: exists, kept", path.display()));
            continue;
        }
        let public = generate(&path, pass, &format!("{name}@flock"))?;
        lines.push(format!("{}: {}", path.display(), fingerprint_line(&public)));
    }
    Ok(lines)
}

/// Generates an ed25519 key pair at `path` (`path.pub` for the public half). The private file is
/// created with mode 0600 before any byte is written.
pub fn generate(
    path: &Path,
    passphrase: Option<&str>,
    comment: &str,
) -> Result<PublicKey, KeyError> {
    let key_err = |msg: String| KeyError::Key {
        path: path.display().to_string(),
        msg,
    };
    let mut rng = rand10::rng();
    let mut key =
        PrivateKey::random(&mut rng, Algorithm::Ed25519).map_err(|e| key_err(e.to_string()))?;
    key.set_comment(comment);
    let public = key.public_key().clone();
    let key = match passphrase.filter(|p| !p.is_empty()) {
        Some(p) => key
            .encrypt(&mut rng, p)
            .map_err(|e| key_err(e.to_string()))?,
        None => key,
    };
    let pem = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| key_err(e.to_string()))?;
    write_private(path, pem.as_bytes())?;
    let pub_path = path.with_extension("pub");
    let pub_path = if path.extension().is_some() {
        pub_path
    } else {
        path.with_file_name(format!("{}.pub", file_name(path)))
    };
    let line = public.to_openssh().map_err(|e| key_err(e.to_string()))?;
    fs::write(&pub_path, format!("{line}\n")).map_err(io_err(&pub_path))?;
    Ok(public)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn write_private(path: &Path, data: &[u8]) -> Result<(), KeyError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err(path))?;
    f.write_all(data).map_err(io_err(path))
}

/// `ssh-keygen -l` style line: bits, SHA256 fingerprint, comment, type.
pub fn fingerprint_line(public: &PublicKey) -> String {
    let bits = match public.algorithm() {
        Algorithm::Ed25519 => 256,
        Algorithm::Ecdsa { curve } => match curve {
            ssh_key::EcdsaCurve::NistP256 => 256,
            ssh_key::EcdsaCurve::NistP384 => 384,
            ssh_key::EcdsaCurve::NistP521 => 521,
        },
        _ => public.key_data().rsa().map(|k| k.key_size()).unwrap_or(0) as usize,
    };
    let kind = match public.algorithm() {
        Algorithm::Ed25519 => "ED25519".to_string(),
        Algorithm::Rsa { .. } => "RSA".to_string(),
        Algorithm::Ecdsa { .. } => "ECDSA".to_string(),
        other => other.as_str().to_uppercase(),
    };
    format!(
        "{bits} {} {} ({kind})",
        public.fingerprint(HashAlg::Sha256),
        public.comment()
    )
}

/// Fingerprints of every `*.pub` in `keys/` under `dir`, sorted by file name.
pub fn list(dir: &Path) -> Result<Vec<String>, KeyError> {
    let keys = dir.join("keys");
    let mut entries: Vec<_> = fs::read_dir(&keys)
        .map_err(io_err(&keys))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pub"))
        .collect();
    entries.sort();
    let mut lines = Vec::new();
    for p in entries {
        let text = fs::read_to_string(&p).map_err(io_err(&p))?;
        let public = PublicKey::from_openssh(text.trim()).map_err(|e| KeyError::Key {
            path: p.display().to_string(),
            msg: e.to_string(),
        })?;
        lines.push(format!("{}: {}", p.display(), fingerprint_line(&public)));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_writes_openssh_keys_ssh_keygen_can_read() {
        let dir = tempfile::tempdir().unwrap();
        let lines = init(dir.path(), Some("secret phrase")).unwrap();
        assert_eq!(lines.len(), 2);
        let sysop = dir.path().join("keys/sysop");
        let mode = std::fs::metadata(&sysop).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(mode.permissions().mode() & 0o777, 0o600);
        assert!(dir.path().join("space/boot/pxelinux.cfg").is_dir());
        // The real ssh-keygen must read both: the encrypted one with the passphrase only.
        let ok = std::process::Command::new("ssh-keygen")
            .args(["-y", "-P", "secret phrase", "-f"])
            .arg(&sysop)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let wrong = std::process::Command::new("ssh-keygen")
            .args(["-y", "-P", "", "-f"])
            .arg(&sysop)
            .output()
            .unwrap();
        assert!(!wrong.status.success());
        let nopass = std::process::Command::new("ssh-keygen")
            .args(["-y", "-P", "", "-f"])
            .arg(dir.path().join("keys/nopass"))
            .output()
            .unwrap();
        assert!(nopass.status.success());
        let listed = list(dir.path()).unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed[0].contains("SHA256:") && listed[0].contains("(ED25519)"));
    }
}
