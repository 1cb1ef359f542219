//! Where vault passwords come from, in ansible-core's order (`CLI.setup_vault_secrets`):
//! `vault_identity_list` of ansible.cfg (or `$ANSIBLE_VAULT_IDENTITY_LIST`), then each
//! `--vault-id [label@]source`, then each `--vault-password-file`, then `vault_password_file` of
//! ansible.cfg (or `$ANSIBLE_VAULT_PASSWORD_FILE`), then `--ask-vault-pass`.
//!
//! A source is `prompt`, a file holding the password, or an executable script printing it (a
//! script named `*-client[.ext]` is given `--vault-id LABEL`). A source that fails is a warning
//! while another one works, and the error when none does, as in ansible-core.

use std::path::{Path, PathBuf};

use super::cli::{SecretArgs, VaultCliError};
use super::{decrypt, is_encrypted, VaultSecret, DEFAULT_LABEL};

/// The prompt source `--ask-vault-pass` stands for (ansible-core's name for it).
const ASK_SOURCE: &str = "prompt_ask_vault_pass";

/// The secrets of every source given, in ansible-core's order; empty when none was given.
pub fn collect(args: &SecretArgs) -> Result<Vec<VaultSecret>, VaultCliError> {
    let mut ids = configured_identity_list();
    ids.extend(args.vault_id.iter().cloned());
    let files = args
        .password_file
        .iter()
        .cloned()
        .chain(configured_password_file());
    ids.extend(files.map(|f| format!("{DEFAULT_LABEL}@{}", f.display())));
    if args.ask {
        ids.push(format!("{DEFAULT_LABEL}@{ASK_SOURCE}"));
    }
    let mut secrets = Vec::new();
    let mut last_error = None;
    for id in &ids {
        match secret_from(id, &secrets) {
            Ok(s) => secrets.push(s),
            Err(e) => {
                let (label, _) = split_id(id);
                eprintln!("[WARNING]: Error getting vault password file ({label}): {e}");
                last_error = Some(e);
            }
        }
    }
    match last_error {
        Some(e) if secrets.is_empty() => Err(e),
        _ => Ok(secrets),
    }
}

/// One `[label@]source` identity read into a secret (`secret_from` with no earlier secrets).
pub fn secret_from_id(id: &str) -> Result<VaultSecret, VaultCliError> {
    secret_from(id, &[])
}

/// `(label, source)` of `label@source`; the label is `default` without an `@`.
fn split_id(id: &str) -> (&str, &str) {
    id.split_once('@').unwrap_or((DEFAULT_LABEL, id))
}

fn secret_from(id: &str, earlier: &[VaultSecret]) -> Result<VaultSecret, VaultCliError> {
    let (label, source) = split_id(id);
    let password = match source {
        ASK_SOURCE => prompt("Vault password: ")?,
        "prompt" => prompt(&format!("Vault password ({label}): "))?,
        file => read_source(Path::new(file), label, earlier)?,
    };
    Ok(VaultSecret::new(label, password))
}

fn usage(msg: String) -> VaultCliError {
    VaultCliError::Usage(msg)
}

fn prompt(text: &str) -> Result<Vec<u8>, VaultCliError> {
    let pw = rpassword::prompt_password(text).map_err(|source| VaultCliError::Io {
        path: "terminal".into(),
        source,
    })?;
    if pw.is_empty() {
        return Err(usage("Invalid vault password was provided".into()));
    }
    Ok(pw.into_bytes())
}

/// A password file's contents, or an executable script's output, as ansible-core reads them.
fn read_source(
    path: &Path,
    label: &str,
    earlier: &[VaultSecret],
) -> Result<Vec<u8>, VaultCliError> {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let shown = path.display();
    let meta = std::fs::metadata(&path)
        .map_err(|_| usage(format!("The vault password file {shown} was not found")))?;
    if meta.is_dir() {
        return Err(usage(format!(
            "The vault password file provided '{shown}' can not be a directory"
        )));
    }
    if std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0 {
        return run_script(&path, label);
    }
    let data = std::fs::read(&path)
        .map_err(|_| usage(format!("Could not read vault password file '{shown}'.")))?;
    let mut data = data.trim_ascii().to_vec();
    if is_encrypted(&data) {
        data = decrypt(&String::from_utf8_lossy(&data), earlier).map_err(|source| {
            VaultCliError::Vault {
                what: shown.to_string(),
                source,
            }
        })?;
    }
    non_empty(
        strip_newlines(&data),
        format!("Invalid vault password was provided from file ({shown})"),
    )
}

/// True for `something-client` and `something-client.ext` (ansible-core's `script_is_client`).
fn is_client_script(path: &Path) -> bool {
    path.file_stem()
        .is_some_and(|s| s.to_string_lossy().ends_with("-client"))
}

