use drydock_dockerfile::InstructionKind;
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3067",
    name: "copy-entire-stage-filesystem",
    summary: "`COPY --from=<stage> / /` copies a whole filesystem",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3067"),
    docs: r#"## What it does
Reports `COPY --from=…` with `/` as a source and `/` as the destination.

## Why is this bad?
It copies everything of the other stage, compilers and caches included, over the image: the
multi-stage build no longer keeps build tools out, and files of the base image (`/etc/passwd`,
package databases) are silently replaced.

## Example
```dockerfile
FROM golang:1.23 AS build
RUN go build -o /out/app .
FROM gcr.io/distroless/static-debian12
COPY --from=build / /
```

Use instead:
```dockerfile
FROM golang:1.23 AS build
RUN go build -o /out/app .
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/app /app
```

## How to fix
Copy only what the image needs; to ship a whole root filesystem, build it under a directory
(`/rootfs`) and copy that (`COPY --from=build /rootfs/ /`).
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for instruction in &checker.file.instructions {
        let InstructionKind::Copy(copy) = &instruction.kind else {
            continue;
        };
        let root = |text: &str| text.trim_matches(['"', '\'']) == "/";
        if instruction.flag("from").is_some()
            && root(&copy.destination.text)
            && copy.sources.iter().any(|source| root(&source.text))
        {
            findings.push(
                Diagnostic::new(
                    instruction.arguments_span,
                    "this copies the other stage's whole filesystem over the image",
                )
                .help("copy only the files the image needs"),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
