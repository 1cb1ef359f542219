//! Source positions shared by every error that points into a user's file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A position in a source file: path, 1-based line and 1-based column.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourcePos {
    /// The file the position refers to.
    pub file: Arc<PathBuf>,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column number.
    pub col: usize,
}

impl SourcePos {
    /// A position at `line`:`col` (both 1-based) in `file`.
    pub fn new(file: Arc<PathBuf>, line: usize, col: usize) -> Self {
        Self { file, line, col }
    }

    /// The start of a file, for errors about a whole file.
    pub fn file_start(file: &Path) -> Self {
        Self {
            file: Arc::new(file.to_path_buf()),
            line: 1,
            col: 1,
        }
    }
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}
