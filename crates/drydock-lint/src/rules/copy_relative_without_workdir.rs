use drydock_dockerfile::{InstructionKind, Keyword};
use drydock_findings::Severity;

use super::package_managers::preceding;
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3045",
    name: "copy-relative-without-workdir",
    summary: "`COPY` to a relative destination before any `WORKDIR`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3045"),
    docs: r#"## What it does
Reports a `COPY` whose destination is relative (`COPY . .`, `COPY app.py app/`) when neither its
stage nor the stages it is built `FROM` set a `WORKDIR` before it. Destinations that start with
a variable are not judged.

## Why is this bad?
A relative destination is resolved against the working directory of the base image, which this
file does not show and which changes when the base image does: the files may land in `/`.

## Example
```dockerfile
FROM python:3.12-slim
COPY . .
```

Use instead:
```dockerfile
FROM python:3.12-slim
WORKDIR /srv/app
COPY . .
```

## How to fix
Set `WORKDIR` first, or write the absolute destination.
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
    for (index, instruction) in checker.file.instructions.iter().enumerate() {
        let InstructionKind::Copy(copy) = &instruction.kind else {
            continue;
        };
        if is_absolute(&copy.destination.text)
            || preceding(checker, index).any(|earlier| earlier.keyword == Keyword::Workdir)
        {
            continue;
        }
        findings.push(
            Diagnostic::new(
                copy.destination.span,
                format!(
                    "`{}` is relative to the base image's working directory: no `WORKDIR` is set",
                    copy.destination.text
                ),
            )
            .help("set `WORKDIR` before this `COPY`, or use an absolute destination"),
        );
    }
    for finding in findings {
        checker.report(finding);
    }
}
