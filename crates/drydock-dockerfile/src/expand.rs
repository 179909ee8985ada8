//! Variable expansion and word splitting with BuildKit `shell/lex.go`
//! semantics.
//!
//! Supported: `$V`, `${V}`, `${V:-x}`, `${V-x}`, `${V:+x}`, `${V+x}`,
//! `${V:?msg}`, `${V?msg}`, `${V#p}`, `${V##p}`, `${V%p}`, `${V%%p}`,
//! `${V/a/b}`, `${V//a/b}`, single and double quotes, and the active escape
//! character. Patterns support `*`, `?` and escaped literals (no brackets),
//! as in BuildKit.

use std::collections::HashMap;

/// Variable lookup used by [`expand`].
pub trait Variables {
    /// The value of `name`, or `None` when it is not set.
    fn get(&self, name: &str) -> Option<&str>;
}

impl Variables for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).map(String::as_str)
    }
}

impl Variables for [(String, String)] {
    fn get(&self, name: &str) -> Option<&str> {
        lookup(self, name)
    }
}

/// The last value of `name` in `pairs`.
pub(crate) fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The result of expanding a word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The expanded text, quotes and escapes removed.
    pub value: String,
    /// Variables referenced but not set, in order of first use (BuildKit's
    /// "unmatched"; includes variables that had a `:-` default).
    pub unresolved: Vec<String>,
}

/// An expansion BuildKit rejects (bad substitution, unterminated quote,
/// `${V:?}` on an unset variable, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpandError {
    /// Human-readable reason, close to BuildKit's wording.
    pub message: String,
}

impl std::fmt::Display for ExpandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExpandError {}

fn error(message: impl Into<String>) -> ExpandError {
    ExpandError {
        message: message.into(),
    }
}

/// Deepest `${...}` nesting accepted, so hostile input cannot exhaust the
/// stack.
const MAX_NESTING: usize = 64;

/// Expands variables in `word` like BuildKit's `ProcessWord`: quotes and
/// escapes are removed, unset variables become empty and are listed in
/// [`Expansion::unresolved`].
pub fn expand(word: &str, escape: char, vars: &dyn Variables) -> Result<Expansion, ExpandError> {
    let mut lexer = Lexer::new(word, escape, vars);
    let value = lexer.process_stop_on(None, false, &mut None)?;
    Ok(Expansion {
        value,
        unresolved: lexer.unresolved,
    })
}

