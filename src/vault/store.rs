//! The run's vault secrets, set once by the command line (`--vault-id`, `--vault-password-file`,
//! `--ask-vault-pass`, ansible.cfg) and read by every loader that meets vault data: whole-file
//! encrypted vars files, `group_vars`/`host_vars`, inventories and `!vault` values.

use std::sync::RwLock;

use super::{decrypt, is_encrypted, VaultError, VaultSecret};

static SECRETS: RwLock<Vec<VaultSecret>> = RwLock::new(Vec::new());

/// Makes `secrets` the run's vault secrets (replacing any set before).
pub fn install_secrets(secrets: Vec<VaultSecret>) {
    let mut guard = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    *guard = secrets;
}

/// Decrypts vault text with the run's secrets: ansible-core's "Attempting to decrypt but no
/// vault secrets found" when none were given.
pub fn decrypt_with_run_secrets(text: &str) -> Result<Vec<u8>, VaultError> {
    let guard = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    if guard.is_empty() {
        return Err(VaultError::NoSecrets);
    }
    decrypt(text, &guard)
}

/// `data` itself when it is not vault data, else its plaintext (decrypted with the run's
/// secrets). Errors carry no plaintext.
pub fn plaintext_of(data: Vec<u8>) -> Result<Vec<u8>, VaultError> {
    if !is_encrypted(&data) {
        return Ok(data);
    }
    decrypt_with_run_secrets(&String::from_utf8_lossy(&data))
}

/// The template function an undecryptable `!vault` value calls (registered by the templar).
pub const UNDECRYPTABLE_FN: &str = "__flock_undecryptable";

/// What an undecryptable `!vault` value becomes: a template that fails when (and only when) the
/// value is used, naming `origin` (where the value was written) and why it cannot be decrypted.
/// ansible-core decrypts `!vault` values lazily too, so unused ones are no error.
pub fn undecryptable_marker(origin: &str, why: &VaultError) -> String {
    let quote = |s: &str| s.replace('\\', "\\\\").replace('\'', "\\'");
    format!(
        "{{{{ {UNDECRYPTABLE_FN}('{}', '{}') }}}}",
        quote(origin),
        quote(&why.to_string())
    )
}

/// The "Attempt to use undecryptable variable: …" part of a template error message (with the
/// value's origin after it), when the error is that one.
pub fn undecryptable_use(message: &str) -> Option<&str> {
    message
        .find(UNDECRYPTABLE_USE)
        .map(|start| &message[start..])
}

/// How the failure of an undecryptable `!vault` value starts (ansible-core's words).
const UNDECRYPTABLE_USE: &str = "Attempt to use undecryptable variable: ";

/// The error an undecryptable `!vault` value gives where it is used.
pub fn undecryptable_message(origin: &str, reason: &str) -> String {
    format!("{UNDECRYPTABLE_USE}{reason}.\nOrigin: {origin}")
}
