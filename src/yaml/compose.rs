//! Events → nodes: composition, tag resolution and construction in one pass (PyYAML's composer
//! and `SafeConstructor`, including `flatten_mapping` for `<<` merges).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

use super::resolve::{self, ImplicitTag, IntValue};
use super::{Node, NodeKind, YamlError};
use crate::error::SourcePos;

/// Upper bound on nodes produced by alias expansion in one stream (alias-bomb defence).
const MAX_EXPANDED_NODES: usize = 1_000_000;

/// YAML core schema tag prefix.
const CORE: &str = "tag:yaml.org,2002:";

/// A mapping or sequence under construction.
enum Frame {
    Seq {
        items: Vec<Node>,
        pos: SourcePos,
        anchor: usize,
    },
    Map {
        /// Pairs brought in by `<<` (in PyYAML's flatten order).
        merged: Vec<(Node, Node)>,
        /// Pairs written in the mapping itself.
        explicit: Vec<(Node, Node)>,
        /// A key waiting for its value; the flag marks a `<<` merge key.
        pending_key: Option<(Node, bool)>,
        pos: SourcePos,
        anchor: usize,
    },
}

/// A composed node plus whether it is the merge key `<<`.
struct Composed {
    node: Node,
    is_merge: bool,
}

/// Builds nodes from the parser's events.
pub(crate) struct Composer<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    src: &'a str,
    file: Arc<PathBuf>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    docs: Vec<Node>,
    expanded: usize,
}

impl<'a> Composer<'a> {
    /// A composer over `src`, reporting positions in `file`.
    pub(crate) fn new(src: &'a str, file: Arc<PathBuf>) -> Self {
        Composer {
            parser: Parser::new_from_str(src),
            src,
            file,
            stack: Vec::new(),
            anchors: HashMap::new(),
            docs: Vec::new(),
            expanded: 0,
        }
    }

    fn pos(&self, span: &Span) -> SourcePos {
        SourcePos::new(self.file.clone(), span.start.line(), span.start.col() + 1)
    }

    fn scan_error(&self, e: &ScanError) -> YamlError {
        let m = e.marker();
        let mut pos = SourcePos::new(self.file.clone(), m.line(), m.col() + 1);
        let mut message = e.info().to_string();
        if message.contains("tab") {
            if let Some((line, col)) = first_tab_at_or_after(self.src, m.index()) {
                pos = SourcePos::new(self.file.clone(), line, col);
                message = "found character '\\t' that cannot start any token (tabs are not allowed in indentation)".into();
            }
        }
        YamlError::Syntax { pos, message }
    }

    fn construct_error(pos: SourcePos, message: impl Into<String>) -> YamlError {
        YamlError::Construct {
            pos,
            message: message.into(),
        }
    }

    /// Consume all events and return the documents.
    pub(crate) fn load_all(mut self) -> Result<Vec<Node>, YamlError> {
        while let Some(next) = self.parser.next_event() {
            let (event, span) = next.map_err(|e| self.scan_error(&e))?;
            self.event(event, &span)?;
        }
        Ok(self.docs)
    }

    fn event(&mut self, event: Event<'a>, span: &Span) -> Result<(), YamlError> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let in_key = self.at_key_position();
                let pos = self.pos(span);
                let composed = scalar(&text, style, tag.as_deref(), in_key, pos)?;
                self.register_anchor(anchor, &composed.node);
                self.push(composed)?;
            }
            Event::SequenceStart(anchor, tag) => {
                let pos = self.pos(span);
                check_collection_tag(tag.as_deref(), "seq", &pos)?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    pos,
                    anchor,
                });
            }
            Event::MappingStart(anchor, tag) => {
                let pos = self.pos(span);
                check_collection_tag(tag.as_deref(), "map", &pos)?;
                self.stack.push(Frame::Map {
                    merged: Vec::new(),
                    explicit: Vec::new(),
                    pending_key: None,
                    pos,
                    anchor,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => self.end_collection()?,
            Event::Alias(id) => {
                let pos = self.pos(span);
                let Some((node, size)) = self.anchors.get(&id) else {
                    return Err(Self::construct_error(pos, "found undefined alias"));
                };
                self.expanded += size;
                if self.expanded > MAX_EXPANDED_NODES {
                    return Err(Self::construct_error(
                        pos,
                        format!("alias expansion exceeds {MAX_EXPANDED_NODES} nodes"),
                    ));
                }
                let node = node.clone();
                self.push(Composed {
                    node,
                    is_merge: false,
                })?;
            }
            Event::DocumentEnd => self.anchors.clear(),
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::Nothing => {}
        }
        Ok(())
    }

    fn at_key_position(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map {
                pending_key: None,
                ..
            })
        )
    }

    fn register_anchor(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors
                .insert(anchor, (node.clone(), node_count(node)));
        }
    }

    fn end_collection(&mut self) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (node, anchor) = match frame {
            Frame::Seq { items, pos, anchor } => (Node::new(NodeKind::Seq(items), pos), anchor),
            Frame::Map {
                mut merged,
                explicit,
                pos,
                anchor,
                ..
            } => {
                merged.extend(explicit);
                let pairs = dedupe_keys(merged)?;
                (Node::new(NodeKind::Map(pairs), pos), anchor)
            }
        };
        self.register_anchor(anchor, &node);
        self.push(Composed {
            node,
            is_merge: false,
        })
    }

    /// Hand a finished node to its parent (or make it a document root).
    fn push(&mut self, composed: Composed) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => self.docs.push(composed.node),
            Some(Frame::Seq { items, .. }) => items.push(composed.node),
            Some(Frame::Map {
                merged,
                explicit,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some((composed.node, composed.is_merge)),
                Some((key, true)) => merge_into(merged, key, composed.node)?,
                Some((key, false)) => explicit.push((key, composed.node)),
            },
        }
        Ok(())
    }
}