/// A word produced by [`split_words`], with its byte range in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SplitWord {
    pub(crate) text: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Options of [`split_words`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SplitOptions {
    /// Keep quote characters in the output.
    pub(crate) raw_quotes: bool,
    /// Keep escape characters in the output.
    pub(crate) raw_escapes: bool,
    /// Leave references to unset variables as written.
    pub(crate) skip_unset: bool,
}

/// Splits `input` into words like BuildKit's `ProcessWords`.
pub(crate) fn split_words(
    input: &str,
    escape: char,
    vars: &dyn Variables,
    options: SplitOptions,
) -> Result<Vec<SplitWord>, ExpandError> {
    let mut lexer = Lexer::new(input, escape, vars);
    lexer.raw_quotes = options.raw_quotes;
    lexer.raw_escapes = options.raw_escapes;
    lexer.skip_unset = options.skip_unset;
    let mut words = Some(Words::default());
    lexer.process_stop_on(None, options.raw_escapes, &mut words)?;
    let mut words = words.unwrap_or_default();
    words.finish(input.len());
    Ok(words.done)
}

/// Lookup that knows no variables.
pub(crate) struct NoVariables;

impl Variables for NoVariables {
    fn get(&self, _: &str) -> Option<&str> {
        None
    }
}

#[derive(Default)]
struct Words {
    buf: String,
    in_word: bool,
    start: usize,
    end: usize,
    done: Vec<SplitWord>,
}

impl Words {
    fn add_char(&mut self, ch: char, start: usize, end: usize) {
        if ch.is_whitespace() {
            if self.in_word && !self.buf.is_empty() {
                self.finish(self.end);
            }
        } else {
            self.add_raw(ch.encode_utf8(&mut [0; 4]), start, end);
        }
    }

    fn add_raw(&mut self, text: &str, start: usize, end: usize) {
        if !self.in_word || self.buf.is_empty() {
            self.start = start;
        }
        self.buf.push_str(text);
        self.in_word = true;
        self.end = end;
    }

    fn add_expanded(&mut self, text: &str, start: usize, end: usize) {
        for ch in text.chars() {
            self.add_char(ch, start, end);
        }
    }

    fn finish(&mut self, fallback_end: usize) {
        if !self.buf.is_empty() {
            let end = if self.in_word { self.end } else { fallback_end };
            self.done.push(SplitWord {
                text: std::mem::take(&mut self.buf),
                start: self.start,
                end,
            });
        }
        self.in_word = false;
    }
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    escape: char,
    vars: &'a dyn Variables,
    raw_quotes: bool,
    raw_escapes: bool,
    skip_unset: bool,
    depth: usize,
    unresolved: Vec<String>,
}

impl<'a> Lexer<'a> {
    fn new(input: &'a str, escape: char, vars: &'a dyn Variables) -> Self {
        Self {
            input,
            pos: 0,
            escape,
            vars,
            raw_quotes: false,
            raw_escapes: false,
            skip_unset: false,
            depth: 0,
            unresolved: Vec::new(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let ch = self.peek()?;
        self.pos += ch.len_utf8();
        Some(ch)
    }

    fn lookup(&mut self, name: &str) -> Option<String> {
        match self.vars.get(name) {
            Some(value) => Some(value.to_owned()),
            None => {
                if !self.unresolved.iter().any(|n| n == name) {
                    self.unresolved.push(name.to_owned());
                }
                None
            }
        }
    }

    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
        words: &mut Option<Words>,
    ) -> Result<String, ExpandError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(error("substitution nested too deeply"));
        }
        let saved = std::mem::replace(&mut self.raw_escapes, raw_escapes);
        let result = self.process_stop_on_inner(stop, words);
        self.raw_escapes = saved;
        self.depth -= 1;
        result
    }

    fn process_stop_on_inner(
        &mut self,
        stop: Option<char>,
        words: &mut Option<Words>,
    ) -> Result<String, ExpandError> {
        let mut result = String::new();
        while let Some(ch) = self.peek() {
            let start = self.pos;
            if Some(ch) == stop {
                self.next();
                return Ok(result);
            }
            match ch {
                '$' => {
                    let value = self.dollar()?;
                    if let Some(w) = words {
                        w.add_expanded(&value, start, self.pos);
                    }
                    result.push_str(&value);
                }
                '<' | '\'' | '"' => {
                    let value = match ch {
                        '<' => self.possible_heredoc(),
                        '\'' => self.single_quote()?,
                        _ => self.double_quote()?,
                    };
                    if let Some(w) = words {
                        w.add_raw(&value, start, self.pos);
                    }
                    result.push_str(&value);
                }
                _ => {
                    self.next();
                    if ch == self.escape {
                        if self.raw_escapes {
                            if let Some(w) = words {
                                w.add_raw(ch.encode_utf8(&mut [0; 4]), start, self.pos);
                            }
                            result.push(ch);
                        }
                        let Some(escaped) = self.next() else { break };
                        if let Some(w) = words {
                            w.add_raw(escaped.encode_utf8(&mut [0; 4]), start, self.pos);
                        }
                        result.push(escaped);
                    } else {
                        if let Some(w) = words {
                            w.add_char(ch, start, self.pos);
                        }
                        result.push(ch);
                    }
                }
            }
        }
        match stop {
            Some(stop) => Err(error(format!(
                "unexpected end of statement while looking for matching {stop}"
            ))),
            None => Ok(result),
        }
    }

    fn single_quote(&mut self) -> Result<String, ExpandError> {
        let mut result = String::new();
        let open = self.next();
        if self.raw_quotes {
            result.extend(open);
        }
        loop {
            match self.next() {
                None => {
                    return Err(error(
                        "unexpected end of statement while looking for matching single-quote",
                    ));
                }
                Some('\'') => {
                    if self.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(ch) => result.push(ch),
            }
        }
    }

    fn double_quote(&mut self) -> Result<String, ExpandError> {
        let mut result = String::new();
        let open = self.next();
        if self.raw_quotes {
            result.extend(open);
        }
        loop {
            match self.peek() {
                None => {
                    return Err(error(
                        "unexpected end of statement while looking for matching double-quote",
                    ));
                }
                Some('"') => {
                    self.next();
                    if self.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let value = self.dollar()?;
                    result.push_str(&value);
                }
                Some(_) => {
                    let Some(mut ch) = self.next() else { continue };
                    if ch == self.escape {
                        if self.raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(next) if next == '"' || next == '$' || next == self.escape => {
                                self.next();
                                ch = next;
                            }
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn possible_heredoc(&mut self) -> String {
        self.next();
        if self.peek() != Some('<') {
            return "<".to_owned();
        }
        self.next();
        let mut result = "<<".to_owned();
        while let Some(ch @ ('\t' | '\r' | ' ')) = self.peek() {
            result.push(ch);
            self.next();
        }
        result
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_ascii_digit() {
                while let Some(digit) = self.peek().filter(char::is_ascii_digit) {
                    name.push(digit);
                    self.next();
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return ch.to_string();
            }
            if !ch.is_alphanumeric() && ch != '_' {
                break;
            }
            self.next();
            name.push(ch);
        }
        name
    }

    fn dollar(&mut self) -> Result<String, ExpandError> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".to_owned());
            }
            return Ok(match self.lookup(&name) {
                Some(value) => value,
                None if self.skip_unset => format!("${name}"),
                None => String::new(),
            });
        }
        self.next();
        match self.peek() {
            None => return Err(error("syntax error: missing '}'")),
            Some('{' | '}' | ':') => return Err(error("syntax error: bad substitution")),
            Some(_) => {}
        }
        let name = self.name();
        let Some(mut modifier) = self.next() else {
            return Err(error("syntax error: missing '}'"));
        };
        match modifier {
            '}' => Ok(match self.lookup(&name) {
                Some(value) => value,
                None if self.skip_unset => format!("${{{name}}}"),
                None => String::new(),
            }),
            ':' | '+' | '-' | '?' | '#' | '%' => {
                let null_is_unset = modifier == ':';
                let mut shown = modifier.to_string();
                if null_is_unset {
                    match self.next() {
                        Some(ch) => {
                            modifier = ch;
                            shown.push(ch);
                        }
                        None => return Err(error("syntax error: missing '}'")),
                    }
                }
                let pattern_like = modifier == '#' || modifier == '%';
                if null_is_unset && pattern_like {
                    return Err(error(format!(
                        "unsupported modifier ({shown}) in substitution"
                    )));
                }
                let word =
                    self.stop_on_or_missing('}', pattern_like, "syntax error: missing '}'")?;
                let value = self.lookup(&name);
                if self.skip_unset && value.is_none() {
                    return Ok(format!("${{{name}{shown}{word}}}"));
                }
                let empty = value
                    .as_deref()
                    .is_none_or(|v| null_is_unset && v.is_empty());
                match modifier {
                    '-' => Ok(if empty {
                        word
                    } else {
                        value.unwrap_or_default()
                    }),
                    '+' => Ok(if empty { String::new() } else { word }),
                    '?' => match value {
                        None => Err(error(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be unset"
                            } else {
                                &word
                            }
                        ))),
                        Some(v) if null_is_unset && v.is_empty() => Err(error(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be empty"
                            } else {
                                &word
                            }
                        ))),
                        Some(v) => Ok(v),
                    },
                    '#' | '%' => {
                        let value = value.unwrap_or_default();
                        let (greedy, pattern) = match word.strip_prefix(modifier) {
                            Some(rest) => (true, rest),
                            None => (false, word.as_str()),
                        };
                        let pattern = Pattern::parse(pattern)?;
                        Ok(if modifier == '#' {
                            pattern.trim_prefix(&value, greedy)
                        } else {
                            pattern.trim_suffix(&value, greedy)
                        })
                    }
                    _ => Err(error(format!(
                        "unsupported modifier ({shown}) in substitution"
                    ))),
                }
            }
            '/' => {
                let replace_all = self.peek() == Some('/');
                if replace_all {
                    self.next();
                }
                let pattern =
                    self.stop_on_or_missing('/', true, "syntax error: missing '/' in ${}")?;
                let replacement =
                    self.stop_on_or_missing('}', true, "syntax error: missing '}'")?;
                let value = self.lookup(&name);
                if self.skip_unset && value.is_none() {
                    return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
                }
                let compiled = Pattern::parse(&pattern)?;
                Ok(compiled.replace(&value.unwrap_or_default(), &replacement, replace_all))
            }
            other => Err(error(format!(
                "unsupported modifier ({other}) in substitution"
            ))),
        }
    }

    fn stop_on_or_missing(
        &mut self,
        stop: char,
        raw_escapes: bool,
        missing: &str,
    ) -> Result<String, ExpandError> {
        self.process_stop_on(Some(stop), raw_escapes, &mut None)
            .map_err(|e| {
                if self.peek().is_none() {
                    error(missing)
                } else {
                    e
                }
            })
    }
}

