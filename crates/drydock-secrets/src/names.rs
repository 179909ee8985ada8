//! "Secret by name": is `DB_PASSWORD` / `apiKey` / `GPG_KEY` a credential name?
//!
//! Names are split into tokens on `_`, `-`, `.`, other punctuation and camelCase
//! humps, lower-cased. A name is secret when
//! - a token is, ends with, or is the plural of a *strong* word
//!   (`password`, `secret`, `token`, `credential`, `apikey`, …), or
//! - its last token is a *weak* word (`pwd`, `pass`, `auth`, `pat`…), or
//! - a `key`/`keys` token follows a qualifier (`api`, `private`, `access`,
//!   `client`, `signing`, `encryption`, `master`, `account`, …),
//!
//! unless it is a public identifier: any `public`/`gpg`/`pgp`/`fingerprint`
//! token, `*_KEY_ID(S)`, or a last token naming metadata about the secret
//! (`_FILE`, `_PATH`, `_URL`, `_USERNAME`, `_LENGTH`, `_ENABLED`, …).

const STRONG: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "apikey",
    "privatekey",
    "secretkey",
    "accesskey",
    "clientsecret",
];

const WEAK_LAST: &[&str] = &["pwd", "pass", "psw", "pword", "auth", "pat", "creds", "pw"];

const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "private",
    "secret",
    "access",
    "client",
    "encryption",
    "enc",
    "signing",
    "sign",
    "master",
    "license",
    "licence",
    "app",
    "account",
    "storage",
    "shared",
    "session",
    "auth",
    "ssh",
    "deploy",
    "service",
    "admin",
    "root",
    "hmac",
    "jwt",
    "crypt",
    "cipher",
    "aes",
    "rsa",
    "ecdsa",
    "ed25519",
    "tls",
    "ssl",
    "cookie",
    "webhook",
    "consumer",
    "subscription",
    "write",
];

/// Any of these tokens makes a name a public identifier.
const PUBLIC_TOKENS: &[&str] = &[
    "public",
    "pub",
    "gpg",
    "pgp",
    "gnupg",
    "fingerprint",
    "fingerprints",
    "fpr",
    "keyserver",
];

/// Last tokens that name metadata about a secret rather than the secret.
const NON_SECRET_LAST: &[&str] = &[
    "file",
    "files",
    "path",
    "paths",
    "dir",
    "directory",
    "url",
    "uri",
    "urls",
    "endpoint",
    "host",
    "hostname",
    "port",
    "length",
    "len",
    "min",
    "max",
    "minimum",
    "maximum",
    "enabled",
    "enable",
    "disabled",
    "disable",
    "required",
    "type",
    "name",
    "names",
    "user",
    "username",
    "usr",
    "login",
    "mode",
    "version",
    "expiry",
    "expires",
    "expiration",
    "ttl",
    "timeout",
    "lifetime",
    "header",
    "prefix",
    "suffix",
    "algorithm",
    "alg",
    "location",
    "policy",
    "format",
    "regex",
    "pattern",
    "strength",
    "count",
    "size",
    "method",
    "scope",
    "scopes",
    "field",
    "param",
    "env",
    "hint",
    "description",
    "label",
    "arn",
    "ref",
    "reference",
    "rotation",
    "store",
    "provider",
    "manager",
    "backend",
    "driver",
    "mount",
    "volume",
    "kind",
    "source",
    "class",
    "issuer",
    "audience",
    "lifespan",
    "duration",
    "retries",
    "interval",
    "limit",
    "level",
    "key_id",
];

