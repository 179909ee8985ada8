use drydock_findings::Severity;

use crate::pragma::{self, Scope};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD1001",
    name: "inline-ignore-pragma",
    summary: "An inline ignore comment silences a finding",
    severity: Severity::Info,
    enabled_by_default: false,
    hadolint: Some("DL1001"),
    docs: r#"## What it does
Off by default. Reports comments that silence findings for the next instruction:
`# drydock: ignore=…` and `# hadolint ignore=…`. Stage and file pragmas (`stage ignore=`,
`global ignore=`) are not reported. Enable it with `extend-select = ["DD1001"]` (in `[rules]`) in projects
that want every exception recorded in configuration instead.

## Why is this bad?
Inline pragmas are easy to add and then forgotten: the finding they silence is never reviewed
again, even after the reason for the exception is gone.

## Example
```dockerfile
FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends curl
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u12
```

## How to fix
Fix the finding, or record the exception in `drydock.toml` (`[rules] ignore`), where it is
reviewed with the rest of the configuration.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for comment in &checker.file.comments {
        let text = comment.text(checker.source());
        if pragma::parse(text).is_some_and(|found| found.scope == Scope::NextInstruction) {
            findings.push(
                Diagnostic::new(
                    comment.trim_end_newline(checker.source()),
                    "an inline pragma silences findings for the next instruction",
                )
                .help("fix the finding, or record the exception in the configuration"),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
