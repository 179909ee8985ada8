use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3029",
    name: "from-platform-constant",
    summary: "`FROM --platform` with a fixed platform",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3029"),
    docs: r#"## What it does
Reports `FROM --platform=<value>` when the value is written out (`linux/amd64`) rather than
taken from a build argument (`$BUILDPLATFORM`, `$TARGETPLATFORM`, or an `ARG` of your own).

## Why is this bad?
A fixed platform ignores `docker build --platform`: a multi-platform build produces images
that all contain the same architecture, and on another machine the stage runs under emulation.

## Example
```dockerfile
FROM --platform=linux/amd64 golang:1.23 AS build
```

Use instead:
```dockerfile
FROM --platform=$BUILDPLATFORM golang:1.23 AS build
```

## How to fix
Use `$BUILDPLATFORM` for stages that build (and cross-compile for `$TARGETPLATFORM`), or drop
the flag.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for instruction in &checker.file.instructions {
        if instruction.keyword != drydock_dockerfile::Keyword::From {
            continue;
        }
        let Some(flag) = instruction.flag("platform") else {
            continue;
        };
        let value = flag.value_or_empty();
        if !value.contains('$') {
            findings.push(
                Diagnostic::new(
                    flag.span,
                    format!("`--platform={value}` fixes the platform whatever the build asks for"),
                )
                .help("use `--platform=$BUILDPLATFORM`, or drop the flag"),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
