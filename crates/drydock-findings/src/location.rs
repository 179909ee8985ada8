use std::ops::Range;

/// A half-open byte range `start..end` into a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }

    /// Length in bytes.
    pub const fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub const fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The text the span covers (empty if the span does not fit `source`).
    pub fn text(self, source: &str) -> &str {
        source.get(self.start..self.end).unwrap_or("")
    }

    /// The span without trailing `\r`/`\n` characters of `source`.
    pub fn trim_end_newline(self, source: &str) -> Span {
        let text = self.text(source);
        Span::new(
            self.start,
            self.start + text.trim_end_matches(['\r', '\n']).len(),
        )
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// Where a finding is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A span of a file, usually a Dockerfile.
    File(FileLocation),
    /// Something inside an image layer.
    Image(ImageLocation),
    /// A field of the image configuration, e.g. `config.Env[2]`.
    Config(ConfigLocation),
}

/// A span of a text file, with its 1-based line and column (in characters) of both ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLocation {
    /// As the user named it (relative paths stay relative), `-` for standard input.
    pub path: String,
    pub span: Span,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl FileLocation {
    /// Locate `span` of the file `path` whose text is `text` and line index `index`.
    pub fn new(path: impl Into<String>, span: Span, text: &str, index: &LineIndex) -> Self {
        let (line, column) = index.line_column(text, span.start);
        let (end_line, end_column) = index.line_column(text, span.end);
        FileLocation {
            path: path.into(),
            span,
            line,
            column,
            end_line,
            end_column,
        }
    }
}

/// A place inside an image: the layer, and optionally the path in that layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLocation {
    /// 0-based index of the layer in the image's `rootfs.diff_ids`.
    pub layer: usize,
    /// The layer's uncompressed digest, `sha256:…`.
    pub diff_id: String,
    /// The history entry that made the layer (`RUN …`, `COPY …`), when known.
    pub created_by: Option<String>,
    /// Absolute path inside the image, when the finding is about a file.
    pub path: Option<String>,
}

/// A field of the image configuration, written as a JSON-path-like string: `config.Env[2]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLocation {
    pub field: String,
}

/// Maps byte offsets of a text to 1-based lines and character columns.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset where each line starts; the first is always 0.
    line_starts: Vec<usize>,
    text_len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr_newlines(text.as_bytes()).map(|i| i + 1));
        LineIndex {
            line_starts,
            text_len: text.len(),
        }
    }

    /// 1-based line and 1-based column, counted in characters, of byte `offset` of `text` (the
    /// text this index was built from). Offsets past the end are clamped to the end, offsets inside
    /// a character to its start.
    pub fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(self.text_len).min(text.len()));
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line].min(offset);
        (line + 1, text[start..offset].chars().count() + 1)
    }

    /// Byte offset where 1-based `line` starts, if the text has that line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        line.checked_sub(1)
            .and_then(|i| self.line_starts.get(i))
            .copied()
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter_map(|(i, &b)| (b == b'\n').then_some(i))
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_columns_of_offsets() {
        let text = "FROM a\nRUN b\n\nUSER c";
        let index = LineIndex::new(text);
        assert_eq!(index.line_column(text, 0), (1, 1));
        assert_eq!(index.line_column(text, 6), (1, 7));
        assert_eq!(index.line_column(text, 7), (2, 1));
        assert_eq!(index.line_column(text, 13), (3, 1));
        assert_eq!(index.line_column(text, 14), (4, 1));
        assert_eq!(index.line_column(text, 999), (4, 7));
        assert_eq!(index.line_count(), 4);
        assert_eq!(index.line_start(2), Some(7));
        assert_eq!(index.line_start(5), None);
    }

    #[test]
    fn character_columns_skip_multibyte_bytes() {
        let text = "LABEL a=\"é\" b=1";
        let index = LineIndex::new(text);
        let b = text.find("b=").unwrap();
        assert_eq!(b, 13);
        assert_eq!(index.line_column(text, b), (1, 13));
        // An offset inside `é` is moved to its start.
        assert_eq!(index.line_column(text, 10), (1, 10));
    }
}