/// Line and column (1-based) of the first tab at or after char index `from`.
fn first_tab_at_or_after(src: &str, from: usize) -> Option<(usize, usize)> {
    let (mut line, mut col) = (1, 1);
    for (i, c) in src.chars().enumerate() {
        if c == '\t' && i >= from {
            return Some((line, col));
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    None
}

/// PyYAML's `flatten_mapping` for one `<<` entry: a mapping's pairs, or the pairs of a list of
/// mappings with later mappings first (so earlier ones win).
fn merge_into(merged: &mut Vec<(Node, Node)>, key: Node, value: Node) -> Result<(), YamlError> {
    match value.kind {
        NodeKind::Map(pairs) => merged.extend(pairs),
        NodeKind::Seq(items) => {
            let mut groups = Vec::with_capacity(items.len());
            for item in items {
                match item.kind {
                    NodeKind::Map(pairs) => groups.push(pairs),
                    _ => {
                        return Err(Composer::construct_error(
                            item.pos,
                            format!(
                                "while constructing a mapping: expected a mapping for merging, \
                                 but found {}",
                                item_type(&item.kind)
                            ),
                        ))
                    }
                }
            }
            for pairs in groups.into_iter().rev() {
                merged.extend(pairs);
            }
        }
        other => {
            return Err(Composer::construct_error(
                key.pos,
                format!(
                    "while constructing a mapping: expected a mapping or list of mappings for \
                     merging, but found {}",
                    item_type(&other)
                ),
            ))
        }
    }
    Ok(())
}

fn item_type(kind: &NodeKind) -> &'static str {
    match kind {
        NodeKind::Seq(_) => "sequence",
        NodeKind::Map(_) => "mapping",
        _ => "scalar",
    }
}

/// Python dict construction: a later equal key replaces the value, keeping the first key and
/// its position. Keys compare with Python equality (`1 == 1.0 == True`).
fn dedupe_keys(pairs: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, YamlError> {
    let mut out: Vec<(Node, Node)> = Vec::with_capacity(pairs.len());
    let mut index: HashMap<KeyRepr, usize> = HashMap::new();
    for (key, value) in pairs {
        let repr = key_repr(&key)?;
        match index.get(&repr) {
            Some(&i) => out[i].1 = value,
            None => {
                index.insert(repr, out.len());
                out.push((key, value));
            }
        }
    }
    Ok(out)
}

/// A hashable form of a key with Python's equality.
#[derive(Hash, PartialEq, Eq)]
enum KeyRepr {
    Null,
    Int(i64),
    Float(u64),
    Str(String),
    Timestamp(String),
}

fn key_repr(key: &Node) -> Result<KeyRepr, YamlError> {
    Ok(match &key.kind {
        NodeKind::Null => KeyRepr::Null,
        NodeKind::Bool(b) => KeyRepr::Int(i64::from(*b)),
        NodeKind::Int(i) => KeyRepr::Int(*i),
        NodeKind::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 9.0e18 {
                KeyRepr::Int(*f as i64)
            } else if *f == 0.0 {
                KeyRepr::Int(0)
            } else {
                KeyRepr::Float(f.to_bits())
            }
        }
        NodeKind::Str(s) => KeyRepr::Str(s.clone()),
        NodeKind::Timestamp(s) => KeyRepr::Timestamp(s.clone()),
        NodeKind::Seq(_) | NodeKind::Map(_) => {
            return Err(Composer::construct_error(
                key.pos.clone(),
                "while constructing a mapping: found unacceptable key (unhashable type)",
            ))
        }
    })
}

fn node_count(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        NodeKind::Map(pairs) => {
            1 + pairs
                .iter()
                .map(|(k, v)| node_count(k) + node_count(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// The tag of a scalar after PyYAML's resolution rules.
enum ScalarTag<'t> {
    Implicit,
    Str,
    Core(&'t str),
    /// Ansible's `!vault`: an encrypted string, decrypted with the run's secrets.
    Vault,
    Other(String),
}

fn classify_tag(tag: Option<&Tag>, style: ScalarStyle) -> ScalarTag<'_> {
    match tag {
        None if style == ScalarStyle::Plain => ScalarTag::Implicit,
        None => ScalarTag::Str,
        // The non-specific tag `!` resolves implicitly whatever the style (PyYAML quirk).
        Some(t)
            if (t.handle.is_empty() || t.handle == "!")
                && (t.suffix == "!" || t.suffix.is_empty()) =>
        {
            ScalarTag::Implicit
        }
        Some(t) if t.handle == CORE => ScalarTag::Core(&t.suffix),
        Some(t) if t.handle == "!" && t.suffix == "vault" => ScalarTag::Vault,
        Some(t) => ScalarTag::Other(t.to_string()),
    }
}

fn no_constructor(pos: SourcePos, tag: &str) -> YamlError {
    Composer::construct_error(
        pos,
        format!("could not determine a constructor for the tag '{tag}'"),
    )
}

/// Resolve and construct one scalar.
fn scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    in_key: bool,
    pos: SourcePos,
) -> Result<Composed, YamlError> {
    let resolved = match classify_tag(tag, style) {
        ScalarTag::Implicit => resolve::resolve_plain(text),
        ScalarTag::Str => ImplicitTag::Str,
        ScalarTag::Core(suffix) => match suffix {
            "str" => ImplicitTag::Str,
            "int" => ImplicitTag::Int,
            "float" => ImplicitTag::Float,
            "bool" => ImplicitTag::Bool,
            "null" => ImplicitTag::Null,
            "merge" => ImplicitTag::Merge,
            "timestamp" => ImplicitTag::Timestamp,
            "value" => ImplicitTag::Value,
            other => return Err(no_constructor(pos, &format!("{CORE}{other}"))),
        },
        ScalarTag::Vault => return vault_scalar(text, pos),
        ScalarTag::Other(t) => return Err(no_constructor(pos, &t)),
    };
    let bad = |what: &str| {
        Composer::construct_error(
            pos.clone(),
            format!("cannot construct {what} from {text:?}"),
        )
    };
    let kind = match resolved {
        ImplicitTag::Null => NodeKind::Null,
        ImplicitTag::Bool => match text.to_ascii_lowercase().as_str() {
            "yes" | "true" | "on" => NodeKind::Bool(true),
            "no" | "false" | "off" => NodeKind::Bool(false),
            _ => return Err(bad("a bool")),
        },
        ImplicitTag::Int => match resolve::construct_int(text) {
            Some(IntValue::Int(i)) => NodeKind::Int(i),
            Some(IntValue::Float(f)) => NodeKind::Float(f),
            None => return Err(bad("an int")),
        },
        ImplicitTag::Float => match resolve::construct_float(text) {
            Some(f) => NodeKind::Float(f),
            None => return Err(bad("a float")),
        },
        ImplicitTag::Timestamp => NodeKind::Timestamp(text.to_string()),
        ImplicitTag::Str => NodeKind::Str(text.to_string()),
        ImplicitTag::Merge if in_key => {
            return Ok(Composed {
                node: Node::new(NodeKind::Str(text.into()), pos),
                is_merge: true,
            })
        }
        ImplicitTag::Value if in_key => NodeKind::Str(text.to_string()),
        ImplicitTag::Merge => return Err(no_constructor(pos, "tag:yaml.org,2002:merge")),
        ImplicitTag::Value => return Err(no_constructor(pos, "tag:yaml.org,2002:value")),
    };
    Ok(Composed {
        node: Node::new(kind, pos),
        is_merge: false,
    })
}

/// A `!vault` scalar: its plaintext as a string node at the tag's position. One that no secret
/// decrypts becomes a template failing where it is used (ansible-core decrypts lazily).
fn vault_scalar(text: &str, pos: SourcePos) -> Result<Composed, YamlError> {
    let value = match crate::vault::decrypt_with_run_secrets(text) {
        Ok(plain) => String::from_utf8_lossy(&plain).into_owned(),
        Err(e) => crate::vault::undecryptable_marker(&pos.to_string(), &e),
    };
    Ok(Composed {
        node: Node::new(NodeKind::Str(value), pos),
        is_merge: false,
    })
}

/// Collections accept no tag, the non-specific `!`, or their own core tag (`!!set` for maps).
fn check_collection_tag(tag: Option<&Tag>, kind: &str, pos: &SourcePos) -> Result<(), YamlError> {
    let Some(t) = tag else {
        return Ok(());
    };
    let non_specific =
        (t.handle.is_empty() || t.handle == "!") && (t.suffix == "!" || t.suffix.is_empty());
    let own = t.handle == CORE && (t.suffix == kind || (kind == "map" && t.suffix == "set"));
    if non_specific || own {
        Ok(())
    } else {
        Err(no_constructor(pos.clone(), &t.to_string()))
    }
}
