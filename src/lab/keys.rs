//! Ed25519 keys in OpenSSH format (the lab's login key and every host's host key).

use std::io::Read;

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::LineEnding;
use russh::keys::PrivateKey;

use super::LabError;

/// An OpenSSH key pair: the private key file's text and the public key line.
pub(crate) struct KeyPair {
    pub(crate) private: String,
    pub(crate) public: String,
}

/// Makes a new Ed25519 key pair with `comment`.
pub(crate) fn ed25519(comment: &str) -> Result<KeyPair, LabError> {
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(|e| LabError::io("reading /dev/urandom", e))?;
    let mut key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    key.set_comment(comment);
    let private = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| LabError::Setup(format!("encoding an ed25519 key: {e}")))?
        .to_string();
    let public = key
        .public_key()
        .to_openssh()
        .map_err(|e| LabError::Setup(format!("encoding an ed25519 key: {e}")))?;
    Ok(KeyPair { private, public })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_differ_and_parse() {
        let a = super::ed25519("a@lab").unwrap();
        let b = super::ed25519("b@lab").unwrap();
        assert_ne!(a.public, b.public);
        assert!(a.public.starts_with("ssh-ed25519 ") && a.public.ends_with(" a@lab"));
        assert!(a.private.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
        russh::keys::decode_secret_key(&a.private, None).unwrap();
    }
}
