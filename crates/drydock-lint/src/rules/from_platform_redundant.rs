use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3065",
    name: "from-platform-redundant",
    summary: "`FROM --platform=$TARGETPLATFORM` repeats the default",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3065"),
    docs: r#"## What it does
Reports `FROM --platform=$TARGETPLATFORM` (or `${TARGETPLATFORM}`).

## Why is this bad?
Stages are built for the target platform anyway: the flag adds nothing, and suggests to a
reader that something platform-specific happens here.

## Example
```dockerfile
FROM --platform=$TARGETPLATFORM debian:bookworm-slim
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
```

## How to fix
Remove the flag.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for instruction in &checker.file.instructions {
        if instruction.keyword != drydock_dockerfile::Keyword::From {
            continue;
        }
        let Some(flag) = instruction.flag("platform") else {
            continue;
        };
        if matches!(
            flag.value_or_empty(),
            "$TARGETPLATFORM" | "${TARGETPLATFORM}"
        ) {
            findings.push(
                Diagnostic::new(
                    flag.span,
                    "stages are built for `$TARGETPLATFORM` without this flag",
                )
                .help("remove `--platform`"),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
