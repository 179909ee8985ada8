//! Heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`) on RUN, COPY and ADD.

use std::borrow::Cow;

use crate::expand::{NoVariables, SplitOptions, split_words};
use crate::lines::{LogicalLine, physical_line};
use crate::span::Span;

/// A heredoc attached to an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    /// Terminator word, quotes removed (`EOF`).
    pub name: String,
    /// The `<<EOF` word in the instruction line.
    pub word_span: Span,
    /// `<<-`: leading tabs are stripped from body lines and the terminator.
    pub strip_tabs: bool,
    /// False when the delimiter was quoted: no variable expansion in the body.
    pub expand: bool,
    /// File descriptor before `<<` (`0` when absent).
    pub fd: u32,
    /// Raw body lines, including their line endings.
    pub body_span: Span,
    /// The terminator line.
    pub terminator_span: Span,
}

impl Heredoc {
    /// The body text as BuildKit uses it (leading tabs removed for `<<-`).
    pub fn body<'a>(&self, source: &'a str) -> Cow<'a, str> {
        let raw = self.body_span.text(source);
        if !self.strip_tabs {
            return Cow::Borrowed(raw);
        }
        Cow::Owned(
            raw.split_inclusive('\n')
                .map(|line| line.trim_start_matches('\t'))
                .collect(),
        )
    }
}

/// A heredoc word found on an instruction line, before its body is read.
pub(crate) struct HeredocWord {
    pub(crate) name: String,
    pub(crate) word_span: Span,
    pub(crate) strip_tabs: bool,
    pub(crate) expand: bool,
    pub(crate) fd: u32,
}

/// Parses one word as a heredoc start (BuildKit `ParseHeredoc`):
/// `^(\d*)<<(-?)\s*([^<]*)$` whose rest is a single shell word.
pub(crate) fn parse_heredoc_word(word: &str) -> Result<Option<(String, u32, bool, bool)>, String> {
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(after) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (strip_tabs, after) = match after.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, after),
    };
    let rest = after.trim_start_matches([' ', '\t', '\n', '\r', '\u{c}']);
    if rest.is_empty() || rest.contains('<') {
        return Ok(None);
    }
    let skip_unset = SplitOptions {
        skip_unset: true,
        ..SplitOptions::default()
    };
    let words = split_words(rest, '\\', &NoVariables, skip_unset).map_err(|e| e.message)?;
    let [name] = words.as_slice() else {
        return Ok(None);
    };
    let raw = split_words(
        rest,
        '\\',
        &NoVariables,
        SplitOptions {
            raw_quotes: true,
            ..skip_unset
        },
    )
    .map_err(|e| e.message)?;
    let quotes = |s: &str| s.chars().filter(|&c| c == '\'' || c == '"').count();
    let expand = raw
        .first()
        .is_some_and(|r| quotes(&r.text) == quotes(&name.text));
    let fd = word[..digits].parse().unwrap_or(0);
    Ok(Some((name.text.clone(), fd, strip_tabs, expand)))
}

/// Finds the heredoc words of an instruction line (BuildKit
/// `heredocsFromLine`; a line whose quotes do not balance has none).
pub(crate) fn heredoc_words(line: &LogicalLine, start: usize) -> Result<Vec<HeredocWord>, String> {
    let text = &line.text[start..];
    if !text.contains("<<") {
        return Ok(Vec::new());
    }
    let options = SplitOptions {
        raw_quotes: true,
        raw_escapes: true,
        skip_unset: true,
    };
    let Ok(words) = split_words(text, '\\', &NoVariables, options) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for word in words {
        if let Some((name, fd, strip_tabs, expand)) = parse_heredoc_word(&word.text)? {
            found.push(HeredocWord {
                name,
                word_span: line.span(start + word.start, start + word.end),
                strip_tabs,
                expand,
                fd,
            });
        }
    }
    Ok(found)
}

/// Reads the bodies of `words` from `pos`. Returns the heredocs and the
/// offset after the last terminator, or the offset where input ran out.
pub(crate) fn read_bodies(
    source: &str,
    mut pos: usize,
    words: Vec<HeredocWord>,
) -> Result<(Vec<Heredoc>, usize), usize> {
    let mut heredocs = Vec::with_capacity(words.len());
    for word in words {
        let body_start = pos;
        let terminator = loop {
            if pos >= source.len() {
                return Err(pos);
            }
            let line = physical_line(source, pos);
            let mut candidate = line.content.text(source);
            if word.strip_tabs {
                candidate = candidate.trim_start_matches('\t');
            }
            let line_start = pos;
            pos = line.next;
            if candidate == word.name {
                break Span::new(line_start, line.content.end);
            }
        };
        heredocs.push(Heredoc {
            name: word.name,
            word_span: word.word_span,
            strip_tabs: word.strip_tabs,
            expand: word.expand,
            fd: word.fd,
            body_span: Span::new(body_start, terminator.start),
            terminator_span: terminator,
        });
    }
    Ok((heredocs, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredoc_words_follow_buildkit() {
        assert_eq!(
            parse_heredoc_word("<<EOF"),
            Ok(Some(("EOF".into(), 0, false, true)))
        );
        assert_eq!(
            parse_heredoc_word("<<-EOT"),
            Ok(Some(("EOT".into(), 0, true, true)))
        );
        assert_eq!(
            parse_heredoc_word("<<'EOF'"),
            Ok(Some(("EOF".into(), 0, false, false)))
        );
        assert_eq!(
            parse_heredoc_word("<<\"EOF\""),
            Ok(Some(("EOF".into(), 0, false, false)))
        );
        assert_eq!(
            parse_heredoc_word("3<<X"),
            Ok(Some(("X".into(), 3, false, true)))
        );
        assert_eq!(parse_heredoc_word("<<"), Ok(None));
        assert_eq!(parse_heredoc_word("a<<EOF"), Ok(None));
        assert_eq!(parse_heredoc_word("<<<EOF"), Ok(None));
    }
}
