use drydock_dockerfile::{Instruction, InstructionKind, Keyword};
use drydock_findings::{Applicability, Edit, Fix, Severity};

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD4000",
    name: "maintainer-deprecated",
    summary: "`MAINTAINER` is deprecated",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL4000"),
    docs: r#"## What it does
Reports `MAINTAINER`.

## Why is this bad?
`MAINTAINER` has been deprecated since Docker 1.13: it sets a legacy field of the image
configuration that current tools do not show. A label is read by everything.

## Example
```dockerfile
FROM debian:bookworm-slim
MAINTAINER Jane Doe <jane@example.test>
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.authors="Jane Doe <jane@example.test>"
```

## How to fix
Replace it with `LABEL org.opencontainers.image.authors="…"`.

## Fix
Safe (`drydock lint --fix`): replaces the instruction with
`LABEL org.opencontainers.image.authors="…"` when the value needs no escaping.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for instruction in &checker.file.instructions {
        if instruction.keyword == Keyword::Maintainer {
            findings.push(
                Diagnostic::new(instruction.keyword_span, "`MAINTAINER` is deprecated")
                    .help("use `LABEL org.opencontainers.image.authors=\"…\"`")
                    .with_fix(as_label(checker, instruction)),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}

/// `LABEL org.opencontainers.image.authors="…"` in place of the instruction, when it is one line
/// and its value needs no escaping inside double quotes.
fn as_label(checker: &Checker, instruction: &Instruction) -> Option<Fix> {
    let InstructionKind::Maintainer(value) = &instruction.kind else {
        return None;
    };
    let text = instruction.span.text(checker.source());
    let escape = checker.file.escape;
    if text.contains('\n')
        || value.text.is_empty()
        || value.text.contains(['"', '$', '\\', '`', escape])
    {
        return None;
    }
    let keyword = if instruction
        .keyword_span
        .text(checker.source())
        .starts_with('m')
    {
        "label"
    } else {
        "LABEL"
    };
    Some(Fix {
        message: "replace `MAINTAINER` with the OCI authors label".into(),
        applicability: Applicability::Safe,
        edits: vec![Edit::replace(
            instruction.span,
            format!(
                "{keyword} org.opencontainers.image.authors=\"{}\"",
                value.text
            ),
        )],
    })
}
