use drydock_dockerfile::InstructionKind;
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3000",
    name: "workdir-relative",
    summary: "`WORKDIR` with a relative path",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL3000"),
    docs: r#"## What it does
Reports a `WORKDIR` whose path is neither absolute (`/app`, or `C:\app` on Windows) nor starts
with a variable (`$HOME/app`).

## Why is this bad?
A relative `WORKDIR` is resolved against the previous one, which may come from the base image:
where files end up then depends on an image you do not control, and changes when it does.

## Example
```dockerfile
FROM node:22-slim
WORKDIR app
```

Use instead:
```dockerfile
FROM node:22-slim
WORKDIR /app
```

## How to fix
Write the full path.
"#,
    check,
};

fn is_absolute(path: &str) -> bool {
    let path = path.trim_matches(['"', '\'']);
    let bytes = path.as_bytes();
    path.starts_with(['/', '$'])
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
}

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for instruction in &checker.file.instructions {
        if let InstructionKind::Workdir(path) = &instruction.kind
            && !is_absolute(&path.text)
        {
            findings.push(
                Diagnostic::new(
                    path.span,
                    format!(
                        "`WORKDIR {}` is relative to the previous working directory, which may \
                         come from the base image",
                        path.text
                    ),
                )
                .help("write the absolute path"),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
