use drydock_dockerfile::{InstructionKind, Keyword};
use drydock_findings::Severity;

use super::security_helpers::{shell_commands, unwrap_onbuild};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD4001",
    name: "curl-and-wget",
    summary: "A stage uses both `curl` and `wget`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL4001"),
    docs: r#"## What it does
Reports a `RUN` that runs `curl` or `wget` when the same stage already ran the other one (also
in `ONBUILD` triggers). Each stage is judged on its own.

## Why is this bad?
Both tools download files; installing both adds a package (and its libraries, and their
vulnerabilities) that the image does not need, and mixing them makes failure handling
inconsistent (`curl` needs `-f` to fail on HTTP errors, `wget` does not).

## Example
```dockerfile
FROM debian:bookworm-slim
RUN curl -fsSLo /tmp/a.tgz https://downloads.example.test/a.tgz
RUN wget -q -O /tmp/b.tgz https://downloads.example.test/b.tgz
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN curl -fsSLo /tmp/a.tgz https://downloads.example.test/a.tgz \
    && curl -fsSLo /tmp/b.tgz https://downloads.example.test/b.tgz
```

## How to fix
Pick one tool for the stage (with BuildKit, `ADD --checksum` needs neither).
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    let (mut curl, mut wget) = (false, false);
    for instruction in &checker.file.instructions {
        if instruction.keyword == Keyword::From {
            (curl, wget) = (false, false);
            continue;
        }
        let InstructionKind::Run(run) = &unwrap_onbuild(instruction).kind else {
            continue;
        };
        let mut first = None;
        for command in shell_commands(run) {
            match command.program() {
                Some("curl") => curl = true,
                Some("wget") => wget = true,
                _ => continue,
            }
            first.get_or_insert(command.argv()[0].span);
        }
        if let (Some(span), true, true) = (first, curl, wget) {
            findings.push(
                Diagnostic::new(span, "this stage downloads with both `curl` and `wget`")
                    .help("use one of them throughout the stage"),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
