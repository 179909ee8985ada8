use drydock_dockerfile::InstructionKind;
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3066",
    name: "user-not-numeric",
    summary: "`USER` names a user rather than a numeric id",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: Some("DL3066"),
    docs: r#"## What it does
Reports a `USER` given by name (`USER app`, `USER app:app`) in a stage that ends up in the image
being built. Numeric ids (`USER 10001`, `USER 10001:10001`) and values from variables are fine;
`USER` in other build stages is not checked.

## Why is this bad?
The platform running the container cannot tell from a name whether it is root: Kubernetes'
`runAsNonRoot` refuses to start a pod whose image user is not numeric, and a name only resolves
through the image's `/etc/passwd`.

## Example
```dockerfile
FROM node:22-slim
USER node
```

Use instead:
```dockerfile
FROM node:22-slim
USER 1000
```

## How to fix
Use the numeric id (`id -u <name>` in the image shows it).
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for (index, instruction) in checker.file.instructions.iter().enumerate() {
        let InstructionKind::User(user) = &instruction.kind else {
            continue;
        };
        let id = user.text.split(':').next().unwrap_or_default();
        let numeric = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
        if numeric || user.text.contains('$') || !checker.in_final_image(index) {
            continue;
        }
        findings.push(
            Diagnostic::new(
                user.span,
                format!(
                    "`USER {}` names a user: the platform cannot tell whether it is root",
                    user.text
                ),
            )
            .help("use the numeric user id"),
        );
    }
    for finding in findings {
        checker.report(finding);
    }
}
