//! jockey: the network-install (PXE/kickstart) server that replaced Cobbler in the 2013 flock.
//!
//! It works on a *space* directory (by default `./space`, as the original did relative to the
//! checkout):
//!
//! | file | role |
//! |---|---|
//! | `space/hosts` | inventory: `boot_server`, `dhcp_range`, `interface`, optional `gateway`, `ntp_server` |
//! | `space/kickstart.<system>` | kickstart / preseed / answer-file template per system |
//! | `space/boot/kickstart` | PXELINUX menu template |
//! | `space/masq` | dnsmasq configuration template |
//! | `space/boot/` | TFTP and HTTP root: `<mac>.ks`, `pxelinux.cfg/01-<mac>`, boot images |
//! | `space/<mac>.pass` | the root password of a kicked machine (mode 0600) |
//!
//! [`kick`] renders the per-machine files, [`masq`] runs the real `dnsmasq` (DHCP + TFTP), [`http`]
//! is a small built-in HTTP server for `space/boot`, [`dump`] shows DHCP requests on an interface,
//! [`ipmi`] wraps `ipmitool`. The same `kick` is the `jockey` module ([`module::JOCKEY`]).

pub mod cli;
pub mod crypt;
pub mod dump;
pub mod http;
pub mod ipmi;
pub mod kick;
pub mod mac;
pub mod masq;
pub mod module;
pub mod render;
pub mod space;

pub use kick::{kick, pxelinux, KickOptions, KickOutcome};
pub use mac::Mac;
pub use space::{Inventory, Space};

use std::path::PathBuf;

/// Everything that can go wrong in jockey, each naming the offending input.
#[derive(Debug, thiserror::Error)]
pub enum JockeyError {
    /// `space/hosts` (or `JOCKEY_HOSTS`) is missing or unreadable.
    #[error("jockey inventory not found: {path}: {source}")]
    NoInventory {
        /// The inventory path tried.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// A bad line or value in the inventory.
    #[error("{path}:{line}:{column}: {msg}")]
    Inventory {
        /// The inventory file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        msg: String,
    },
    /// No `space/kickstart.<system>` template.
    #[error("unknown system {system:?}: no template {path} (known: {known})")]
    UnknownSystem {
        /// The system asked for.
        system: String,
        /// The template path tried.
        path: PathBuf,
        /// The systems that do have a template.
        known: String,
    },
    /// Not a MAC address.
    #[error("malformed MAC address {0:?} (expected six hex pairs like 08:00:27:14:68:75)")]
    BadMac(String),
    /// Not an IPv4 address.
    #[error("malformed IPv4 address {0:?}")]
    BadIp(String),
    /// Another bad argument (name, password, system).
    #[error("{0}")]
    BadArg(String),
    /// `@VM` could not be resolved to a MAC address.
    #[error("cannot find the MAC address of VM {vm:?}: {msg}")]
    Vm {
        /// The VM name.
        vm: String,
        /// Why.
        msg: String,
    },
    /// A Jinja2 template failed to render (the message names file and line).
    #[error(transparent)]
    Template(#[from] crate::template::TemplateError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// An external program (dnsmasq, ipmitool, VBoxManage) failed to start or failed.
    #[error("{program}: {msg}")]
    Program {
        /// The program.
        program: String,
        /// What happened.
        msg: String,
    },
}

impl JockeyError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result of jockey operations.
pub type Result<T> = std::result::Result<T, JockeyError>;
