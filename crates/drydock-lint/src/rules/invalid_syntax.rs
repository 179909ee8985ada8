use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD001",
    name: "invalid-syntax",
    summary: "The Dockerfile has a line BuildKit cannot parse",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL1000"),
    docs: r#"## What it does
Reports each instruction BuildKit would refuse to parse: an unknown instruction, a missing
argument, a malformed flag or heredoc, or an `ONBUILD` trigger that BuildKit does not allow
(`ONBUILD ONBUILD`, `ONBUILD FROM`, `ONBUILD MAINTAINER`, which hadolint reports as DL3043). The
rest of the file is still linted.

## Why is this bad?
`docker build` stops at the first such line, so nothing after it builds.

## Example
```dockerfile
FROM debian:bookworm
RUNN apt-get update
```

Use instead:
```dockerfile
FROM debian:bookworm
RUN apt-get update
```

## How to fix
Correct the instruction. Unlike hadolint's DL1000, this finding can be suppressed with a pragma or
`ignore`, for files written for a newer BuildKit than drydock knows.
"#,
    check,
};

fn check(checker: &mut Checker) {
    for error in &checker.file.errors {
        checker.report(Diagnostic::new(error.span, error.message.clone()));
    }
}
