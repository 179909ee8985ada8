use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3027",
    name: "apt-instead-of-apt-get",
    summary: "`apt` is run in a script; use `apt-get` or `apt-cache`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3027"),
    docs: r#"## What it does
Reports `apt` commands in `RUN` (also in `ONBUILD` triggers).

## Why is this bad?
`apt` is made for people at a terminal: its output and behaviour may change between releases,
and it warns "apt does not have a stable CLI interface" when its output is not a terminal.
`apt-get` and `apt-cache` are the stable interface for scripts.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN apt update && apt install -y --no-install-recommends curl
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl
```

## How to fix
Replace `apt` with `apt-get` (or `apt-cache` for `search`, `show`, `policy`).
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for (_, _, run) in checker.runs() {
        let Some(shell) = &run.shell else { continue };
        for command in &shell.commands {
            if command.program() == Some("apt") {
                let program = &command.argv()[0];
                findings.push(
                    Diagnostic::new(
                        program.span,
                        "`apt` is meant for interactive use and has no stable interface for \
                         scripts",
                    )
                    .help("use `apt-get` (or `apt-cache` to query)"),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
