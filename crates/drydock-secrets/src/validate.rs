//! Post-regex checks: placeholders, entropy, base64 payloads.

use crate::names;

/// Why we are scanning: findings (strict thresholds) or redaction of text we
/// are about to print (over-redacting is cheap, leaking is not).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    Scan,
    Redact,
}

/// What a validator sees about one regex match.
pub(crate) struct Candidate<'a> {
    pub secret: &'a [u8],
    /// The `key` group (variable name), if the rule has one.
    pub key: Option<&'a [u8]>,
    /// The value was preceded by this quote character.
    pub quote: Option<u8>,
    /// The byte right after the secret in the haystack.
    pub next: Option<u8>,
    pub mode: Mode,
}

pub(crate) type Validator = fn(&Candidate<'_>) -> bool;

/// A hand-written matcher run at a keyword hit: `(buf, hit_start, hit_end, mode)`
/// → secret span.
pub(crate) type CustomMatcher = fn(&[u8], usize, usize, Mode) -> Option<(usize, usize)>;

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-'
}

/// The `generic-secret` matcher, equivalent to
/// `KEY['"]?[ \t]{0,3}(=|:=|:|=>)[ \t]{0,3}(['"`])?VALUE` around a keyword hit,
/// where KEY is up to 40 `[A-Za-z0-9_.-]` bytes either side of the keyword and
/// VALUE is 3–256 bytes up to whitespace, a quote, `;`, `,` or `\`.
/// Rejects `==` and `::` (comparisons, paths). Then [`generic`] validates.
pub(crate) fn generic_at(buf: &[u8], hs: usize, he: usize, mode: Mode) -> Option<(usize, usize)> {
    let len = buf.len();
    let mut ke = he;
    while ke < len && ke - he < 40 && is_key_byte(buf[ke]) {
        ke += 1;
    }
    let mut p = ke;
    if p < len && (buf[p] == b'"' || buf[p] == b'\'') {
        p += 1;
    }
    if p < len && buf[p] == b']' {
        p += 1; // $config['secret'] => …
    }
    let skip_ws = |mut p: usize| {
        let start = p;
        while p < len && p - start < 3 && (buf[p] == b' ' || buf[p] == b'\t') {
            p += 1;
        }
        p
    };
    p = skip_ws(p);
    let rest = &buf[p.min(len)..];
    p += if rest.starts_with(b":=") || rest.starts_with(b"=>") {
        2
    } else if rest.starts_with(b"==") || rest.starts_with(b"::") {
        return None;
    } else if rest.first() == Some(&b'=') || rest.first() == Some(&b':') {
        1
    } else {
        return None;
    };
    p = skip_ws(p);
    let quote = match buf.get(p) {
        Some(&q) if q == b'"' || q == b'\'' || q == b'`' => {
            p += 1;
            Some(q)
        }
        _ => None,
    };
    let vs = p;
    while p < len && p - vs < 256 && !b" \t\r\n'\"`;,\\".contains(&buf[p]) {
        p += 1;
    }
    if p - vs < 3 {
        return None;
    }
    // The key's start only matters once an assignment has been found.
    let mut ks = hs;
    while ks > 0 && hs - ks < 40 && is_key_byte(buf[ks - 1]) {
        ks -= 1;
    }
    let ok = generic(&Candidate {
        secret: &buf[vs..p],
        key: Some(&buf[ks..ke]),
        quote,
        next: buf.get(p).copied(),
        mode,
    });
    ok.then_some((vs, p))
}

/// Shannon entropy in bits per byte.
pub(crate) fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let len = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

const PLACEHOLDER_PARTS: &[&str] = &[
    "example",
    "dummy",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "your_",
    "your-",
    "yourpass",
    "yourtoken",
    "yoursecret",
    "yourkey",
    "xxxx",
    "****",
    "redacted",
    "sample",
    "fake",
    "mock",
    "replace_me",
    "replaceme",
    "replace-me",
    "insert_",
    "insert-",
    "todo",
    "fixme",
    "${",
    "{{",
    "$(",
    "<%",
];

const PLACEHOLDER_EXACT: &[&str] = &[
    "xxx",
    "password",
    "passwd",
    "secret",
    "token",
    "null",
    "none",
    "nil",
    "undefined",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "test",
    "string",
    "str",
    "required",
    "optional",
    "empty",
    "default",
    "value",
    "key",
    "pass",
    "hidden",
    "masked",
    "env",
    "unset",
    "n/a",
    "tbd",
];

