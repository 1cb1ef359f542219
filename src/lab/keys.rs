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
    from_seed(&seed, comment)
}

/// The host key of the lab host `name` at `address`: the same on every `lab up` of this machine
/// (as a real host keeps its key across reboots, so `known_hosts` entries stay valid), different
/// for every host, and secret: derived from the machine's own sshd host key (or machine id).
pub(crate) fn host_key(name: &str, address: std::net::Ipv4Addr) -> Result<KeyPair, LabError> {
    use sha2::{Digest, Sha256};
    let secret = ["/etc/ssh/ssh_host_ed25519_key", "/etc/machine-id"]
        .iter()
        .find_map(|p| std::fs::read(p).ok().filter(|b| !b.is_empty()));
    let Some(secret) = secret else {
        return ed25519(&format!("root@{name}"));
    };
    let mut h = Sha256::new();
    h.update(b"flock lab host key v1\0");
    h.update(&secret);
    h.update(format!("\0{name}\0{address}").as_bytes());
    let seed: [u8; 32] = h.finalize().into();
    from_seed(&seed, &format!("root@{name}"))
}

fn from_seed(seed: &[u8; 32], comment: &str) -> Result<KeyPair, LabError> {
    let mut key = PrivateKey::from(Ed25519Keypair::from_seed(seed));
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

    #[test]
    fn host_keys_are_stable_per_host() {
        let ip = std::net::Ipv4Addr::new(10, 1, 1, 1);
        let a = super::host_key("core-01", ip).unwrap();
        assert_eq!(a.public, super::host_key("core-01", ip).unwrap().public);
        assert_ne!(a.public, super::host_key("core-02", ip).unwrap().public);
        assert_ne!(
            a.public,
            super::host_key("core-01", std::net::Ipv4Addr::new(10, 1, 1, 2))
                .unwrap()
                .public
        );
    }
}
