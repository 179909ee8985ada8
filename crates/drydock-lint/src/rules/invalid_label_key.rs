use drydock_dockerfile::InstructionKind;
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3048",
    name: "invalid-label-key",
    summary: "A label key does not follow Docker's key format",
    severity: Severity::Style,
    enabled_by_default: true,
    hadolint: Some("DL3048"),
    docs: r#"## What it does
Reports a `LABEL` key that does not follow Docker's recommended format: lower-case letters,
digits, `.`, `-`, `_` and `/`, starting with a letter and ending with a letter or digit, without
`..` or `--`, and outside the namespaces Docker reserves (`com.docker.`, `io.docker.`,
`org.dockerproject.`). Keys built from variables are not judged.

## Why is this bad?
Tools that read labels (registries, scanners, orchestrators) expect reverse-DNS keys such as
`org.opencontainers.image.source`; keys like `Version` or `my label` are easy to mistype,
clash between images, and may be ignored.

## Example
```dockerfile
FROM debian:bookworm-slim
LABEL Version=1.2.0
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.version=1.2.0
```

## How to fix
Use a lower-case, reverse-DNS key; prefer the `org.opencontainers.image.*` keys.
"#,
    check,
};

fn is_valid(key: &str) -> bool {
    let starts = key.starts_with(|c: char| c.is_ascii_lowercase());
    let ends = key.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    let chars = key
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_/".contains(c));
    let reserved = ["com.docker.", "io.docker.", "org.dockerproject."]
        .iter()
        .any(|prefix| key.starts_with(prefix));
    starts && ends && chars && !reserved && !key.contains("..") && !key.contains("--")
}

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for instruction in &checker.file.instructions {
        let InstructionKind::Label(pairs) = &instruction.kind else {
            continue;
        };
        for pair in pairs {
            let key = pair.key.text.trim_matches(['"', '\'']);
            if !key.contains('$') && !is_valid(key) {
                findings.push(
                    Diagnostic::new(
                        pair.key.span,
                        format!("label key `{key}` is not a lower-case reverse-DNS key"),
                    )
                    .help("use lower-case letters, digits, `.`, `-`, `/`, e.g. `org.opencontainers.image.version`"),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
