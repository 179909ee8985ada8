use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3047",
    name: "wget-progress-bar",
    summary: "`wget` without `--progress` or `-q` fills the build log",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: Some("DL3047"),
    docs: r#"## What it does
Reports `wget` in a `RUN` (also in `ONBUILD` triggers) without `--progress=…`, `-q`/`--quiet`,
`-nv`/`--no-verbose`, or a log file (`-o`/`--output-file`, `-a`/`--append-output`).

## Why is this bad?
Without a terminal, wget's default progress display prints a line of dots every few kilobytes:
a large download adds thousands of lines to the build log and hides the output that matters.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN wget https://downloads.example.test/tool.tar.gz
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN wget --progress=dot:giga https://downloads.example.test/tool.tar.gz
```

## How to fix
Add `--progress=dot:giga` (or `-nv` or `-q`).
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for (_, _, run) in checker.runs() {
        let Some(shell) = &run.shell else { continue };
        for command in &shell.commands {
            if command.program() != Some("wget") {
                continue;
            }
            let quiet = command.has_flag(None, Some("progress"))
                || command.has_flag(Some('q'), Some("quiet"))
                || command.has_flag(Some('o'), Some("output-file"))
                || command.has_flag(Some('a'), Some("append-output"))
                || command.has_flag(None, Some("no-verbose"))
                || command.arguments().iter().any(|word| word.text == "-nv");
            if !quiet {
                findings.push(
                    Diagnostic::new(
                        command.argv()[0].span,
                        "`wget` prints its progress as pages of dots into the build log",
                    )
                    .help("add `--progress=dot:giga` (or `-nv`)"),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
