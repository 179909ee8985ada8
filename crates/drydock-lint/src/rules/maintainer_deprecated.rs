use drydock_dockerfile::Keyword;
use drydock_findings::Severity;

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
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for instruction in &checker.file.instructions {
        if instruction.keyword == Keyword::Maintainer {
            findings.push(
                Diagnostic::new(instruction.keyword_span, "`MAINTAINER` is deprecated")
                    .help("use `LABEL org.opencontainers.image.authors=\"…\"`"),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
