//! Instruction flags (`--name=value`) and typed `RUN --mount` values.

use crate::lines::LogicalLine;
use crate::span::Span;

/// A `--name[=value]` flag before an instruction's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// Name without the leading `--` (as written, not lower-cased).
    pub name: String,
    /// Value after the first `=`, quotes and escapes removed; `None` for a
    /// bare `--name`.
    pub value: Option<String>,
    /// The whole flag as written.
    pub span: Span,
    /// The name (without `--`).
    pub name_span: Span,
    /// The value as written (may include quotes).
    pub value_span: Option<Span>,
}

impl Flag {
    /// The value, or `""` for a bare flag.
    pub fn value_or_empty(&self) -> &str {
        self.value.as_deref().unwrap_or("")
    }
}

/// Reads BuildKit builder flags from `line.text[start..]`: words starting
/// with `--` until the first other word or a lone `--`. Returns the flags and
/// the offset where the arguments start.
pub(crate) fn extract_flags(line: &LogicalLine, start: usize, escape: char) -> (Vec<Flag>, usize) {
    let text = &line.text;
    let mut flags = Vec::new();
    let mut pos = start;
    loop {
        let rest = &text[pos..];
        let skipped = rest.len() - rest.trim_start().len();
        pos += skipped;
        if !text[pos..].starts_with("--") {
            return (flags, pos);
        }
        let word_start = pos;
        let mut decoded = String::new();
        let mut quote: Option<char> = None;
        let mut chars = text[pos..].char_indices().peekable();
        let mut end = text.len();
        while let Some((i, ch)) = chars.next() {
            if quote.is_none() && ch.is_whitespace() {
                end = pos + i;
                break;
            }
            match quote {
                None if ch == '\'' || ch == '"' => quote = Some(ch),
                Some(q) if ch == q => quote = None,
                _ if ch == escape => match chars.next() {
                    Some((_, next)) => decoded.push(next),
                    None => quote = None,
                },
                _ => decoded.push(ch),
            }
        }
        pos = end;
        if decoded == "--" {
            return (flags, pos);
        }
        let raw = &text[word_start..end];
        let raw_eq = raw.find('=');
        let name_end = raw_eq.map_or(end, |i| word_start + i);
        let (name, value) = match decoded.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (decoded.as_str(), None),
        };
        flags.push(Flag {
            name: name.trim_start_matches("--").to_owned(),
            value,
            span: line.span(word_start, end),
            name_span: line.span((word_start + 2).min(name_end), name_end),
            value_span: raw_eq.map(|i| line.span(word_start + i + 1, end)),
        });
    }
}

/// `RUN --mount` type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountType {
    /// `type=bind` (the default).
    Bind,
    /// `type=cache`.
    Cache,
    /// `type=tmpfs`.
    Tmpfs,
    /// `type=secret`.
    Secret,
    /// `type=ssh`.
    Ssh,
    /// Any other value (BuildKit rejects it), lower-cased.
    Other(String),
}

/// One `key[=value]` field of a `--mount` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountOption {
    /// Key, lower-cased as BuildKit does.
    pub key: String,
    /// Value after `=`, CSV quoting removed; `None` for a bare key (`ro`).
    pub value: Option<String>,
    /// The field in the source (the whole flag value if it was quoted or
    /// escaped, since then field offsets cannot be recovered exactly).
    pub span: Span,
}

/// A parsed `RUN --mount=...` flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Mount type (`bind` when not given).
    pub mount_type: MountType,
    /// Fields in order, repeated keys kept.
    pub options: Vec<MountOption>,
    /// The flag's value in the source.
    pub span: Span,
    /// CSV error, if the value is not valid CSV (BuildKit rejects it).
    pub error: Option<String>,
}

impl Mount {
    /// Value of the last field named by any of `keys` (`None` if absent).
    pub fn option(&self, keys: &[&str]) -> Option<&MountOption> {
        self.options
            .iter()
            .rev()
            .find(|o| keys.contains(&o.key.as_str()))
    }

    fn value(&self, keys: &[&str]) -> Option<&str> {
        self.option(keys).and_then(|o| o.value.as_deref())
    }

    /// `target`, `dst` or `destination`.
    pub fn target(&self) -> Option<&str> {
        self.value(&["target", "dst", "destination"])
    }

    /// `source` or `src`.
    pub fn source(&self) -> Option<&str> {
        self.value(&["source", "src"])
    }

    /// `from` (stage name, index or image).
    pub fn from(&self) -> Option<&str> {
        self.value(&["from"])
    }

    /// `id` (cache or secret id).
    pub fn id(&self) -> Option<&str> {
        self.value(&["id"])
    }

    /// `sharing` (`shared`, `private`, `locked`).
    pub fn sharing(&self) -> Option<&str> {
        self.value(&["sharing"])
    }

