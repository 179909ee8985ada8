use drydock_findings::Severity;

use super::labels::image_labels;
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3051",
    name: "label-empty",
    summary: "A label of the label schema is empty",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3051"),
    docs: r#"## What it does
When a label schema is configured (`label-schema` in `.hadolint.yaml`), reports a label of the
schema set to an empty value in the image being built. Without a schema, the rule reports
nothing.

## Why is this bad?
An empty label satisfies a presence check while telling nothing; it is usually a build argument
that the build did not pass (`LABEL org.opencontainers.image.revision=""`).

## Example
```dockerfile
# label-schema: {org.opencontainers.image.revision: hash}
FROM debian:bookworm-slim
LABEL org.opencontainers.image.revision=""
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
ARG REVISION
LABEL org.opencontainers.image.revision=$REVISION
```

## How to fix
Give the label its value, from a build argument if it changes per build.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let schema = &checker.settings.label_schema;
    let findings: Vec<Diagnostic> = image_labels(checker)
        .into_iter()
        .filter(|label| label.value.is_empty() && schema.contains_key(label.key))
        .map(|label| {
            Diagnostic::new(label.key_span, format!("label `{}` is empty", label.key))
                .help("give the label its value")
        })
        .collect();
    for finding in findings {
        checker.report(finding);
    }
}
