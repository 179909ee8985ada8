//! The JSON array check BuildKit applies to exec-form arguments.

/// Outcome of reading instruction arguments as a JSON array.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JsonArray {
    /// Not valid JSON (or not an array): BuildKit falls back to shell form.
    NotJson,
    /// Valid JSON array with a non-string element: BuildKit rejects it.
    NotStrings,
    /// Decoded strings with the byte range of each literal in the input.
    Strings(Vec<(String, usize, usize)>),
}

/// Deepest nesting accepted; deeper input counts as invalid JSON.
const MAX_DEPTH: usize = 256;

/// Reads `text` (already trimmed) as a JSON array of strings.
pub(crate) fn parse_array(text: &str) -> JsonArray {
    if !text.starts_with('[') {
        return JsonArray::NotJson;
    }
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    let mut strings = Vec::new();
    let mut all_strings = true;
    let ok = reader.array(0, &mut |value| match value {
        Some(item) => strings.push(item),
        None => all_strings = false,
    });
    reader.skip_whitespace();
    if ok.is_none() || reader.pos != reader.bytes.len() {
        return JsonArray::NotJson;
    }
    if all_strings {
        JsonArray::Strings(strings)
    } else {
        JsonArray::NotStrings
    }
}

type Item = (String, usize, usize);

struct Reader<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn skip_whitespace(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Reads an array; `top` receives each top-level element (`None` for
    /// non-strings) when `depth == 0`.
    fn array(&mut self, depth: usize, top: &mut dyn FnMut(Option<Item>)) -> Option<()> {
        self.eat(b'[').then_some(())?;
        self.skip_whitespace();
        if self.eat(b']') {
            return Some(());
        }
        loop {
            self.skip_whitespace();
            let start = self.pos;
            if self.bytes.get(self.pos) == Some(&b'"') {
                let s = self.string()?;
                if depth == 0 {
                    top(Some((s, start, self.pos)));
                }
            } else {
                self.value(depth + 1)?;
                if depth == 0 {
                    top(None);
                }
            }
            self.skip_whitespace();
            if self.eat(b']') {
                return Some(());
            }
            self.eat(b',').then_some(())?;
        }
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_whitespace();
        match self.bytes.get(self.pos)? {
            b'[' => self.array(depth, &mut |_| {}),
            b'{' => self.object(depth),
            b'"' => self.string().map(drop),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.number(),
        }
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        self.eat(b'{');
        self.skip_whitespace();
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return None;
            }
            self.string()?;
            self.skip_whitespace();
            self.eat(b':').then_some(())?;
            self.value(depth + 1)?;
            self.skip_whitespace();
            if self.eat(b'}') {
                return Some(());
            }
            self.eat(b',').then_some(())?;
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Some(())
        } else {
            None
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Option<()> {
        self.eat(b'-');
        if self.eat(b'0') {
        } else if self.digits() == 0 {
            return None;
        }
        if self.eat(b'.') && self.digits() == 0 {
            return None;
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let value = u32::from_str_radix(digits, 16).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        Some(value)
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b'"');
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let stop = rest.find(|c: char| c == '"' || c == '\\' || (c as u32) < 0x20)?;
            out.push_str(&rest[..stop]);
            self.pos += stop;
            match self.bytes[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let escaped = *self.bytes.get(self.pos)?;
                    self.pos += 1;
                    match escaped {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let unit = self.hex4()?;
                            out.push(self.code_point(unit));
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// Combines surrogate pairs; lone surrogates become U+FFFD (as Go does).
    fn code_point(&mut self, unit: u32) -> char {
        if (0xD800..0xDC00).contains(&unit) && self.bytes[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            if let Some(low) = self.hex4().filter(|low| (0xDC00..0xE000).contains(low)) {
                let combined = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                return char::from_u32(combined).unwrap_or('\u{FFFD}');
            }
            self.pos = save;
        }
        char::from_u32(unit).unwrap_or('\u{FFFD}')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(text: &str) -> Vec<String> {
        match parse_array(text) {
            JsonArray::Strings(items) => items.into_iter().map(|(s, _, _)| s).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decodes_strings_and_escapes() {
        assert_eq!(strings(r#"["a", "b c"]"#), ["a", "b c"]);
        assert_eq!(
            strings(r#"[ "\u00e9\n\"", "\ud83d\ude00" ] "#),
            ["é\n\"", "😀"]
        );
        assert_eq!(strings("[]"), Vec::<String>::new());
    }

    #[test]
    fn classifies_invalid_and_non_string_arrays() {
        assert_eq!(parse_array(r#"["a", b]"#), JsonArray::NotJson);
        assert_eq!(parse_array(r#"["a",]"#), JsonArray::NotJson);
        assert_eq!(parse_array(r#"["a"] x"#), JsonArray::NotJson);
        assert_eq!(parse_array("['a']"), JsonArray::NotJson);
        assert_eq!(parse_array(r#"["a", 1]"#), JsonArray::NotStrings);
        assert_eq!(
            parse_array(r#"["a", {"k": [null, true, -1.5e3]}]"#),
            JsonArray::NotStrings
        );
        assert_eq!(parse_array(&"[".repeat(10_000)), JsonArray::NotJson);
    }
}