    /// `mode` (octal, as written).
    pub fn mode(&self) -> Option<&str> {
        self.value(&["mode"])
    }

    /// `uid`.
    pub fn uid(&self) -> Option<&str> {
        self.value(&["uid"])
    }

    /// `gid`.
    pub fn gid(&self) -> Option<&str> {
        self.value(&["gid"])
    }

    /// `size` (tmpfs).
    pub fn size(&self) -> Option<&str> {
        self.value(&["size"])
    }

    /// `env` (secret exposed as an environment variable).
    pub fn env(&self) -> Option<&str> {
        self.value(&["env"])
    }

    /// `required` (secret/ssh): bare key or a true value.
    pub fn required(&self) -> bool {
        self.option(&["required"])
            .is_some_and(|o| o.value.as_deref().is_none_or(parse_bool_true))
    }

    /// Whether the mount is read-only, with BuildKit's defaults: cache and
    /// tmpfs mounts are writable, others read-only, unless `ro`/`rw`/
    /// `readonly`/`readwrite` says otherwise.
    pub fn read_only(&self) -> bool {
        match self.option(&["readonly", "ro", "readwrite", "rw"]) {
            Some(o) => {
                let set = o.value.as_deref().is_none_or(parse_bool_true);
                let means_writable = o.key == "rw" || o.key == "readwrite";
                set != means_writable
            }
            None => !matches!(self.mount_type, MountType::Cache | MountType::Tmpfs),
        }
    }
}

fn parse_bool_true(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// Parses a `--mount` flag.
pub(crate) fn parse_mount(flag: &Flag, source: &str) -> Mount {
    let value = flag.value_or_empty();
    let span = flag.value_span.unwrap_or(flag.span);
    // Field spans are exact only when the source text equals the value.
    let exact = span.text(source) == value;
    let mut mount = Mount {
        mount_type: MountType::Bind,
        options: Vec::new(),
        span,
        error: None,
    };
    match csv_fields(value) {
        Ok(fields) => {
            for (field, start, end) in fields {
                let (key, value) = match field.split_once('=') {
                    Some((k, v)) => (k.to_lowercase(), Some(v.to_owned())),
                    None => (field.to_lowercase(), None),
                };
                if key == "type" {
                    mount.mount_type = match value.as_deref().map(str::to_lowercase).as_deref() {
                        Some("bind") => MountType::Bind,
                        Some("cache") => MountType::Cache,
                        Some("tmpfs") => MountType::Tmpfs,
                        Some("secret") => MountType::Secret,
                        Some("ssh") => MountType::Ssh,
                        other => MountType::Other(other.unwrap_or("").to_owned()),
                    };
                }
                let field_span = if exact {
                    Span::new(span.start + start, span.start + end)
                } else {
                    span
                };
                mount.options.push(MountOption {
                    key,
                    value,
                    span: field_span,
                });
            }
        }
        Err(message) => mount.error = Some(message),
    }
    mount
}

/// Splits one CSV record (Go `encoding/csv` rules, no lazy quotes): fields
/// with their byte ranges in `record`.
fn csv_fields(record: &str) -> Result<Vec<(String, usize, usize)>, String> {
    let mut fields = Vec::new();
    let mut pos = 0;
    loop {
        let start = pos;
        let rest = &record[pos..];
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut i = 0;
            loop {
                let Some(q) = quoted[i..].find('"') else {
                    return Err("extraneous or missing \" in quoted-field".to_owned());
                };
                value.push_str(&quoted[i..i + q]);
                i += q + 1;
                if quoted[i..].starts_with('"') {
                    value.push('"');
                    i += 1;
                } else {
                    break;
                }
            }
            pos += 1 + i;
            fields.push((value, start, pos));
            match record[pos..].chars().next() {
                None => return Ok(fields),
                Some(',') => pos += 1,
                Some(_) => return Err("extraneous or missing \" in quoted-field".to_owned()),
            }
        } else {
            let end = rest.find(',').map_or(record.len(), |i| pos + i);
            let field = &record[pos..end];
            if field.contains('"') {
                return Err("bare \" in non-quoted-field".to_owned());
            }
            fields.push((field.to_owned(), start, end));
            if end == record.len() {
                return Ok(fields);
            }
            pos = end + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        let fields = csv_fields(r#"type=bind,"source=a,b",target="/x""#).unwrap_err();
        assert!(fields.contains("bare"));
        let fields = csv_fields(r#"type=bind,"source=a,b","t=""q""""#).unwrap();
        let values: Vec<_> = fields.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(values, ["type=bind", "source=a,b", "t=\"q\""]);
        assert_eq!((fields[1].1, fields[1].2), (10, 22));
        assert!(csv_fields(r#""open"#).is_err());
    }
}
