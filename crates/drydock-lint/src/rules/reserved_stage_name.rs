use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3063",
    name: "reserved-stage-name",
    summary: "A stage is named `scratch` or `context`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3063"),
    docs: r#"## What it does
Reports a stage named `scratch` or `context` (in any case).

## Why is this bad?
Both words already mean something to BuildKit: `scratch` is the empty image and `context`
the build context (`COPY --from=context`). A stage of that name is refused or shadows the
built-in meaning, depending on the BuildKit version.

## Example
```dockerfile
FROM alpine:3.20 AS scratch
```

Use instead:
```dockerfile
FROM alpine:3.20 AS base
```

## How to fix
Rename the stage.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for stage in &checker.graph.stages {
        let (Some(name), Some(span)) = (&stage.name, stage.name_span) else {
            continue;
        };
        if name.eq_ignore_ascii_case("scratch") || name.eq_ignore_ascii_case("context") {
            findings.push(
                Diagnostic::new(
                    span,
                    format!("`{name}` is a reserved word in BuildKit, not a usable stage name"),
                )
                .help("rename the stage"),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