/// A shell pattern element (`*`, `?` or a literal character).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Star,
    Any,
    Literal(char),
}

/// A compiled `*`/`?` pattern. Like the regular expressions BuildKit
/// builds, `*` and `?` do not match a newline.
struct Pattern(Vec<Token>);

/// Patterns longer than this are rejected (matching is O(text × pattern)).
const MAX_PATTERN: usize = 1024;

impl Pattern {
    fn parse(pattern: &str) -> Result<Self, ExpandError> {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(ch) = chars.next() {
            tokens.push(match ch {
                '*' => Token::Star,
                '?' => Token::Any,
                '\\' => match chars.peek() {
                    // `\}` and `\/` are escapes for the ${} syntax only.
                    Some('}' | '/') => continue,
                    Some(&next @ ('*' | '?' | '\\')) => {
                        chars.next();
                        Token::Literal(next)
                    }
                    other => {
                        let shown = other.map(|c| c.to_string()).unwrap_or_default();
                        return Err(error(format!(
                            "invalid pattern ({pattern}) in substitution: invalid escape '\\{shown}'"
                        )));
                    }
                },
                other => Token::Literal(other),
            });
        }
        if tokens.len() > MAX_PATTERN {
            return Err(error("pattern too long"));
        }
        Ok(Self(tokens))
    }

