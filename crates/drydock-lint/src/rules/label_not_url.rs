use drydock_findings::Severity;

use super::labels::report_invalid_values;
use crate::hadolint_config::LabelType;
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3052",
    name: "label-not-url",
    summary: "A label the schema types `url` is not a URL",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3052"),
    docs: r#"## What it does
When a label schema (`label-schema` in `.hadolint.yaml`) gives a label the type `url`, reports
a value of that label in the image being built that is not an absolute URL (`scheme:` followed by
text without spaces, quotes or angle brackets). Empty values (see `label-empty`) and values from build arguments are not judged; without a
schema, the rule reports nothing.

## Why is this bad?
Tools turn these labels into links (a registry's "source" button, a scanner's report): a value
such as `git.example.test/app` without its scheme leads nowhere.

## Example
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.source="git.example.test/team/app"
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.source="https://git.example.test/team/app"
```

## How to fix
Write the full URL, with its scheme.
"#,
    check,
};

fn valid(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        && !rest.is_empty()
        && !rest
            .chars()
            .any(|c| c.is_whitespace() || "<>\"{}|\\^`".contains(c))
}

fn check(checker: &mut Checker) {
    report_invalid_values(checker, LabelType::Url, valid, "an absolute URL");
}
