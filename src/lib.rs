//! flock: a fast, self-contained engine that runs Ansible playbooks.
//!
//! Data flows one way through the stages below, each its own module with a small public surface:
//!
//! ```text
//! inventory + playbook files ──▶ yaml ──▶ playbook (parsed model with source positions)
//!        │                                   │
//!        ▼                                   ▼
//!    inventory ──────────────▶ vars (per-host variables) ──▶ template (Jinja2 + Ansible 1.2 legacy `$`)
//!                                                            │
//!                               executor (linear strategy, handlers, loops) ◀┘
//!                                   │
//!                                   ▼
//!                 connection (ssh via russh, local, chroot) ──▶ modules ──▶ output (events)
//! ```
//!
//! Side tools with their own folders: `lab` (test hosts in network namespaces), `ca` (grid and
//! OpenVPN certificate authorities), `jockey` (network-install server), `cli` (the `flock` command).

pub mod error;
pub mod value;

pub mod agent;
pub mod connection;
pub mod executor;
pub mod inventory;
#[path = "../modules/mod.rs"]
pub mod modules;
pub mod output;
pub mod playbook;
pub mod template;
pub mod vars;
pub mod vault;
pub mod yaml;

pub mod ca;
pub mod cli;
pub mod jockey;
pub mod lab;

pub use error::SourcePos;
pub use value::{Map, Value};