    /// Ends (char counts) of every match anchored at the start of `text`.
    fn match_ends(&self, text: &[char]) -> Vec<usize> {
        let tokens = &self.0;
        let mut states = vec![false; tokens.len() + 1];
        states[0] = true;
        close_stars(tokens, &mut states);
        let mut ends = Vec::new();
        if states[tokens.len()] {
            ends.push(0);
        }
        let mut next = vec![false; tokens.len() + 1];
        for (i, &ch) in text.iter().enumerate() {
            next.iter_mut().for_each(|s| *s = false);
            let mut alive = false;
            for (state, token) in tokens.iter().enumerate() {
                if !states[state] {
                    continue;
                }
                let target = match token {
                    Token::Star if ch != '\n' => state,
                    Token::Any if ch != '\n' => state + 1,
                    Token::Literal(l) if *l == ch => state + 1,
                    _ => continue,
                };
                next[target] = true;
                alive = true;
            }
            if !alive {
                break;
            }
            close_stars(tokens, &mut next);
            std::mem::swap(&mut states, &mut next);
            if states[tokens.len()] {
                ends.push(i + 1);
            }
        }
        ends
    }

    fn anchored_end(&self, text: &[char], greedy: bool) -> Option<usize> {
        let ends = self.match_ends(text);
        if greedy {
            ends.last().copied()
        } else {
            ends.first().copied()
        }
    }

    fn trim_prefix(&self, value: &str, greedy: bool) -> String {
        let chars: Vec<char> = value.chars().collect();
        match self.anchored_end(&chars, greedy) {
            Some(end) => chars[end..].iter().collect(),
            None => value.to_owned(),
        }
    }

    fn trim_suffix(&self, value: &str, greedy: bool) -> String {
        let reversed = Pattern(self.0.iter().rev().copied().collect());
        let chars: Vec<char> = value.chars().rev().collect();
        match reversed.anchored_end(&chars, greedy) {
            Some(end) => chars[end..].iter().rev().collect(),
            None => value.to_owned(),
        }
    }

    fn replace(&self, value: &str, replacement: &str, all: bool) -> String {
        let chars: Vec<char> = value.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        let mut last_match_end = None;
        while i <= chars.len() {
            let found = self.anchored_end(&chars[i..], true).map(|len| i + len);
            match found {
                Some(end) if !(end == i && last_match_end == Some(i)) => {
                    out.push_str(replacement);
                    last_match_end = Some(end);
                    if !all {
                        out.extend(&chars[end..]);
                        return out;
                    }
                    if end > i {
                        i = end;
                        continue;
                    }
                }
                _ => {}
            }
            if let Some(&ch) = chars.get(i) {
                out.push(ch);
            }
            i += 1;
        }
        out
    }
}

