//! Grid and OpenVPN certificate authorities in pure Rust (rcgen, x509-parser, rsa,
//! p12-keystore), with the directory layouts of the original `flock-ca` (Globus simple CA) and
//! `flock-vpn` (easy-rsa 2.0), so the 2013 playbooks (`roles/globus`, `roles/vpn`) find their files.
//!
//! * [`grid::Grid`]: `ca/<CN>/` CAs, host/service/user requests, signing, hashes, CRLs, PKCS#12.
//! * [`vpn::Vpn`]: `ca/<CA>/2.0/keys/` with `ca.crt`, server/client pairs, `dh<n>.pem`, `ta.key`.
//! * `cli`: the `flock ca` and `flock vpn` commands on top of both.

use std::path::{Path, PathBuf};

pub mod cli;
pub mod ffdhe;
pub mod files;
pub mod grid;
pub mod module;
pub mod name;
pub mod pki;
pub mod vpn;

pub use grid::Grid;
pub use name::{subject_hash, subject_hash_old, Name};
pub use pki::{Digest, KeySpec};
pub use vpn::Vpn;

/// Everything that can go wrong in a CA operation; each names the file involved.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// A file could not be read or written.
    #[error("{path}: {source}", path = .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file's content is not what it should be.
    #[error("{path}:{line}:1: {msg}", path = .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        msg: String,
    },
    /// There is no CA where one was expected.
    #[error("no CA at {path} (create it first)", path = .0.display())]
    NoCa(PathBuf),
    /// Refusing to overwrite.
    #[error("{path} exists already", path = .0.display())]
    Exists(PathBuf),
    /// Bad command-line or API input.
    #[error("{0}")]
    Input(String),
    /// The CA's policy refuses the operation.
    #[error("{0}")]
    Policy(String),
    /// A certificate did not verify.
    #[error("{path}: verification failed: {why}", path = .path.display())]
    Verify {
        /// The certificate file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// A cryptographic operation failed.
    #[error("{0}")]
    Crypto(String),
}

impl CaError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> CaError {
        CaError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl From<rcgen::Error> for CaError {
    fn from(e: rcgen::Error) -> Self {
        CaError::Crypto(format!("certificate encoding: {e}"))
    }
}
