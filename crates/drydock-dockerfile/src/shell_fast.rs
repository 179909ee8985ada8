//! A fast path for the commonest RUN scripts: simple commands joined by
//! `&&`, `||`, `|`, `;`, `&` and newlines, made of plain, quoted and
//! `$VAR`/`${VAR…}` words. It yields exactly what the brush-parser walk in
//! [`shell`](crate::shell) yields for the same text (a property test compares
//! the two), at a fraction of the cost, and gives up (`None`) on anything
//! else: compound commands, reserved words, heredocs, here-strings, process
//! substitution, subshells and groups, backquotes, syntax errors. Redirections
//! (skipped, as the walk skips them), comments and `$(…)` inside words are in
//! the subset. Most RUN lines of real Dockerfiles take this path.

use crate::shell::{Connector, ShellWord, SimpleCommand, unquote};
use crate::span::Span;

/// Words that are special at the start of a command.
const RESERVED: [&str; 22] = [
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for",
    "in", "select", "function", "time", "coproc", "{", "}", "!", "[[", "]]",
];

/// The simple commands of `text`, or `None` when it is not in the subset.
pub(crate) fn parse(
    text: &str,
    to_span: &dyn Fn(usize, usize) -> Span,
) -> Option<Vec<SimpleCommand>> {
    let bytes = text.as_bytes();
    let mut commands = Vec::new();
    // Words of the command being read, as byte ranges.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut connector = Connector::First;
    // The operator that ended the previous command and still needs a command
    // after it (`&&`, `||`, `|`).
    let mut needs_command = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' => i += 1,
            b'\n' => {
                if !words.is_empty() {
                    finish(text, &mut words, connector, to_span, &mut commands)?;
                    connector = Connector::Sequence;
                } else if !needs_command && !commands.is_empty() {
                    connector = Connector::Sequence;
                }
                i += 1;
            }
            b'&' | b'|' | b';' => {
                let op = bytes[i];
                let double = bytes.get(i + 1) == Some(&op);
                if words.is_empty() {
                    // Operator without a command before it: a syntax error
                    // or a form outside the subset (`;;`, `|&`, `&>`…).
                    return None;
                }
                finish(text, &mut words, connector, to_span, &mut commands)?;
                let (next, len, needs) = match (op, double) {
                    (b'&', true) => (Connector::And, 2, true),
                    (b'|', true) => (Connector::Or, 2, true),
                    (b'|', false) => (Connector::Pipe, 1, true),
                    (b'&', false) => (Connector::Background, 1, false),
                    (b';', false) => (Connector::Sequence, 1, false),
                    _ => return None,
                };
                if matches!(bytes.get(i + len), Some(b'&' | b'|' | b';' | b'>' | b'<')) {
                    return None;
                }
                connector = next;
                needs_command = needs;
                i += len;
            }
            b'#' => {
                // A comment runs to the end of the line.
                i += bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(bytes.len() - i);
            }
            _ => {
                if let Some(end) = redirection_end(bytes, i) {
                    // Redirections are not words of the command. A command of
                    // redirections only is left to the real parser.
                    if words.is_empty() {
                        return None;
                    }
                    i = end?;
                    continue;
                }
                let end = word_end(bytes, i)?;
                words.push((i, end));
                needs_command = false;
                i = end;
            }
        }
    }
    if needs_command {
        return None;
    }
    if !words.is_empty() {
        finish(text, &mut words, connector, to_span, &mut commands)?;
    }
    Some(commands)
}

/// For a redirection at `start` (`>f`, `2>>f`, `2>&1`, `<f`, `<>f`, `>|f`),
/// `Some` with the end of its target word, or `Some(None)` for redirections
/// outside the subset (heredocs, here-strings, process substitution, a
/// missing target); `None` when `start` is not a redirection.
fn redirection_end(bytes: &[u8], start: usize) -> Option<Option<usize>> {
    let digits = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let mut i = start + digits;
    match bytes.get(i) {
        Some(b'>') => {
            i += 1;
            if matches!(bytes.get(i), Some(b'>' | b'&' | b'|')) {
                i += 1;
            }
        }
        Some(b'<') => {
            i += 1;
            match bytes.get(i) {
                Some(b'<' | b'(') => return Some(None),
                Some(b'&' | b'>') => i += 1,
                _ => {}
            }
        }
        _ => return None,
    }
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    match bytes.get(i) {
        None | Some(b'\n' | b'&' | b'|' | b';' | b'<' | b'>' | b'(' | b')' | b'#') => Some(None),
        Some(_) => Some(word_end(bytes, i)),
    }
}

