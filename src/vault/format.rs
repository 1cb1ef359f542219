//! The vault envelope: header line, hexlified body, key derivation, cipher and MAC.

use super::{VaultSecret, DEFAULT_LABEL};
use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{KeyInit, Mac};

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;
type HmacSha256 = hmac::Hmac<sha2_011::Sha256>;

const MAGIC: &str = "$ANSIBLE_VAULT";
const CIPHER: &str = "AES256";
const ITERATIONS: u32 = 10_000;
const SALT_LEN: usize = 32;
const BLOCK: usize = 16;
const LINE_WIDTH: usize = 80;

/// Why vault text could not be read or written. No variant carries decrypted data or a password.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    /// The text does not start with `$ANSIBLE_VAULT;`.
    #[error("input is not vault encrypted data")]
    NotVault,
    /// The header names a version or cipher this engine does not know.
    #[error("unsupported vault header: {0}")]
    BadHeader(String),
    /// The body is not the hexlified `salt\nhmac\nciphertext` ansible-core writes.
    #[error("vault format error: {0}")]
    BadBody(&'static str),
    /// No secret's HMAC matched (ansible-core's wording).
    #[error("Decryption failed (no vault secrets were found that could decrypt)")]
    NoMatchingSecret,
    /// Vault data was met but no secret was given (ansible-core's wording).
    #[error("Attempting to decrypt but no vault secrets found")]
    NoSecrets,
}

/// True when `data` is vault-encrypted (starts with the `$ANSIBLE_VAULT` header).
pub fn is_encrypted(data: &[u8]) -> bool {
    let start = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    data[start..].starts_with(MAGIC.as_bytes())
}

/// Encrypts `plaintext` with `secret` as ansible-vault does: format 1.1 for the `default`
/// label, 1.2 with the label otherwise. The result ends with a newline.
pub fn encrypt(plaintext: &[u8], secret: &VaultSecret) -> String {
    let mut salt = [0u8; SALT_LEN];
    rand::Rng::fill(&mut rand::thread_rng(), &mut salt[..]);
    encrypt_with_salt(plaintext, secret, &salt)
}

fn encrypt_with_salt(plaintext: &[u8], secret: &VaultSecret, salt: &[u8]) -> String {
    let keys = derive(secret.password(), salt);
    let mut data = pkcs7_pad(plaintext);
    Aes256Ctr::new(&keys.cipher.into(), &keys.iv.into()).apply_keystream(&mut data);
    let mac = mac(&keys.mac, &data).finalize().into_bytes();
    let inner = format!(
        "{}\n{}\n{}",
        hex::encode(salt),
        hex::encode(mac),
        hex::encode(&data)
    );
    let body = hex::encode(inner.as_bytes());
    let mut out = if secret.label == DEFAULT_LABEL {
        format!("{MAGIC};1.1;{CIPHER}\n")
    } else {
        format!("{MAGIC};1.2;{CIPHER};{}\n", secret.label)
    };
    for chunk in body.as_bytes().chunks(LINE_WIDTH) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out
}

/// Decrypts vault text with the first secret whose HMAC matches. Secrets whose label matches
/// a 1.2 header's label are tried first, then the rest (as ansible-core does).
pub fn decrypt(text: &str, secrets: &[VaultSecret]) -> Result<Vec<u8>, VaultError> {
    let (label, body) = split_envelope(text)?;
    let (salt, expected_mac, ciphertext) = parse_body(&body)?;
    let preferred = secrets
        .iter()
        .filter(|s| label.as_deref() == Some(s.label.as_str()));
    let others = secrets
        .iter()
        .filter(|s| label.as_deref() != Some(s.label.as_str()));
    for secret in preferred.chain(others) {
        let keys = derive(secret.password(), &salt);
        if mac(&keys.mac, &ciphertext)
            .verify_slice(&expected_mac)
            .is_err()
        {
            continue;
        }
        let mut data = ciphertext.clone();
        Aes256Ctr::new(&keys.cipher.into(), &keys.iv.into()).apply_keystream(&mut data);
        return pkcs7_unpad(data);
    }
    Err(VaultError::NoMatchingSecret)
}

