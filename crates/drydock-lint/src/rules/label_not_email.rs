use drydock_findings::Severity;

use super::labels::report_invalid_values;
use crate::hadolint_config::LabelType;
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3058",
    name: "label-not-email",
    summary: "A label the schema types `email` is not an e-mail address",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3058"),
    docs: r#"## What it does
When a label schema (`label-schema` in `.hadolint.yaml`) gives a label the type `email`,
reports a value of that label in the image being built that is not a plain e-mail address
(`local@domain`, both parts dot-separated atoms of letters, digits and the characters RFC 5322
allows). Empty values (see `label-empty`) and values from build arguments are not judged; without a
schema, the rule reports nothing.

## Why is this bad?
Contact labels are read by people and by tools that notify owners; `Jane Doe` or
`jane at example.test` cannot be mailed.

## Example
```dockerfile
FROM debian:bookworm-slim
LABEL maintainer.email="Jane Doe"
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
LABEL maintainer.email="jane@example.test"
```

## How to fix
Write just the address.
"#,
    check,
};

/// A dot-atom: atoms of letters, digits and RFC 5322's `atext` symbols, separated by single dots.
fn dot_atom(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c))
        })
}

fn valid(value: &str) -> bool {
    value
        .rsplit_once('@')
        .is_some_and(|(local, domain)| dot_atom(local) && dot_atom(domain))
}

fn check(checker: &mut Checker) {
    report_invalid_values(checker, LabelType::Email, valid, "an e-mail address");
}