/// End of the word starting at `start`, or `None` for anything outside the
/// subset.
fn word_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'&' | b'|' | b';' => break,
            b'<' | b'>' => break,
            b'(' | b')' | b'`' | b'{' | b'}' | b'\r' => return None,
            b'#' if i == start => return None,
            b'\\' => {
                if matches!(bytes.get(i + 1), None | Some(b'\n' | b'\r')) {
                    return None;
                }
                i += 1;
                i += utf8_len(bytes[i]);
            }
            b'\'' => {
                let close = bytes[i + 1..].iter().position(|&b| b == b'\'')?;
                if bytes[i + 1..i + 1 + close].contains(&b'\n') {
                    return None;
                }
                i += close + 2;
            }
            b'"' => i = double_quoted_end(bytes, i + 1)?,
            b'$' => i = dollar_end(bytes, i)?,
            b if b < 0x20 => return None,
            b => i += utf8_len(b),
        }
    }
    Some(i)
}

/// End (after the closing quote) of a double-quoted string whose contents
/// start at `i`.
fn double_quoted_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Some(i + 1),
            b'\\' => {
                if matches!(bytes.get(i + 1), None | Some(b'\n' | b'\r')) {
                    return None;
                }
                i += 1;
                i += utf8_len(bytes[i]);
            }
            b'$' => i = dollar_end(bytes, i)?,
            b'`' | b'\n' | b'\r' => return None,
            b => i += utf8_len(b),
        }
    }
    None
}

/// End of a parameter expansion at `i` (`$NAME`, `$1`, `$@`, `${…}`); `None`
/// for command substitution, arithmetic, `$'…'` and nested forms.
fn dollar_end(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes.get(i + 1) {
        Some(b'{') => {
            let close = bytes[i + 2..].iter().position(|&b| b == b'}')?;
            let inner = &bytes[i + 2..i + 2 + close];
            let plain = !inner.is_empty()
                && inner.iter().all(|&b| {
                    !matches!(
                        b,
                        b'$' | b'{' | b'\'' | b'"' | b'\\' | b'`' | b'\n' | b'\r' | b' ' | b'\t'
                    )
                });
            plain.then_some(i + 3 + close)
        }
        Some(b'(') => command_substitution_end(bytes, i + 2),
        Some(b'\'' | b'"' | b'[') => None,
        _ => Some(i + 1),
    }
}

/// End of `$(…)` (or `$((…))`) whose contents start at `i`: parentheses
/// balanced outside quotes. `None` for contents that could hide an
/// unbalanced parenthesis (`case`, comments, heredocs, backquotes).
fn command_substitution_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'\'' => {
                i += bytes[i + 1..].iter().position(|&b| b == b'\'')? + 1;
            }
            b'"' => {
                i = double_quoted_end(bytes, i + 1)?;
                continue;
            }
            b'\\' => {
                if matches!(bytes.get(i + 1), None | Some(b'\n' | b'\r')) {
                    return None;
                }
                i += 1;
            }
            // brush-parser rewrites tabs inside `$(…)` in the word it returns.
            b'`' | b'#' | b'\n' | b'\r' | b'\t' | b'{' | b'}' => return None,
            b'<' if bytes.get(i + 1) == Some(&b'<') => return None,
            b'c' if bytes[i..].starts_with(b"case") => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// Turns the collected words into a [`SimpleCommand`].
fn finish(
    text: &str,
    words: &mut Vec<(usize, usize)>,
    connector: Connector,
    to_span: &dyn Fn(usize, usize) -> Span,
    commands: &mut Vec<SimpleCommand>,
) -> Option<()> {
    let split = words
        .iter()
        .position(|&(s, e)| !is_assignment(&text[s..e]))
        .unwrap_or(words.len());
    if let Some(&(s, e)) = words.get(split) {
        let first = &text[s..e];
        if RESERVED.contains(&first)
            || first.starts_with('!')
            || first.contains('=') && unusual_assignment(first)
        {
            return None;
        }
    }
    let word = |&(s, e): &(usize, usize)| {
        let raw = &text[s..e];
        ShellWord {
            raw: raw.to_owned(),
            text: unquote(raw),
            span: to_span(s, e),
        }
    };
    let assignments: Vec<ShellWord> = words[..split].iter().map(word).collect();
    let command_words: Vec<ShellWord> = words[split..].iter().map(word).collect();
    words.clear();
    commands.push(SimpleCommand::new(
        connector,
        assignments,
        command_words,
        None,
    ));
    Some(())
}

/// `NAME=…` with a valid shell name.
fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Assignment forms the fast path leaves to the real parser: `NAME+=…`,
/// `NAME[i]=…`.
fn unusual_assignment(word: &str) -> bool {
    let name = word.split('=').next().unwrap_or("");
    name.ends_with('+') || name.contains('[')
}
