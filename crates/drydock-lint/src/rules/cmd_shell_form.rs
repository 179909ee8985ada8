use drydock_dockerfile::{Command, Healthcheck, Instruction, InstructionKind, Keyword, Word};
use drydock_findings::{Applicability, Edit, Fix, Severity};

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

## Fix
Safe (`drydock lint --fix`) when the command is plain words (no quotes, variables, globs or
operators, no comment inside its lines): writes it as a JSON array. Unsafe (`--unsafe-fixes`)
for a `CMD` in a stage with an `ENTRYPOINT`, or an `ENTRYPOINT` in a stage with a `CMD`: the
exec form passes the `CMD` to the `ENTRYPOINT`, the shell form did not. An `ENTRYPOINT` the base
image sets receives an exec-form `CMD` the same way.
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
            let fix = json_form(checker, instruction, text);
            let keyword = instruction.keyword.as_str();
            findings.push(
                Diagnostic::new(
                    text.span,
                    format!(
                        "`{keyword}` in shell form runs under `/bin/sh -c`, which does not pass \
                         signals on to the command"
                    ),
                )
                .help("write the command as a JSON array: `[\"program\", \"arg\"]`")
                .with_fix(fix),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}

/// The command as a JSON array, when it is plain words the shell would pass on unchanged (no
/// quotes, variables, globs or operators) and no comment sits inside its continuation lines.
/// Safe, except that an exec-form `ENTRYPOINT` receives a `CMD` of the same stage as arguments
/// (and an exec-form `CMD` is passed to an `ENTRYPOINT`) where the shell form ignored it.
fn json_form(checker: &Checker, instruction: &Instruction, command: &Word) -> Option<Fix> {
    let words: Vec<&str> = command.text.split_whitespace().collect();
    let plain = |word: &&str| {
        word.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=,@%+-".contains(c))
    };
    if words.is_empty() || !words.iter().all(plain) || !instruction.comments.is_empty() {
        return None;
    }
    let other = match instruction.kind {
        InstructionKind::Cmd(_) => Some(Keyword::Entrypoint),
        InstructionKind::Entrypoint(_) => Some(Keyword::Cmd),
        _ => None,
    };
    let index = checker
        .file
        .instructions
        .iter()
        .position(|i| std::ptr::eq(i, instruction))?;
    let paired = other.is_some_and(|other| {
        checker.stage_of(index).is_some_and(|stage| {
            checker
                .stage_instructions(stage)
                .iter()
                .any(|i| i.keyword == other)
        })
    });
    let json = format!(
        "[{}]",
        words
            .iter()
            .map(|word| format!("\"{word}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Some(Fix {
        message: format!("write `{}` in JSON form", instruction.keyword.as_str()),
        applicability: if paired {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        },
        edits: vec![Edit::replace(command.span, json)],
    })
}
