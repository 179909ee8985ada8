use drydock_findings::Severity;

use super::labels::image_labels;
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3050",
    name: "label-not-in-schema",
    summary: "A label is not in the label schema",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: Some("DL3050"),
    docs: r#"## What it does
When `strict-labels: true` is set with a `label-schema` (in `.hadolint.yaml`), reports each label
of the image being built whose key is not in the schema. Labels of build stages that are not
part of the image are not checked. Otherwise the rule reports nothing.

## Why is this bad?
With a strict schema, a label outside it is usually a typo of a schema key
(`org.opencontainers.image.sources`) or a leftover nobody maintains.

## Example
```dockerfile
# label-schema: {org.opencontainers.image.source: url}, strict-labels: true
FROM debian:bookworm-slim
LABEL org.opencontainers.image.sources="https://git.example.test/team/app"
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.source="https://git.example.test/team/app"
```

## How to fix
Correct the key, remove the label, or add it to the schema.
"#,
    check,
};

fn check(checker: &mut Checker) {
    if !checker.settings.strict_labels {
        return;
    }
    let schema = &checker.settings.label_schema;
    let findings: Vec<Diagnostic> = image_labels(checker)
        .into_iter()
        .filter(|label| !label.key.contains('$') && !schema.contains_key(label.key))
        .map(|label| {
            Diagnostic::new(
                label.key_span,
                format!("label `{}` is not in the label schema", label.key),
            )
            .help("correct the key, remove the label, or add it to `label-schema`")
        })
        .collect();
    for finding in findings {
        checker.report(finding);
    }
}
