use drydock_findings::Severity;

use super::security_helpers::{external_bases, find_in};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3007",
    name: "base-image-latest",
    summary: "FROM uses the `latest` tag",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3007"),
    docs: r#"## What it does
Reports a `FROM` whose image uses the `latest` tag without a digest, after expanding build
arguments with their defaults. It does not fire for `image:latest@sha256:…` (the digest pins
it), for earlier stages, or when the reference uses a variable without a default.

## Why is this bad?
`latest` moves whenever a new version is pushed: the same Dockerfile builds different images
over time, and a major upgrade can arrive unannounced.

## Example
```dockerfile
FROM node:latest
```

Use instead:
```dockerfile
FROM node:22-slim
```

## How to fix
Name the version you use, and preferably pin its digest (`node:22-slim@sha256:…`).
"#,
    check,
};

fn check(checker: &mut Checker) {
    let source = checker.source();
    for base in external_bases(checker) {
        if base.image.tag.as_deref() != Some("latest") || base.image.digest.is_some() {
            continue;
        }
        let span = find_in(source, base.word.span, ":latest")
            .map(|s| drydock_dockerfile::Span::new(s.start + 1, s.end))
            .unwrap_or(base.word.span);
        let repository = base.name.strip_suffix(":latest").unwrap_or(base.name);
        checker.report(
            Diagnostic::new(
                span,
                format!(
                    "base image {} uses the `latest` tag, which moves whenever a new version is \
                     pushed",
                    base.shown()
                ),
            )
            .help(format!(
                "name the version you use: `{repository}:<version>` (and pin its digest)"
            )),
        );
    }
}