/// The header's label (1.2 only) and the body with line breaks removed.
fn split_envelope(text: &str) -> Result<(Option<String>, String), VaultError> {
    let text = text.trim_start();
    let (header, rest) = text.split_once('\n').unwrap_or((text, ""));
    let fields: Vec<&str> = header.trim().split(';').collect();
    if fields.first() != Some(&MAGIC) {
        return Err(VaultError::NotVault);
    }
    let label = match fields.as_slice() {
        [_, "1.1", c] | [_, "1.0", c] if c.trim() == CIPHER => None,
        [_, "1.2", c, label] if c.trim() == CIPHER => Some(label.trim().to_string()),
        _ => return Err(VaultError::BadHeader(header.trim().to_string())),
    };
    let body: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
    Ok((label, body))
}

/// The three decoded fields of a vault body: salt, HMAC, ciphertext.
type BodyFields = (Vec<u8>, Vec<u8>, Vec<u8>);

fn parse_body(body: &str) -> Result<BodyFields, VaultError> {
    let inner = hex::decode(body).map_err(|_| VaultError::BadBody("body is not hexadecimal"))?;
    let inner = String::from_utf8(inner).map_err(|_| VaultError::BadBody("body is not text"))?;
    let mut parts = inner.split('\n');
    let mut field = |what: &'static str| -> Result<Vec<u8>, VaultError> {
        let part = parts.next().ok_or(VaultError::BadBody(what))?;
        hex::decode(part.trim()).map_err(|_| VaultError::BadBody(what))
    };
    let salt = field("salt is missing or not hexadecimal")?;
    let mac = field("hmac is missing or not hexadecimal")?;
    let ciphertext = field("ciphertext is missing or not hexadecimal")?;
    Ok((salt, mac, ciphertext))
}

struct Keys {
    cipher: [u8; 32],
    mac: [u8; 32],
    iv: [u8; 16],
}

fn derive(password: &[u8], salt: &[u8]) -> Keys {
    let mut out = [0u8; 80];
    pbkdf2::pbkdf2_hmac::<sha2_011::Sha256>(password, salt, ITERATIONS, &mut out);
    let mut keys = Keys {
        cipher: [0; 32],
        mac: [0; 32],
        iv: [0; 16],
    };
    keys.cipher.copy_from_slice(&out[..32]);
    keys.mac.copy_from_slice(&out[32..64]);
    keys.iv.copy_from_slice(&out[64..]);
    keys
}

fn mac(key: &[u8; 32], data: &[u8]) -> HmacSha256 {
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m
}

fn pkcs7_pad(data: &[u8]) -> Vec<u8> {
    let pad = BLOCK - data.len() % BLOCK;
    let mut out = data.to_vec();
    out.extend(std::iter::repeat_n(pad as u8, pad));
    out
}

fn pkcs7_unpad(mut data: Vec<u8>) -> Result<Vec<u8>, VaultError> {
    let pad = usize::from(*data.last().ok_or(VaultError::BadBody("empty ciphertext"))?);
    if pad == 0 || pad > BLOCK || pad > data.len() {
        return Err(VaultError::BadBody("bad padding"));
    }
    data.truncate(data.len() - pad);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_both_formats() {
        for label in [DEFAULT_LABEL, "prod"] {
            let s = VaultSecret::new(label, "pw");
            let text = encrypt(b"hello\nworld", &s);
            assert_eq!(
                text.starts_with("$ANSIBLE_VAULT;1.2"),
                label != DEFAULT_LABEL
            );
            assert_eq!(decrypt(&text, &[s]).as_deref(), Ok(&b"hello\nworld"[..]));
        }
    }

    #[test]
    fn wrong_password_is_refused() {
        let text = encrypt(b"x", &VaultSecret::new(DEFAULT_LABEL, "right"));
        let wrong = [VaultSecret::new(DEFAULT_LABEL, "wrong")];
        assert_eq!(decrypt(&text, &wrong), Err(VaultError::NoMatchingSecret));
    }

    #[test]
    fn not_vault_is_refused() {
        assert_eq!(decrypt("plain", &[]), Err(VaultError::NotVault));
    }
}