/// Words that documentation writes where a credential goes (`user:pass`,
/// `username:password`, `mysql://keystone:foobar@…`), metasyntactic names included.
const PLACEHOLDER_WORDS: &[&str] = &[
    "user", "username", "usr", "login", "name", "pass", "password", "passwd", "pwd", "secret",
    "token", "key", "foo", "bar", "baz", "qux", "quux", "foobar",
];

fn is_placeholder_word(w: &[u8]) -> bool {
    PLACEHOLDER_WORDS
        .iter()
        .any(|p| w.eq_ignore_ascii_case(p.as_bytes()))
}

/// Made of placeholder words only, joined by punctuation: `user:pass`, `username:`, `foobar`.
fn is_placeholder_phrase(v: &[u8]) -> bool {
    let mut words = v
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .peekable();
    words.peek().is_some() && words.all(is_placeholder_word)
}

/// `$VAR`, `${VAR}`, `${VAR:-x}`, `$(cmd)`, `%VAR%`, `{{ .Var }}`, `<%= x %>`.
pub(crate) fn is_reference(v: &[u8]) -> bool {
    let v = trim_ascii(v);
    match v.first() {
        Some(b'$') => true,
        Some(b'%') => v.len() > 2 && v.last() == Some(&b'%'),
        Some(b'{') => v.starts_with(b"{{"),
        Some(b'<') => v.starts_with(b"<%"),
        _ => false,
    }
}

/// A value that interpolates a variable anywhere (`anonymous:$FROM_EMAIL`, `user:${PASS}`,
/// `$(cat key)`): it is assembled at run time, not a literal secret.
pub(crate) fn has_interpolation(v: &[u8]) -> bool {
    v.windows(2)
        .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'_' | b'{' | b'(')))
}

/// Obvious placeholders: `changeme`, `xxx`, `<token>`, `${…}`, `example`, `dummy`,
/// masks like `****`, a single repeated character, placeholder words (`user:pass`).
pub(crate) fn is_placeholder(v: &[u8]) -> bool {
    let v = trim_ascii(v);
    if v.is_empty() {
        return true;
    }
    if is_reference(v) {
        return true;
    }
    if v.iter().all(|&b| b == v[0]) {
        return true;
    }
    if v.iter().all(|b| b"*xX#.-_?".contains(b)) {
        return true;
    }
    if v.first() == Some(&b'<') && v.last() == Some(&b'>') {
        return true;
    }
    if PLACEHOLDER_EXACT
        .iter()
        .any(|p| v.eq_ignore_ascii_case(p.as_bytes()))
        || is_placeholder_phrase(v)
    {
        return true;
    }
    static PARTS: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    PARTS
        .get_or_init(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(PLACEHOLDER_PARTS)
                .expect("placeholder automaton")
        })
        .is_match(v)
}

/// Absolute/relative file paths (`/run/secrets/x`, `./cfg`, `~/.npmrc`, `C:\x`, `file:`).
pub(crate) fn is_path(v: &[u8]) -> bool {
    let v = trim_ascii(v);
    v.starts_with(b"/")
        || v.starts_with(b"./")
        || v.starts_with(b"../")
        || v.starts_with(b"~/")
        || v.starts_with(b"file:")
        || (v.len() > 2 && v[0].is_ascii_alphabetic() && v[1] == b':' && v[2] == b'\\')
}

/// A PGP key fingerprint or long/short key id: 40 (or 16/8) hex digits,
/// optionally `0x`-prefixed and space-separated in groups.
pub fn is_key_fingerprint(v: &str) -> bool {
    let v = v.trim();
    let v = v
        .strip_prefix("0x")
        .or_else(|| v.strip_prefix("0X"))
        .unwrap_or(v);
    let mut hex = 0usize;
    for b in v.bytes() {
        match b {
            b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => hex += 1,
            b' ' => {}
            _ => return false,
        }
    }
    matches!(hex, 8 | 16 | 40) && !v.starts_with(' ')
}

/// Several fingerprints separated by whitespace (`GPG_KEYS="A… B…"`).
pub(crate) fn is_fingerprint_list(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() {
        return false;
    }
    if is_key_fingerprint(v) {
        return true;
    }
    v.split_ascii_whitespace().all(is_key_fingerprint)
}

/// `true`, `null`, … or a documented choice of them (`true|false`).
fn is_bool_or_null(v: &[u8]) -> bool {
    v.split(|&b| b == b'|').all(is_bool_or_null_word)
}