/// Runs a password script: its stdout, without surrounding line breaks, is the password.
fn run_script(path: &Path, label: &str) -> Result<Vec<u8>, VaultCliError> {
    let shown = path.display();
    let client = is_client_script(path);
    let mut cmd = std::process::Command::new(path);
    cmd.stdout(std::process::Stdio::piped());
    if client {
        cmd.args(["--vault-id", label])
            .stderr(std::process::Stdio::piped());
    }
    let out = cmd.output().map_err(|e| {
        usage(format!(
            "Problem running vault password script {shown} ({e}). If this is not a script, \
             remove the executable bit from the file."
        ))
    })?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rc = out.status.code().unwrap_or(-1);
    match (client, rc) {
        (_, 0) => {}
        (true, 2) => {
            return Err(usage(format!(
                "Vault password client script {shown} did not find a secret for vault-id={label}: {stderr}"
            )))
        }
        (true, _) => {
            return Err(usage(format!(
                "Vault password client script {shown} returned non-zero ({rc}) when getting secret for vault-id={label}: {stderr}"
            )))
        }
        (false, _) => {
            return Err(usage(format!(
                "Vault password script {shown} returned non-zero ({rc}): None"
            )))
        }
    }
    non_empty(
        strip_newlines(&out.stdout),
        format!("Invalid vault password was provided from script ({shown})"),
    )
}

fn strip_newlines(data: &[u8]) -> Vec<u8> {
    let start = data.iter().position(|b| !b"\r\n".contains(b));
    let end = data.iter().rposition(|b| !b"\r\n".contains(b));
    match (start, end) {
        (Some(s), Some(e)) => data[s..=e].to_vec(),
        _ => Vec::new(),
    }
}

fn non_empty(data: Vec<u8>, msg: String) -> Result<Vec<u8>, VaultCliError> {
    if data.is_empty() {
        Err(usage(msg))
    } else {
        Ok(data)
    }
}

/// A setting from `$ENV` (over) ansible.cfg `[defaults] key`, with the file's directory for
/// relative paths (ansible-core resolves `path` settings against the file they came from).
fn configured(env: &str, key: &str) -> Option<(String, Option<PathBuf>)> {
    if let Some(v) = std::env::var(env).ok().filter(|v| !v.is_empty()) {
        return Some((v, None));
    }
    let cfg = crate::cli::config::ansible_cfg()?;
    let text = std::fs::read_to_string(&cfg).ok()?;
    let value = crate::cli::config::ini_value(&text, "defaults", key)?;
    let dir = cfg.parent().map(Path::to_path_buf);
    Some((value, dir)).filter(|(v, _)| !v.is_empty())
}

/// `vault_identity_list` (comma separated `label@source` items).
fn configured_identity_list() -> Vec<String> {
    configured("ANSIBLE_VAULT_IDENTITY_LIST", "vault_identity_list")
        .map(|(v, _)| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// `vault_password_file`, `~` expanded and relative to the configuration file it came from.
fn configured_password_file() -> Option<PathBuf> {
    let (value, base) = configured("ANSIBLE_VAULT_PASSWORD_FILE", "vault_password_file")?;
    let expanded = match (value.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(&value),
    };
    Some(match base {
        Some(dir) if expanded.is_relative() => dir.join(expanded),
        _ => expanded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_scripts_by_name() {
        assert!(is_client_script(Path::new("/a/b/pass-client")));
        assert!(is_client_script(Path::new("/a/b/pass-client.py")));
        assert!(!is_client_script(Path::new("/a/b/pass.py")));
        assert!(!is_client_script(Path::new("/a/b-client.d/pass")));
    }

    #[test]
    fn ids_split_on_the_first_at() {
        assert_eq!(split_id("prod@pw@x"), ("prod", "pw@x"));
        assert_eq!(split_id("pw"), (DEFAULT_LABEL, "pw"));
    }

    #[test]
    fn scripts_and_files_give_the_password() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let script = dir.path().join("pw.sh");
        std::fs::write(&script, "#!/bin/sh\nprintf 'from script\\n'\n").expect("write");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let file = dir.path().join("pw");
        std::fs::write(&file, "  from file \n").expect("write");
        let s = secret_from_id(&format!("dev@{}", script.display())).expect("script");
        assert_eq!(
            (s.label.as_str(), s.password()),
            ("dev", &b"from script"[..])
        );
        let f = secret_from_id(&file.display().to_string()).expect("file");
        assert_eq!(f.password(), b"from file");
        let missing = secret_from_id("/nonexistent/pw").map(|_| ());
        assert!(matches!(missing, Err(VaultCliError::Usage(m)) if m.contains("was not found")));
    }
}
