//! Ansible Vault: the `$ANSIBLE_VAULT;1.1;AES256` and `$ANSIBLE_VAULT;1.2;AES256;label` formats
//! exactly as ansible-core writes and reads them (PBKDF2-HMAC-SHA256 with 10000 iterations,
//! AES-256-CTR over PKCS#7-padded plaintext, HMAC-SHA256 over the ciphertext, hexlified twice).
//!
//! The public surface is small: [`VaultSecret`] (a labelled password, never printed),
//! [`encrypt`], [`decrypt`] and [`is_encrypted`]; the run's secrets ([`install_secrets`],
//! [`plaintext_of`]) for the loaders, read from the sources of [`sources`]. The `flock vault`
//! command lives in [`cli`].

pub mod cli;
mod format;
pub mod sources;
mod store;

pub use format::{decrypt, encrypt, is_encrypted, VaultError};
pub use store::{
    decrypt_with_run_secrets, install_secrets, plaintext_of, undecryptable_marker,
    undecryptable_message, undecryptable_use, UNDECRYPTABLE_FN,
};

/// The vault id label ansible-core uses when none is given; it is written as format 1.1.
pub const DEFAULT_LABEL: &str = "default";

/// One vault password with its vault id label. `Debug` never shows the password.
#[derive(Clone)]
pub struct VaultSecret {
    /// The vault id label (`default` when none was given).
    pub label: String,
    password: Vec<u8>,
}

impl VaultSecret {
    /// A secret from a label and the password bytes.
    pub fn new(label: impl Into<String>, password: impl Into<Vec<u8>>) -> Self {
        VaultSecret {
            label: label.into(),
            password: password.into(),
        }
    }

    /// The password bytes (for key derivation only).
    fn password(&self) -> &[u8] {
        &self.password
    }
}

impl std::fmt::Debug for VaultSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSecret")
            .field("label", &self.label)
            .field("password", &"<hidden>")
            .finish()
    }
}
