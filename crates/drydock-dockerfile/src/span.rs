//! Byte spans into the Dockerfile source and conversion to line/column.

pub use drydock_findings::{LineIndex, Span};

/// 1-based line and column (column counted in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineColumn {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}
