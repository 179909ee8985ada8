use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3004",
    name: "sudo-in-run",
    summary: "`sudo` in `RUN`",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL3004"),
    docs: r#"## What it does
Reports `sudo` in a `RUN` (also in `ONBUILD` triggers).

## Why is this bad?
Build steps run as the current `USER`; `sudo` needs a TTY or a password configuration, keeps
or resets the environment depending on `sudoers`, and its presence in the image lets anyone
who gets a shell in the container become root.

## Example
```dockerfile
FROM debian:bookworm-slim
USER app
RUN sudo apt-get update
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update
USER app
```

## How to fix
Run the step before switching `USER`, or switch with `USER root` and back; to drop privileges
at run time use `gosu` or `setpriv` in the entrypoint.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for (_, _, run) in checker.runs() {
        let Some(shell) = &run.shell else { continue };
        for command in &shell.commands {
            let Some(first) = command.words.first() else {
                continue;
            };
            if first.text.rsplit('/').next() == Some("sudo") {
                findings.push(
                    Diagnostic::new(first.span, "`sudo` in a build step")
                        .help("run the step as root (before `USER`) instead"),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
