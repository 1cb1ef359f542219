//! YAML as PyYAML 3.10 (YAML 1.1, SafeLoader) reads it, keeping a source position on every node.
//! (Implemented in issue 3.)