fn is_bool_or_null_word(v: &[u8]) -> bool {
    [
        &b"true"[..],
        b"false",
        b"yes",
        b"no",
        b"on",
        b"off",
        b"null",
        b"none",
        b"nil",
        b"0",
        b"1",
    ]
    .iter()
    .any(|w| v.eq_ignore_ascii_case(w))
}

fn trim_ascii(v: &[u8]) -> &[u8] {
    v.trim_ascii()
}

#[derive(Default)]
struct Classes {
    lower: bool,
    upper: bool,
    digit: bool,
    symbol: bool,
}

impl Classes {
    fn of(v: &[u8]) -> Classes {
        let mut c = Classes::default();
        for &b in v {
            match b {
                b'a'..=b'z' => c.lower = true,
                b'A'..=b'Z' => c.upper = true,
                b'0'..=b'9' => c.digit = true,
                b'_' | b'-' | b'.' => {}
                _ => c.symbol = true,
            }
        }
        c
    }
    fn count(&self) -> usize {
        usize::from(self.lower)
            + usize::from(self.upper)
            + usize::from(self.digit)
            + usize::from(self.symbol)
    }
}

// ---------------------------------------------------------------------------
// Per-rule validators

pub(crate) fn not_placeholder(c: &Candidate<'_>) -> bool {
    !is_placeholder(c.secret) && !is_path(c.secret)
}

pub(crate) fn aws_secret(c: &Candidate<'_>) -> bool {
    let cl = Classes::of(c.secret);
    if c.mode == Mode::Redact {
        return !is_placeholder(c.secret);
    }
    cl.lower && cl.upper && cl.digit && !is_placeholder(c.secret)
}

pub(crate) fn docker_auth(c: &Candidate<'_>) -> bool {
    let Some(decoded) = base64_decode(c.secret, false) else {
        return false;
    };
    let Some(colon) = memchr::memchr(b':', &decoded) else {
        return false;
    };
    colon > 0
        && colon + 1 < decoded.len()
        && decoded
            .iter()
            .all(|&b| (0x20..0x7f).contains(&b) || b >= 0x80)
}

pub(crate) fn jwt(c: &Candidate<'_>) -> bool {
    let header = c.secret.split(|&b| b == b'.').next().unwrap_or_default();
    let Some(decoded) = base64_decode(header, true) else {
        return false;
    };
    let d = decoded.trim_ascii();
    d.first() == Some(&b'{')
        && (memchr::memmem::find(d, b"\"alg\"").is_some()
            || memchr::memmem::find(d, b"\"typ\"").is_some())
}

pub(crate) fn url_credentials(c: &Candidate<'_>) -> bool {
    let s = c.secret;
    let Some(sep) = memchr::memmem::find(s, b"://") else {
        return false;
    };
    let userinfo = &s[sep + 3..s.len() - 1]; // strip trailing '@'
    let Some(colon) = memchr::memchr(b':', userinfo) else {
        return false;
    };
    let user = &userinfo[..colon];
    let pass = &userinfo[colon + 1..];
    if pass.is_empty() || pass.iter().all(u8::is_ascii_digit) {
        return false; // `host:8080` shape, not a password
    }
    if is_reference(pass) || memchr::memchr(b'$', pass).is_some() {
        return false;
    }
    if c.mode == Mode::Redact {
        return true;
    }
    // A placeholder user with a password shorter than the 8 bytes the generic
    // rule asks for is a documentation example (`https://user:he%2F%2Fo@…`).
    if is_placeholder_word(user) && percent_decoded_len(pass) < 8 {
        return false;
    }
    !is_placeholder(pass)
}

