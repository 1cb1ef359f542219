//! The variable value type shared by every stage.
//!
//! Variables are JSON-like trees with ordered maps (`serde_json` with `preserve_order`): YAML and
//! JSON data, facts, module results and extra vars all fit it, and minijinja reads it through serde.

/// A variable value: null, bool, number, string, list or ordered map.
pub type Value = serde_json::Value;
/// An ordered string-keyed map of values (insertion order kept).
pub type Map = serde_json::Map<String, Value>;
