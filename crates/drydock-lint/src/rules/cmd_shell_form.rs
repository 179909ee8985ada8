use drydock_dockerfile::{Command, Healthcheck, InstructionKind};
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3025",
    name: "cmd-shell-form",
    summary: "`CMD`, `ENTRYPOINT` or `HEALTHCHECK CMD` in shell form",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3025"),
    docs: r#"## What it does
Reports `CMD`, `ENTRYPOINT` and `HEALTHCHECK CMD` written in shell form (`CMD node server.js`)
rather than as a JSON array (`CMD ["node", "server.js"]`).

## Why is this bad?
Shell form runs the command through `/bin/sh -c`: the shell becomes PID 1 and does not pass
`SIGTERM` on, so `docker stop` waits its timeout and kills the application without a clean
shutdown. A shell-form `ENTRYPOINT` also ignores `CMD` and `docker run` arguments.

## Example
```dockerfile
FROM node:22-slim
CMD node server.js
```

Use instead:
```dockerfile
FROM node:22-slim
CMD ["node", "server.js"]
```

## How to fix
Write the command as a JSON array. If it needs the shell (variables, `&&`), put it in a
script that ends with `exec`, or write `["sh", "-c", "exec …"]`.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for instruction in &checker.file.instructions {
        let command = match &instruction.kind {
            InstructionKind::Cmd(command) | InstructionKind::Entrypoint(command) => command,
            InstructionKind::Healthcheck(Healthcheck::Cmd(command)) => command,
            _ => continue,
        };
        if let Command::Shell(text) = command {
            let keyword = instruction.keyword.as_str();
            findings.push(
                Diagnostic::new(
                    text.span,
                    format!(
                        "`{keyword}` in shell form runs under `/bin/sh -c`, which does not pass \
                         signals on to the command"
                    ),
                )
                .help("write the command as a JSON array: `[\"program\", \"arg\"]`"),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