fn close_stars(tokens: &[Token], states: &mut [bool]) {
    for (i, token) in tokens.iter().enumerate() {
        if states[i] && *token == Token::Star {
            states[i + 1] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> HashMap<String, String> {
        [
            ("NAME", "alpine"),
            ("EMPTY", ""),
            ("PATHV", "/usr/local/bin/app.tar.gz"),
            ("SPACED", "a b"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn ok(word: &str) -> String {
        expand(word, '\\', &env()).unwrap().value
    }

    fn err(word: &str) -> String {
        expand(word, '\\', &env()).unwrap_err().message
    }

    #[test]
    fn plain_and_braced_references() {
        assert_eq!(ok("$NAME:3.20"), "alpine:3.20");
        assert_eq!(ok("${NAME}x"), "alpinex");
        assert_eq!(ok("$"), "$");
        assert_eq!(ok("a$"), "a$");
        assert_eq!(ok("$1x"), "x");
        let e = expand("${MISSING}/$OTHER/$MISSING", '\\', &env()).unwrap();
        assert_eq!(e.value, "//");
        assert_eq!(e.unresolved, ["MISSING", "OTHER"]);
    }

    #[test]
    fn default_and_alternative_values() {
        assert_eq!(ok("${MISSING:-dflt}"), "dflt");
        assert_eq!(ok("${EMPTY:-dflt}"), "dflt");
        assert_eq!(ok("${EMPTY-dflt}"), "");
        assert_eq!(ok("${MISSING-dflt}"), "dflt");
        assert_eq!(ok("${NAME:-dflt}"), "alpine");
        assert_eq!(ok("${NAME:+alt}"), "alt");
        assert_eq!(ok("${EMPTY:+alt}"), "");
        assert_eq!(ok("${EMPTY+alt}"), "alt");
        assert_eq!(ok("${MISSING+alt}"), "");
        assert_eq!(ok("${MISSING:-${NAME}}"), "alpine");
    }

    #[test]
    fn required_values() {
        assert_eq!(ok("${NAME:?no}"), "alpine");
        assert_eq!(err("${MISSING:?must be set}"), "MISSING: must be set");
        assert_eq!(err("${EMPTY:?}"), "EMPTY: is not allowed to be empty");
        assert_eq!(err("${MISSING?}"), "MISSING: is not allowed to be unset");
        assert_eq!(ok("${EMPTY?}"), "");
    }

    #[test]
    fn prefix_and_suffix_removal() {
        assert_eq!(ok("${PATHV#*/}"), "usr/local/bin/app.tar.gz");
        assert_eq!(ok("${PATHV##*/}"), "app.tar.gz");
        assert_eq!(ok("${PATHV%.*}"), "/usr/local/bin/app.tar");
        assert_eq!(ok("${PATHV%%.*}"), "/usr/local/bin/app");
        assert_eq!(ok("${PATHV#nomatch}"), "/usr/local/bin/app.tar.gz");
        assert_eq!(ok("${NAME#?}"), "lpine");
        assert_eq!(ok("${NAME%\\*}"), "alpine");
        assert!(err("${NAME:#x}").contains("unsupported modifier"));
    }

    #[test]
    fn substitution() {
        assert_eq!(ok("${PATHV/\\//:}"), ":usr/local/bin/app.tar.gz");
        assert_eq!(ok("${PATHV//\\//:}"), ":usr:local:bin:app.tar.gz");
        assert_eq!(ok("${NAME/p*/X}"), "alX");
        assert_eq!(ok("${NAME//[/X}"), "alpine");
        assert_eq!(ok("${MISSING/a/b}"), "");
        assert_eq!(err("${NAME/a"), "syntax error: missing '/' in ${}");
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(ok("'$NAME'"), "$NAME");
        assert_eq!(ok("\"$NAME is\""), "alpine is");
        assert_eq!(ok("\\$NAME"), "$NAME");
        assert_eq!(ok("\"a\\\"b\\x\""), "a\"b\\x");
        assert_eq!(expand("`$NAME", '`', &env()).unwrap().value, "$NAME");
        assert_eq!(
            expand("C:\\dir\\$NAME", '`', &env()).unwrap().value,
            "C:\\dir\\alpine"
        );
        assert!(err("'open").contains("single-quote"));
        assert!(err("\"open").contains("double-quote"));
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(err("${"), "syntax error: missing '}'");
        assert_eq!(err("${}"), "syntax error: bad substitution");
        assert_eq!(err("${:x}"), "syntax error: bad substitution");
        assert_eq!(err("${NAME:-x"), "syntax error: missing '}'");
        assert!(err("${NAME^^}").contains("unsupported modifier"));
        let deep = "${A:-".repeat(200) + &"}".repeat(200);
        assert!(expand(&deep, '\\', &env()).is_err());
    }

    #[test]
    fn word_splitting_keeps_quoted_spaces_and_positions() {
        let words = split_words(
            "a \"b c\" $SPACED <<  EOF",
            '\\',
            &env(),
            SplitOptions::default(),
        )
        .unwrap();
        let texts: Vec<_> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["a", "b c", "a", "b", "<<  EOF"]);
        assert_eq!((words[1].start, words[1].end), (2, 7));
        assert_eq!((words[4].start, words[4].end), (16, 23));
    }
}