/// Split into lower-case tokens on non-alphanumerics and camelCase humps
/// (`apiKey` → `api key`, `APIKey` → `api key`, `DB_PASSWORD` → `db password`).
pub(crate) fn tokens(name: &str) -> Vec<String> {
    let b = name.as_bytes();
    let mut out = Vec::new();
    let mut cur = String::new();
    for i in 0..b.len() {
        let c = b[i];
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if !cur.is_empty() && c.is_ascii_uppercase() {
            let prev = b[i - 1];
            let next_lower = b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c.to_ascii_lowercase() as char);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn has(list: &[&str], t: &[u8]) -> bool {
    list.iter().any(|w| t.eq_ignore_ascii_case(w.as_bytes()))
}

fn ends_with_ci(t: &[u8], w: &[u8]) -> bool {
    t.len() >= w.len() && t[t.len() - w.len()..].eq_ignore_ascii_case(w)
}

const MAX_TOKENS: usize = 24;

/// Token byte ranges without allocating (same splitting as [`tokens`]);
/// names with more than [`MAX_TOKENS`] tokens keep the last ones.
fn token_spans(name: &[u8], out: &mut [(usize, usize); MAX_TOKENS]) -> usize {
    let mut n = 0;
    let mut start = None::<usize>;
    let mut push = |s: usize, e: usize, n: &mut usize| {
        if *n == MAX_TOKENS {
            out.copy_within(1.., 0);
            *n -= 1;
        }
        out[*n] = (s, e);
        *n += 1;
    };
    for i in 0..name.len() {
        let c = name[i];
        if !c.is_ascii_alphanumeric() {
            if let Some(s) = start.take() {
                push(s, i, &mut n);
            }
            continue;
        }
        if let Some(s) = start
            && c.is_ascii_uppercase()
        {
            let prev = name[i - 1];
            let next_lower = name.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                push(s, i, &mut n);
                start = Some(i);
            }
        }
        if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        push(s, name.len(), &mut n);
    }
    n
}

/// If `name` names a secret, the word that made it one (`"password"`,
/// `"token"`, `"key"` …); `None` for ordinary and allow-listed names.
pub fn secret_word(name: &str) -> Option<&'static str> {
    let b = name.as_bytes();
    let mut spans = [(0usize, 0usize); MAX_TOKENS];
    let n = token_spans(b, &mut spans);
    let tok = |i: usize| &b[spans[i].0..spans[i].1];
    if n == 0 {
        return None;
    }
    let last = tok(n - 1);
    if (0..n).any(|i| has(PUBLIC_TOKENS, tok(i))) || has(NON_SECRET_LAST, last) {
        return None;
    }
    if (last.eq_ignore_ascii_case(b"id") || last.eq_ignore_ascii_case(b"ids"))
        && n >= 2
        && has(&["key", "keys"], tok(n - 2))
    {
        return None; // *_KEY_ID(S)
    }
    for i in 0..n {
        let t = tok(i);
        for w in STRONG {
            let wb = w.as_bytes();
            let plural = t.len() == wb.len() + 1
                && t[..wb.len()].eq_ignore_ascii_case(wb)
                && (t[wb.len()] | 0x20) == b's';
            if ends_with_ci(t, wb) || plural {
                return Some(w);
            }
        }
    }
    if let Some(w) = WEAK_LAST
        .iter()
        .find(|w| last.eq_ignore_ascii_case(w.as_bytes()))
    {
        return Some(w);
    }
    for i in 1..n {
        if has(&["key", "keys"], tok(i)) && has(KEY_QUALIFIERS, tok(i - 1)) {
            return Some("key");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer() {
        assert_eq!(tokens("DB_PASSWORD"), ["db", "password"]);
        assert_eq!(tokens("apiKey"), ["api", "key"]);
        assert_eq!(tokens("APIKey"), ["api", "key"]);
        assert_eq!(tokens("my-app.secret2Key"), ["my", "app", "secret2", "key"]);
        assert!(tokens("__").is_empty());
    }

    #[test]
    fn secret_names() {
        for n in [
            "DB_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "GITHUB_TOKEN",
            "NPM_TOKEN",
            "API_KEY",
            "apiKey",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "client_secret",
            "JWT_SECRET",
            "DJANGO_SECRET_KEY",
            "BASIC_AUTH",
            "DB_PASS",
            "nextauthSecret",
            "OPENAI_API_KEY",
            "PRIVATE_KEY",
            "SSH_PRIVATE_KEY",
            "registry-credentials",
            "HF_TOKEN",
            "secrets",
        ] {
            assert!(secret_word(n).is_some(), "{n} should be secret");
        }
    }

    #[test]
    fn public_names() {
        for n in [
            "GPG_KEY",
            "GPG_KEYS",
            "NGINX_GPG_KEY",
            "PYTHON_PGP_KEY_IDS",
            "NODE_PGP_KEY_ID",
            "AWS_ACCESS_KEY_ID",
            "PUBLIC_KEY",
            "NEXT_PUBLIC_API_KEY",
            "SIGNING_KEY_FINGERPRINT",
            "DB_USERNAME",
            "USER",
            "NODE_VERSION",
            "PATH",
            "PASSWORD_FILE",
            "TOKEN_URL",
            "AUTH_ENABLED",
            "author",
            "KEY",
            "CACHE_KEY",
            "tokenizer",
            "PASSWORD_MIN_LENGTH",
            "SECRET_KEY_BASE_PATH",
            "passenger",
            "bypass",
        ] {
            assert_eq!(secret_word(n), None, "{n} should not be secret");
        }
    }
}
