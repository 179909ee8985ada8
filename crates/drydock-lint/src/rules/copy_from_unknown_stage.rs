use drydock_dockerfile::{InstructionKind, Keyword};
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3022",
    name: "copy-from-unknown-stage",
    summary: "`COPY --from` names no earlier stage",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3022"),
    docs: r#"## What it does
Reports `COPY --from=<name>` when `<name>` is neither an earlier stage (by name, compared
without case as BuildKit does, or by index) nor clearly an image reference (with a tag `:`,
digest `@`, registry or path `/`, or a variable).

## Why is this bad?
A `--from` that is not a stage is pulled as an image: a typo in a stage name (`--from=biuld`),
or a reference to a stage defined later, makes BuildKit fetch `docker.io/library/biuld`, which
fails or, worse, exists.

## Example
```dockerfile
FROM golang:1.23 AS build
RUN go build -o /out/app .
FROM gcr.io/distroless/static-debian12
COPY --from=builder /out/app /app
```

Use instead:
```dockerfile
FROM golang:1.23 AS build
RUN go build -o /out/app .
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/app /app
```

## How to fix
Name an earlier stage, or write the image with its tag (`--from=busybox:1.37`).
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    let mut stages: Vec<Option<&str>> = Vec::new();
    for instruction in &checker.file.instructions {
        if let InstructionKind::From(from) = &instruction.kind {
            stages.push(from.alias.as_ref().map(|alias| alias.text.as_str()));
            continue;
        }
        if instruction.keyword != Keyword::Copy {
            continue;
        }
        let Some(flag) = instruction.flag("from") else {
            continue;
        };
        let name = flag.value_or_empty().trim_matches(['"', '\'']);
        let image_like = name.contains([':', '@', '/', '$']);
        let known = stages
            .iter()
            .flatten()
            .any(|alias| alias.eq_ignore_ascii_case(name))
            || name
                .parse::<usize>()
                .is_ok_and(|index| index < stages.len());
        if !image_like && !known {
            findings.push(
                Diagnostic::new(
                    flag.span,
                    format!(
                        "no earlier stage is named `{name}`: BuildKit will pull it as an image"
                    ),
                )
                .help("name an earlier stage, or give the image with its tag"),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
