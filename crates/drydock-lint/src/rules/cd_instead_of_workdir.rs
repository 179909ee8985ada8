use drydock_findings::Severity;

use super::package_managers::shell_runs;
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3003",
    name: "cd-instead-of-workdir",
    summary: "`RUN cd …`; use `WORKDIR`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3003"),
    docs: r#"## What it does
Reports `cd` in a `RUN` (shell form or heredoc).

## Why is this bad?
The directory change lasts only for that `RUN`; the next instruction starts again in the
`WORKDIR`. Chains of `cd` make a file hard to follow, and a later `RUN` that forgets the `cd`
silently works in the wrong place.

## Example
```dockerfile
FROM golang:1.23
COPY . /src
RUN cd /src && go build -o /out/app ./cmd/app
```

Use instead:
```dockerfile
FROM golang:1.23
WORKDIR /src
COPY . .
RUN go build -o /out/app ./cmd/app
```

## How to fix
Set the directory with `WORKDIR`; for one command in another directory, use the tool's own
option (`make -C dir`, `git -C dir`, `npm --prefix dir`).
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for run in shell_runs(checker) {
        for command in run.commands {
            if command.program() == Some("cd") {
                findings.push(
                    Diagnostic::new(
                        command.span,
                        "`cd` lasts only for this `RUN`; `WORKDIR` sets the directory for what \
                         follows",
                    )
                    .help("use `WORKDIR` (or the command's own directory option)"),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
