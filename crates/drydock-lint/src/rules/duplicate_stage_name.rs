use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3024",
    name: "duplicate-stage-name",
    summary: "Two stages have the same name",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL3024"),
    docs: r#"## What it does
Reports a `FROM … AS <name>` whose name an earlier stage already has, compared without case
(BuildKit lower-cases stage names, so `Build` and `build` clash).

## Why is this bad?
BuildKit refuses the file ("duplicate stage name"): the build fails.

## Example
```dockerfile
FROM node:22 AS build
FROM golang:1.23 AS build
```

Use instead:
```dockerfile
FROM node:22 AS web
FROM golang:1.23 AS server
```

## How to fix
Give every stage its own name.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    let stages = &checker.graph.stages;
    for (position, stage) in stages.iter().enumerate() {
        let (Some(name), Some(span)) = (&stage.name, stage.name_span) else {
            continue;
        };
        let earlier = stages[..position].iter().any(|other| {
            other
                .name
                .as_ref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        });
        if earlier {
            findings.push(
                Diagnostic::new(span, format!("an earlier stage is already named `{name}`"))
                    .help("give every stage its own name"),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
