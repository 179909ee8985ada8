use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD4005",
    name: "ln-replaces-bin-sh",
    summary: "`ln` replaces `/bin/sh`; use `SHELL`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL4005"),
    docs: r#"## What it does
Reports `ln` with `/bin/sh` as an argument in a `RUN` (also in `ONBUILD` triggers).

## Why is this bad?
Relinking `/bin/sh` (usually to bash) changes the shell of every script in the image, including
the distribution's own maintainer scripts written for a POSIX `sh`. To run the Dockerfile's own
`RUN` lines with another shell, `SHELL` does that without touching the image.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN ln -sf /bin/bash /bin/sh
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
```

## How to fix
Use `SHELL ["/bin/bash", "-c"]` (with `-o pipefail`).
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for (_, _, run) in checker.runs() {
        let Some(shell) = &run.shell else { continue };
        for command in &shell.commands {
            if command.program() == Some("ln")
                && command
                    .arguments()
                    .iter()
                    .any(|word| word.text == "/bin/sh")
            {
                findings.push(
                    Diagnostic::new(
                        command.span,
                        "relinking `/bin/sh` changes the shell of every script in the image",
                    )
                    .help("use `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]`"),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
