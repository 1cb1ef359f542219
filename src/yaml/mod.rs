//! YAML as PyYAML 3.10 (YAML 1.1, `SafeLoader`) reads it, keeping a source position on every node.
//!
//! Built on `saphyr-parser`'s event API plus our own resolver ([`resolve`]): plain
//! `yes/no/on/off/true/false` are booleans, `0644` is octal, `1_000`, `0x1F`, `0b101` and `1:30`
//! are ints, floats follow PyYAML's regex (`1e3` is a string, `3.10` is 3.1), `~`/`null`/empty are
//! null, `<<` merges (PyYAML's flatten order), aliases are expanded (bounded), duplicate keys are
//! accepted with the last value winning at the first key's position, quoted scalars stay strings.
//!
//! ```
//! let docs = flock::yaml::load_str("mode: 0644\nok: yes\n", "x.yml").unwrap();
//! let v = docs[0].to_value();
//! assert_eq!(v["mode"], 420);
//! assert_eq!(v["ok"], true);
//! ```

mod compose;
mod resolve;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::SourcePos;
use crate::value::{Map, Value};

pub use resolve::python2_float_str;

/// One YAML node with the position where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The constructed value.
    pub kind: NodeKind,
    /// Where the node starts (for mappings and sequences: their first token).
    pub pos: SourcePos,
}

/// A constructed YAML node, typed as PyYAML's `SafeLoader` types it.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// `~`, `null`, empty.
    Null,
    /// `yes/no/on/off/true/false` in lower, Title or UPPER case.
    Bool(bool),
    /// Decimal, octal (`0644`), hex, binary, sexagesimal, with `_` separators.
    Int(i64),
    /// Floats per PyYAML's regex (`.inf`, `.nan`, `1:30.5`, and ints beyond i64).
    Float(f64),
    /// A string (every quoted or block scalar, and unresolved plain scalars).
    Str(String),
    /// A plain timestamp (`2013-07-11`), kept as its text (PyYAML builds a `datetime`).
    Timestamp(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping in document order, merged (`<<`) and with duplicate keys folded (last value
    /// wins, first position kept).
    Map(Vec<(Node, Node)>),
}

/// A YAML syntax or construction error, with its position.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum YamlError {
    /// The file could not be read.
    #[error("{path}: cannot read file: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
    /// Syntax error reported by the scanner/parser.
    #[error("{pos}: YAML syntax error: {message}")]
    Syntax {
        /// Where.
        pos: SourcePos,
        /// What.
        message: String,
    },
    /// A whole-file encrypted file that the run's vault secrets cannot decrypt.
    #[error("{path}: {source}")]
    VaultFile {
        /// The file.
        path: PathBuf,
        /// Why (no secrets, or none that decrypts).
        source: crate::vault::VaultError,
    },
    /// The events were well-formed but cannot be constructed (unknown tag, bad alias, merge of a
    /// non-mapping, unhashable key, expansion bomb).
    #[error("{pos}: YAML error: {message}")]
    Construct {
        /// Where.
        pos: SourcePos,
        /// What.
        message: String,
    },
}

impl YamlError {
    /// The position of the error (the file start for I/O errors).
    pub fn pos(&self) -> SourcePos {
        match self {
            YamlError::Io { path, .. } | YamlError::VaultFile { path, .. } => {
                SourcePos::file_start(path)
            }
            YamlError::Syntax { pos, .. } | YamlError::Construct { pos, .. } => pos.clone(),
        }
    }
}

/// Read `path` (through symlinks) and load every document in it; a whole-file vault-encrypted
/// file is decrypted with the run's secrets first (see [`crate::vault::install_secrets`]).
pub fn load_file(path: &Path) -> Result<Vec<Node>, YamlError> {
    let text = read_text(path)?;
    load_str(&text, path)
}

/// The text of `path`, decrypted when it is vault data (as ansible-core's loader reads files).
pub fn read_text(path: &Path) -> Result<String, YamlError> {
    let io = |message: String| YamlError::Io {
        path: path.to_path_buf(),
        message,
    };
    let data = std::fs::read(path).map_err(|e| io(e.to_string()))?;
    let data = crate::vault::plaintext_of(data).map_err(|source| YamlError::VaultFile {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(data).map_err(|_| io("stream did not contain valid UTF-8".into()))
}

/// Load every document of `src`; `path` is only used for positions.
pub fn load_str(src: &str, path: impl AsRef<Path>) -> Result<Vec<Node>, YamlError> {
    let file = Arc::new(path.as_ref().to_path_buf());
    compose::Composer::new(src, file).load_all()
}

impl Node {
    /// A node of `kind` at `pos`.
    pub fn new(kind: NodeKind, pos: SourcePos) -> Self {
        Node { kind, pos }
    }

    /// The string, if this is a string node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The pairs, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value of the first key whose Python `str()` is `key`, in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.key_string() == key)
            .map(|(_, v)| v)
    }

    /// True for `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// A short name of the node's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "bool",
            NodeKind::Int(_) => "int",
            NodeKind::Float(_) => "float",
            NodeKind::Str(_) | NodeKind::Timestamp(_) => "string",
            NodeKind::Seq(_) => "list",
            NodeKind::Map(_) => "mapping",
        }
    }

    /// Python 2 `str()` of a scalar (used for mapping keys): `True`, `None`, `3.1`, `1e+16`.
    /// Collections use a Python-like repr (they cannot be keys in valid YAML input anyway).
    pub fn key_string(&self) -> String {
        match &self.kind {
            NodeKind::Str(s) | NodeKind::Timestamp(s) => s.clone(),
            NodeKind::Null => "None".into(),
            NodeKind::Bool(true) => "True".into(),
            NodeKind::Bool(false) => "False".into(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::Float(f) => python2_float_str(*f),
            NodeKind::Seq(_) | NodeKind::Map(_) => self.to_value().to_string(),
        }
    }

    /// Convert to a [`Value`]; mapping keys become strings (Python `str()` of non-strings),
    /// non-finite floats become the strings `inf`, `-inf`, `nan`.
    pub fn to_value(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(python2_float_str(*f))),
            NodeKind::Str(s) | NodeKind::Timestamp(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            NodeKind::Map(pairs) => {
                let mut map = Map::with_capacity(pairs.len());
                for (k, v) in pairs {
                    map.insert(k.key_string(), v.to_value());
                }
                Value::Object(map)
            }
        }
    }

    /// Apply a function to every string value (not mapping keys), recursively.
    pub fn map_strings(&mut self, f: &mut impl FnMut(&mut String)) {
        match &mut self.kind {
            NodeKind::Str(s) => f(s),
            NodeKind::Seq(items) => items.iter_mut().for_each(|n| n.map_strings(f)),
            NodeKind::Map(pairs) => pairs.iter_mut().for_each(|(_, v)| v.map_strings(f)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
