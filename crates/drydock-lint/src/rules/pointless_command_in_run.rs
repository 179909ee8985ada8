use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3001",
    name: "pointless-command-in-run",
    summary: "`RUN` runs an interactive or system-management command",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: Some("DL3001"),
    docs: r#"## What it does
Reports `ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill` and `mount` run in a
`RUN` (also in `ONBUILD` triggers).

## Why is this bad?
A build step has no terminal, no init system and no long-running processes: an editor waits
forever, `service x start` starts something that dies with the step, and `ps`, `top` or `free`
describe the build container, not the one that will run. Usually the line was copied from a
shell session and does nothing useful, or something that should be done differently.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN service nginx start
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
CMD ["nginx", "-g", "daemon off;"]
```

## How to fix
Remove the command; start services from `CMD`/`ENTRYPOINT`, and fetch code with `git` over a
secret or `ADD` rather than `ssh`.
"#,
    check,
};

const POINTLESS: [&str; 9] = [
    "free", "kill", "mount", "ps", "service", "shutdown", "ssh", "top", "vim",
];

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for (_, _, run) in checker.runs() {
        let Some(shell) = &run.shell else { continue };
        for command in &shell.commands {
            let Some(program) = command.program() else {
                continue;
            };
            if POINTLESS.contains(&program) {
                findings.push(
                    Diagnostic::new(
                        command.argv()[0].span,
                        format!("`{program}` makes no sense in a build step"),
                    )
                    .help("remove it; run services from `CMD` or `ENTRYPOINT`"),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