/// Length of `s` once `%XX` escapes are decoded.
fn percent_decoded_len(s: &[u8]) -> usize {
    let escapes = s
        .windows(3)
        .filter(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
        .count();
    s.len() - 2 * escapes
}

/// `password = "…"`, `api_key: …`, `client_secret => '…'`, `--token=…`.
pub(crate) fn generic(c: &Candidate<'_>) -> bool {
    let Some(key) = c.key else { return false };
    let v = c.secret;
    // A quoted value must end at its closing quote (no spaces inside).
    if let Some(q) = c.quote
        && c.next != Some(q)
    {
        return false;
    }
    // Cheapest checks first: most candidates in ordinary code fail one of them.
    if v.iter().any(|b| b"()[]{}<>".contains(b)) {
        return false; // code: calls, indexing, templates
    }
    if memchr::memmem::find(v, b"://").is_some() {
        return false; // URLs: the url-credentials rule owns them
    }
    if is_reference(v) || has_interpolation(v) || is_path(v) || is_bool_or_null(v) {
        return false;
    }
    if c.quote.is_none() && is_code_identifier(v, c.next) {
        return false;
    }
    // OpenSSL's pass-phrase syntax (`secret = pass:insta` in openssl.cnf): the
    // password is what follows `pass:`.
    let v = v.strip_prefix(b"pass:").unwrap_or(v);
    if c.mode == Mode::Scan && !generic_value_shape(v, c.quote.is_some()) {
        return false;
    }
    if is_placeholder(v) {
        return false;
    }
    std::str::from_utf8(key).is_ok_and(|k| names::secret_word(k).is_some())
}

/// An unquoted identifier that ends a statement (`x = other_name;`) or starts
/// with an underscore (`_S_token_begin`, C++ library internals): a variable
/// assigned in code, not a literal.
fn is_code_identifier(v: &[u8], next: Option<u8>) -> bool {
    let identifier = v
        .first()
        .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_')
        && v.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_');
    identifier && (next == Some(b';') || v[0] == b'_')
}

/// Length, character classes and entropy of a generic value (scan mode only).
fn generic_value_shape(v: &[u8], quoted: bool) -> bool {
    if v.len() < 8 {
        return false;
    }
    // `settings.SECRET_KEY`, `self.token`, `os.environ.get` …
    let identifier = (v[0].is_ascii_alphabetic() || v[0] == b'_')
        && v.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    if identifier && v.contains(&b'.') && !v.iter().any(u8::is_ascii_digit) {
        return false;
    }
    let classes = Classes::of(v);
    let n = classes.count();
    if n < 2 {
        return false;
    }
    let entropy = shannon_entropy(v);
    let threshold = ((v.len() as f64).log2() - 0.7).min(3.2);
    if entropy < threshold {
        return false;
    }
    if !quoted && identifier {
        // Unquoted identifier-like values are usually code (`token = token_v2`).
        return n >= 3 || (v.len() >= 20 && entropy >= 3.5);
    }
    if classes.lower && classes.upper && !classes.digit && !classes.symbol {
        // camelCase words
        return v.len() >= 20 && entropy >= 3.5;
    }
    true
}

/// Standard or URL-safe base64, padding optional. `None` if not base64.
pub(crate) fn base64_decode(s: &[u8], url_safe: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in s {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' if !url_safe => 62,
            b'/' if !url_safe => 63,
            b'-' if url_safe => 62,
            b'_' if url_safe => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod interpolation_tests {
    use super::has_interpolation;

    #[test]
    fn interpolations_anywhere_in_a_value() {
        assert!(has_interpolation(b"anonymous:$FROM_EMAIL"));
        assert!(has_interpolation(b"user:${PASS}"));
        assert!(has_interpolation(b"$(cat /run/secrets/x)"));
        assert!(!has_interpolation(b"a$1$9"));
        assert!(!has_interpolation(b"Tr0ub4dor&3-horse$"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_bounds() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn base64_roundtrip() {
        assert_eq!(base64_decode(b"dXNlcjpwYXNz", false).unwrap(), b"user:pass");
        assert_eq!(
            base64_decode(b"eyJhbGciOiJIUzI1NiJ9", true).unwrap(),
            br#"{"alg":"HS256"}"#
        );
        assert!(base64_decode(b"not base64!", false).is_none());
    }

    #[test]
    fn placeholders() {
        for p in [
            "changeme",
            "xxx",
            "<token>",
            "${TOKEN}",
            "$TOKEN",
            "example-key",
            "dummy1234",
            "aaaaaaaa",
            "****",
            "",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for p in ["Zq8vK2mP0xR7", "hunter2hunter"] {
            assert!(!is_placeholder(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn fingerprints() {
        assert!(is_key_fingerprint(
            "B42F6819007F00F88E364FD4036A9C25BF357DD4"
        ));
        assert!(is_key_fingerprint(
            "B42F 6819 007F 00F8 8E36  4FD4 036A 9C25 BF35 7DD4"
        ));
        assert!(is_key_fingerprint("0x036A9C25BF357DD4"));
        assert!(!is_key_fingerprint(
            "B42F6819007F00F88E364FD4036A9C25BF357DD"
        )); // 39
        assert!(!is_key_fingerprint(
            "g42F6819007F00F88E364FD4036A9C25BF357DD4"
        ));
        assert!(is_fingerprint_list(
            "B42F6819007F00F88E364FD4036A9C25BF357DD4 0x036A9C25BF357DD4"
        ));
    }
}
