//! Parser directives (`# syntax=`, `# escape=`, `# check=`) at the top of a
//! Dockerfile.

use crate::span::Span;

/// A parser directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased name: `syntax`, `escape` or `check`.
    pub name: String,
    /// Value, surrounding whitespace trimmed.
    pub value: String,
    /// The whole directive line (without line ending).
    pub span: Span,
    /// The value.
    pub value_span: Span,
}

/// Reads `line` (left-trimmed, no line ending, starting at `offset`) as a
/// directive: `#` then `name = value`, name in the known set (BuildKit's
/// `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`).
pub(crate) fn parse_directive(line: &str, offset: usize) -> Option<Directive> {
    let body = line.strip_prefix('#')?;
    let body_start = offset + 1 + (body.len() - body.trim_start().len());
    let body = body.trim_start();
    let name_len = body
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || i > 0 && c.is_ascii_digit()))
        .map_or(body.len(), |(i, _)| i);
    let name = body[..name_len].to_ascii_lowercase();
    if !matches!(name.as_str(), "syntax" | "escape" | "check") {
        return None;
    }
    let after_name = &body[name_len..];
    let after_eq = after_name
        .trim_start_matches(is_regex_space)
        .strip_prefix('=')?;
    let value_with_lead = after_eq.trim_start_matches(is_regex_space);
    let value = value_with_lead.trim_end_matches(is_regex_space);
    if value.is_empty() {
        return None;
    }
    let value_start = body_start + (body.len() - value_with_lead.len());
    Some(Directive {
        name,
        value: value.to_owned(),
        span: Span::new(offset, offset + line.len()),
        value_span: Span::new(value_start, value_start + value.len()),
    })
}

/// Go RE2 `\s`: `[\t\n\f\r ]`.
fn is_regex_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_known_directives_only() {
        let d = parse_directive("# Escape = ` ", 10).unwrap();
        assert_eq!((d.name.as_str(), d.value.as_str()), ("escape", "`"));
        assert_eq!(d.value_span, Span::new(21, 22));
        assert!(parse_directive("# syntax=docker/dockerfile:1", 0).is_some());
        assert!(parse_directive("#check=skip=all", 0).is_some());
        assert!(parse_directive("# foo=bar", 0).is_none());
        assert!(parse_directive("# escape=", 0).is_none());
        assert!(parse_directive("# escape", 0).is_none());
    }
}
