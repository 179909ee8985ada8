use drydock_findings::Severity;

use super::security_helpers::{AddSource, adds, classify_add_source};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD206",
    name: "add-remote-without-checksum",
    summary: "ADD downloads a file or repository without verifying it",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports an `ADD` of an `http(s)://` URL without `--checksum=sha256:…`, and an `ADD` of a git
repository that pins neither a commit (`#<40-hex commit>`) nor `--checksum=<commit>`. URLs
given by build arguments are expanded with their defaults.

## Why is this bad?
The build trusts whatever the server (or anyone on the way to it) returns, and a moved tag or
branch, or a replaced release file, silently changes the image.

## Example
```dockerfile
FROM alpine:3.20
ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini-static /tini
```

Use instead:
```dockerfile
# syntax=docker/dockerfile:1.6
FROM alpine:3.20
ADD --checksum=sha256:c5b0666b4cb676901f90dfcb37106783c5fe2077b04590973b885950611b30ee \
    https://github.com/krallin/tini/releases/download/v0.19.0/tini-static /tini
```

## How to fix
Add `--checksum=sha256:<digest of the file>` (Dockerfile syntax 1.6 or later; compute it with
`curl -fsSL <url> | sha256sum`). For a git repository, pin the commit: `ADD
https://github.com/org/repo.git#<commit sha> /src` or `--checksum=<commit sha>`.
"#,
    check,
};

fn check(checker: &mut Checker) {
    for add in adds(checker) {
        if add.instruction.flag("checksum").is_some() {
            continue;
        }
        for (word, text) in &add.sources {
            let shown = drydock_secrets::redact_text(&word.text);
            match classify_add_source(text) {
                AddSource::Url => checker.report(
                    Diagnostic::new(
                        word.span,
                        format!(
                            "`ADD` downloads `{shown}` without `--checksum`, so the build trusts \
                             whatever the server returns"
                        ),
                    )
                    .help(
                        "add `--checksum=sha256:<digest>` (Dockerfile syntax ≥ 1.6; compute it \
                         with `curl -fsSL <url> | sha256sum`)",
                    ),
                ),
                AddSource::Git if !pins_commit(text) => checker.report(
                    Diagnostic::new(
                        word.span,
                        format!(
                            "`ADD` clones `{shown}` at a branch or tag that can move, without a \
                             commit pin"
                        ),
                    )
                    .help(
                        "pin the commit: append `#<commit sha>` to the URL or add \
                         `--checksum=<commit sha>`",
                    ),
                ),
                _ => {}
            }
        }
    }
}

/// `…#<40 or 64 hex digits>` (optionally `:subdir`).
fn pins_commit(url: &str) -> bool {
    let Some((_, fragment)) = url.rsplit_once('#') else {
        return false;
    };
    let reference = fragment.split(':').next().unwrap_or(fragment);
    matches!(reference.len(), 40 | 64) && reference.bytes().all(|b| b.is_ascii_hexdigit())
}
