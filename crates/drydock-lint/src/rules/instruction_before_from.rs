use drydock_dockerfile::Keyword;
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3061",
    name: "instruction-before-from",
    summary: "An instruction other than `ARG` comes before the first `FROM`",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL3061"),
    docs: r#"## What it does
Reports each instruction before the first `FROM` that is not an `ARG` (parser directives and
comments may come first).

## Why is this bad?
Only `ARG` may precede `FROM`; BuildKit stops with "no build stage in current context" at any
other instruction there.

## Example
```dockerfile
ENV LANG=C.UTF-8
FROM debian:bookworm-slim
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
ENV LANG=C.UTF-8
```

## How to fix
Move the instruction after `FROM`.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for instruction in &checker.file.instructions {
        match instruction.keyword {
            Keyword::From => break,
            Keyword::Arg => {}
            keyword => findings.push(
                Diagnostic::new(
                    instruction.keyword_span,
                    format!(
                        "`{}` before the first `FROM`: only `ARG` may come first",
                        keyword.as_str()
                    ),
                )
                .help("move it after `FROM`"),
            ),
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
