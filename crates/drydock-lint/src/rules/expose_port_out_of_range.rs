use drydock_dockerfile::InstructionKind;
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3011",
    name: "expose-port-out-of-range",
    summary: "`EXPOSE` names a port above 65535",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL3011"),
    docs: r#"## What it does
Reports an `EXPOSE` port, or either end of a port range, above 65535 (`EXPOSE 80000`,
`EXPOSE 8000-70000/udp`). Ports given by variables are not judged.

## Why is this bad?
TCP and UDP ports are 16-bit numbers: such a port cannot exist, so the line is a typo (often a
digit too many) and the port meant is not documented.

## Example
```dockerfile
FROM nginx:1.27
EXPOSE 80800
```

Use instead:
```dockerfile
FROM nginx:1.27
EXPOSE 8080
```

## How to fix
Correct the port number.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for instruction in &checker.file.instructions {
        let InstructionKind::Expose(ports) = &instruction.kind else {
            continue;
        };
        for port in ports {
            let number = port.text.split('/').next().unwrap_or_default();
            let too_big = number
                .split('-')
                .any(|end| end.parse::<u64>().is_ok_and(|n| n > 65535));
            if too_big {
                findings.push(
                    Diagnostic::new(
                        port.span,
                        format!("port `{}` is out of range: ports go up to 65535", port.text),
                    )
                    .help("correct the port number"),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
