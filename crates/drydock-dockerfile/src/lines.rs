//! Physical lines, line continuations and the map from joined text back to
//! the source.
//!
//! BuildKit joins an instruction's continuation lines into one string: the
//! escape character at the end of a line is removed, comment lines and
//! whitespace-only lines inside the continuation are dropped, and the pieces
//! are concatenated without a separator. [`LogicalLine`] keeps that joined
//! text plus a [`SourceMap`] so every offset in it maps back to the source.

use crate::span::Span;

/// One contiguous piece of joined text copied from the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    joined: usize,
    source: usize,
    len: usize,
}

/// Maps byte offsets of a joined text back to source offsets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SourceMap {
    pieces: Vec<Piece>,
}

impl SourceMap {
    fn push(&mut self, joined: usize, source: usize, len: usize) {
        if len > 0 {
            self.pieces.push(Piece {
                joined,
                source,
                len,
            });
        }
    }

    fn source_start(&self) -> usize {
        self.pieces.first().map_or(0, |p| p.source)
    }

    /// Source offset of joined offset `at` (the end maps to the end of the
    /// last piece).
    pub(crate) fn offset(&self, at: usize) -> usize {
        let index = self.pieces.partition_point(|p| p.joined + p.len <= at);
        match self.pieces.get(index) {
            Some(p) => p.source + at.saturating_sub(p.joined),
            None => self
                .pieces
                .last()
                .map_or(self.source_start(), |p| p.source + p.len),
        }
    }

    /// Source span of the joined range `start..end`.
    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        let from = self.offset(start);
        if end <= start {
            return Span::new(from, from);
        }
        // Map the last byte, not the end, so a range ending at a piece
        // boundary does not run into the next piece.
        let index = self.pieces.partition_point(|p| p.joined + p.len < end);
        let to = match self.pieces.get(index) {
            Some(p) if p.joined < end => p.source + (end - p.joined),
            _ => self.offset(end),
        };
        Span::new(from, to.max(from))
    }
}

/// An instruction's text after joining continuation lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LogicalLine {
    pub(crate) text: String,
    pub(crate) map: SourceMap,
    /// Source span from the first to the last byte of the instruction text.
    pub(crate) span: Span,
}

impl LogicalLine {
    /// Source span of the joined range `start..end`.
    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        self.map.span(start, end)
    }
}

/// A physical line: `content` excludes the trailing `\r`/`\n` characters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PhysicalLine {
    pub(crate) content: Span,
    /// Offset of the next line.
    pub(crate) next: usize,
}

/// The physical line starting at `pos`.
pub(crate) fn physical_line(source: &str, pos: usize) -> PhysicalLine {
    let bytes = source.as_bytes();
    let newline = bytes[pos..].iter().position(|&b| b == b'\n');
    let next = newline.map_or(source.len(), |i| pos + i + 1);
    let mut end = next;
    // BuildKit trims every trailing '\r' and '\n' (bytes.TrimRight "\r\n").
    while end > pos && matches!(bytes[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    PhysicalLine {
        content: Span::new(pos, end),
        next,
    }
}

/// Whether a line (after leading whitespace) starts with `#`.
pub(crate) fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Removes a trailing line-continuation escape, BuildKit style: the escape
/// followed only by spaces/tabs, either alone on the line or preceded by a
/// character other than the escape. Returns the kept length and whether the
/// line continues.
pub(crate) fn strip_continuation(line: &str, escape: char) -> (usize, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    let Some(before) = trimmed.strip_suffix(escape) else {
        return (line.len(), false);
    };
    match before.chars().next_back() {
        None => (0, true),
        Some(c) if c == escape => (line.len(), false),
        Some(_) => (before.len(), true),
    }
}

/// Result of reading one instruction's lines.
pub(crate) struct ReadLine {
    pub(crate) line: LogicalLine,
    /// Comment lines found inside the continuation.
    pub(crate) comments: Vec<Span>,
    /// Offset after the last consumed physical line.
    pub(crate) next: usize,
}

/// Reads an instruction that starts at `first` (already left-trimmed content
/// of a non-comment line) and continues while lines end in the escape.
pub(crate) fn read_logical_line(source: &str, first: Span, next: usize, escape: char) -> ReadLine {
    let mut line = LogicalLine::default();
    let mut comments = Vec::new();
    let (kept, mut continues) = strip_continuation(first.text(source), escape);
    line.map.push(0, first.start, kept);
    line.text.push_str(&source[first.start..first.start + kept]);
    let mut last_end = first.end;
    let mut pos = next;
    while continues && pos < source.len() {
        let physical = physical_line(source, pos);
        pos = physical.next;
        let text = physical.content.text(source);
        if is_comment(text) {
            comments.push(physical.content);
            continue;
        }
        if text.trim_start().is_empty() {
            continue;
        }
        let (kept, more) = strip_continuation(text, escape);
        continues = more;
        line.map.push(line.text.len(), physical.content.start, kept);
        line.text.push_str(&text[..kept]);
        last_end = physical.content.end;
    }
    line.span = Span::new(first.start, last_end);
    ReadLine {
        line,
        comments,
        next: pos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_rules_follow_buildkit() {
        assert_eq!(strip_continuation("RUN a \\", '\\'), (6, true));
        assert_eq!(strip_continuation("RUN a \\  \t", '\\'), (6, true));
        assert_eq!(strip_continuation("\\", '\\'), (0, true));
        assert_eq!(strip_continuation("RUN a \\\\", '\\'), (8, false));
        assert_eq!(strip_continuation("RUN a `", '`'), (6, true));
        assert_eq!(strip_continuation("RUN a \\", '`'), (7, false));
    }

    #[test]
    fn joined_offsets_map_back_to_the_source() {
        let source = "RUN a \\\n  # note\n\n  b";
        let first = physical_line(source, 0);
        let read = read_logical_line(source, first.content, first.next, '\\');
        assert_eq!(read.line.text, "RUN a   b");
        assert_eq!(read.comments.len(), 1);
        let b = read.line.text.find('b').unwrap();
        assert_eq!(read.line.span(b, b + 1).text(source), "b");
        assert_eq!(
            read.line.span(4, b + 1).text(source),
            "a \\\n  # note\n\n  b"
        );
        assert_eq!(read.line.span.text(source), source);
    }
}
