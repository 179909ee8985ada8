use drydock_findings::Severity;

use super::labels::report_invalid_values;
use crate::hadolint_config::LabelType;
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3056",
    name: "label-not-semver",
    summary: "A label the schema types `semver` is not a semantic version",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3056"),
    docs: r#"## What it does
When a label schema (`label-schema` in `.hadolint.yaml`) gives a label the type `semver`,
reports a value of that label in the image being built that is not a semantic version
(`1.4.2`, `2.0.0-rc.1+build.5`; no leading `v`). Empty values (see `label-empty`) and values from build arguments are not judged; without a
schema, the rule reports nothing.

## Why is this bad?
Tools that sort or compare image versions by this label (release automation, update checks)
misorder or skip values like `v1.4` or `1.4`.

## Example
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.version="v1.4"
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.version="1.4.0"
```

## How to fix
Write `MAJOR.MINOR.PATCH`, with an optional `-pre-release` and `+build`.
"#,
    check,
};

fn valid(value: &str) -> bool {
    semver::Version::parse(value).is_ok()
}

fn check(checker: &mut Checker) {
    report_invalid_values(checker, LabelType::Semver, valid, "a semantic version");
}
