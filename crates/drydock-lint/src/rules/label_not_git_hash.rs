use drydock_findings::Severity;

use super::labels::report_invalid_values;
use crate::hadolint_config::LabelType;
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3055",
    name: "label-not-git-hash",
    summary: "A label the schema types `hash` is not a git commit hash",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3055"),
    docs: r#"## What it does
When a label schema (`label-schema` in `.hadolint.yaml`) gives a label the type `hash`, reports
a value of that label in the image being built that is not a git commit hash: 40 (or, abbreviated,
7) lower-case hexadecimal digits. Empty values (see `label-empty`) and values from build arguments are not judged; without a
schema, the rule reports nothing.

## Why is this bad?
A revision label ties the image to the commit it was built from; a branch name or a tag moves,
and an upper-case or truncated hash does not match what git tools print.

## Example
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.revision="main"
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.revision="4f1c2d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"
```

## How to fix
Pass the full commit hash at build time: `--build-arg REVISION=$(git rev-parse HEAD)`.
"#,
    check,
};

fn valid(value: &str) -> bool {
    matches!(value.len(), 7 | 40)
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn check(checker: &mut Checker) {
    report_invalid_values(checker, LabelType::Hash, valid, "a git commit hash");
}
