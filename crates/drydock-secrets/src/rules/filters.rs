//! Keyword-hit filters: a few byte comparisons that reject most hits in
//! ordinary text before a regex runs.

fn ci_contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// AWS key id prefixes are upper case (`AKIA…`), the automaton is case-insensitive.
pub(crate) fn exact_upper(buf: &[u8], s: usize, e: usize) -> bool {
    buf[s..e].iter().all(|b| !b.is_ascii_lowercase())
}

/// `aws…secret` or `secret…access…key` around the `secret` keyword.
pub(crate) fn aws_secret_context(buf: &[u8], s: usize, e: usize) -> bool {
    let before = &buf[s.saturating_sub(32)..s];
    let after = &buf[e..(e + 8).min(buf.len())];
    ci_contains(before, b"aws") || ci_contains(after, b"access")
}

/// After `://`: userinfo with a `:` then `@` before the host ends.
pub(crate) fn url_userinfo(buf: &[u8], _s: usize, e: usize) -> bool {
    let mut colon = false;
    for &b in buf[e..(e + 400).min(buf.len())].iter() {
        match b {
            b'@' => return colon,
            b':' => colon = true,
            b'/' | b'?' | b'#' | b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'`' | b'<'
            | b'>' | b'\\' => return false,
            _ => {}
        }
    }
    false
}

/// `-----BEGIN … PRIVATE KEY`.
pub(crate) fn pem_begin(buf: &[u8], s: usize, _e: usize) -> bool {
    memchr::memmem::find(&buf[s.saturating_sub(48)..s], b"-----BEGIN").is_some()
}

/// `eyJ` followed by base64url.
pub(crate) fn jwt_start(buf: &[u8], s: usize, e: usize) -> bool {
    &buf[s..e] == b"eyJ"
        && buf.get(e..e + 8).is_some_and(|t| {
            t.iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        })
}

/// `_authToken =`, `_auth=`, `_password=` as `.npmrc` writes them: at the start of a line or
/// after the `//host/:` scope (not `proxy_auth = …` in code).
pub(crate) fn npmrc_assign(buf: &[u8], s: usize, e: usize) -> bool {
    let line_start = buf[..s]
        .iter()
        .rev()
        .find(|b| **b != b' ' && **b != b'\t')
        .is_none_or(|b| *b == b'\n' || *b == b'\r');
    if !(line_start || s > 0 && buf[s - 1] == b':') {
        return false;
    }
    let mut p = e;
    if buf[p..].starts_with(b"Token") {
        p += 5;
    }
    while p < buf.len() && (buf[p] == b' ' || buf[p] == b'\t') {
        p += 1;
    }
    buf.get(p) == Some(&b'=')
}
