use drydock_dockerfile::Keyword;
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3023",
    name: "copy-from-own-stage",
    summary: "`COPY --from` names the stage it is in",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL3023"),
    docs: r#"## What it does
Reports `COPY --from=<name>` inside the stage called `<name>` (compared without case, or by
the stage's index).

## Why is this bad?
A stage cannot copy from itself: BuildKit reports a dependency cycle ("circular dependency
detected on stage"), and the build fails.

## Example
```dockerfile
FROM golang:1.23 AS build
COPY --from=build /src/go.mod /tmp/
```

Use instead:
```dockerfile
FROM golang:1.23 AS build
COPY go.mod /tmp/
```

## How to fix
Copy from the build context, or from the earlier stage that has the file.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for (position, stage) in checker.graph.stages.iter().enumerate() {
        for instruction in checker.stage_instructions(stage) {
            if instruction.keyword != Keyword::Copy {
                continue;
            }
            let Some(flag) = instruction.flag("from") else {
                continue;
            };
            let name = flag.value_or_empty().trim_matches(['"', '\'']);
            let own = stage
                .name
                .as_deref()
                .is_some_and(|stage_name| stage_name.eq_ignore_ascii_case(name))
                || name.parse::<usize>() == Ok(position);
            if own {
                findings.push(
                    Diagnostic::new(
                        flag.span,
                        format!("`COPY --from={name}` is inside stage `{name}` itself"),
                    )
                    .help("copy from the context or from an earlier stage"),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
