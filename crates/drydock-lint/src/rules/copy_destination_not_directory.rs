use drydock_dockerfile::InstructionKind;
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3021",
    name: "copy-destination-not-directory",
    summary: "`COPY`/`ADD` of several sources to a destination without a trailing `/`",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL3021"),
    docs: r#"## What it does
Reports a `COPY` or `ADD` with more than one source whose destination does not end with `/`.

## Why is this bad?
With several sources the destination must be a directory, and BuildKit requires it to be
written with a trailing `/`: the build fails with "When using COPY with more than one source
file, the destination must be a directory and end with a /".

## Example
```dockerfile
FROM python:3.12-slim
COPY pyproject.toml uv.lock /app
```

Use instead:
```dockerfile
FROM python:3.12-slim
COPY pyproject.toml uv.lock /app/
```

## How to fix
End the destination with `/`.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for instruction in &checker.file.instructions {
        let (InstructionKind::Copy(copy) | InstructionKind::Add(copy)) = &instruction.kind else {
            continue;
        };
        let destination = copy.destination.text.trim_matches(['"', '\'']);
        if copy.sources.len() > 1 && !destination.ends_with('/') {
            findings.push(
                Diagnostic::new(
                    copy.destination.span,
                    format!(
                        "`{}` copies {} sources to `{destination}`, which must then be a \
                         directory ending with `/`",
                        instruction.keyword.as_str(),
                        copy.sources.len()
                    ),
                )
                .help(format!("write `{destination}/`")),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
