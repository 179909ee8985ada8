use drydock_dockerfile::{InstructionKind, SimpleCommand, Span};
use drydock_findings::Severity;

use super::security_helpers::{AddSource, classify_add_source};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3010",
    name: "archive-copied-then-extracted",
    summary: "A tar archive is copied in and then extracted by a later `RUN`",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: Some("DL3010"),
    docs: r#"## What it does
Reports a `COPY` of a local tar archive (`.tar`, `.tar.gz`, `.tgz`, `.tar.bz2`, `.tar.xz`, …)
that a later `RUN` of the same stage extracts (`tar -x`, or decompresses with `gunzip`,
`bunzip2`, `unxz`, `zcat`…). Zip files are not reported: `ADD` does not extract them.

## Why is this bad?
The `COPY` layer keeps the archive for good, even when the `RUN` deletes it afterwards: the
image carries the files twice, once packed and once unpacked.

## Example
```dockerfile
FROM debian:bookworm-slim
COPY vendor.tar.gz /tmp/
RUN tar -xzf /tmp/vendor.tar.gz -C /opt && rm /tmp/vendor.tar.gz
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
ADD vendor.tar.gz /opt/
```

## How to fix
Let `ADD` extract the archive (`ADD vendor.tar.gz /opt/`), or with BuildKit extract it from a
bind mount so it never becomes a layer:
`RUN --mount=type=bind,source=vendor.tar.gz,target=/tmp/vendor.tar.gz tar -xzf /tmp/vendor.tar.gz -C /opt`.
"#,
    check,
};

const DECOMPRESSORS: [&str; 8] = [
    "gunzip",
    "bunzip2",
    "unlzma",
    "unxz",
    "zcat",
    "gzcat",
    "uncompress",
    "zstdcat",
];

fn basename(path: &str) -> &str {
    let path = path.trim_matches(['"', '\'']);
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn extracts(command: &SimpleCommand) -> bool {
    match command.program() {
        Some("tar") => command
            .arguments()
            .iter()
            .enumerate()
            .any(|(position, word)| {
                let text = word.text.as_str();
                matches!(text, "--extract" | "--get")
                || (text.starts_with('-') && !text.starts_with("--") && text.contains('x'))
                // Old-style `tar xzf file`.
                || (position == 0 && !text.starts_with('-') && text.contains('x'))
            }),
        Some(program) => DECOMPRESSORS.contains(&program),
        None => false,
    }
}

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for stage in &checker.graph.stages {
        // (archive file name, where the COPY names it), not yet reported.
        let mut copied: Vec<(&str, Span)> = Vec::new();
        for instruction in checker.stage_instructions(stage) {
            match &instruction.kind {
                InstructionKind::Copy(copy) if instruction.flag("from").is_none() => {
                    let destination = &copy.destination.text;
                    if classify_add_source(destination) == AddSource::Archive {
                        copied.push((basename(destination), copy.destination.span));
                    } else {
                        copied.extend(
                            copy.sources
                                .iter()
                                .filter(|word| {
                                    classify_add_source(&word.text) == AddSource::Archive
                                })
                                .map(|word| (basename(&word.text), word.span)),
                        );
                    }
                }
                InstructionKind::Run(run) => {
                    let Some(shell) = &run.shell else { continue };
                    for command in shell.commands.iter().filter(|c| extracts(c)) {
                        copied.retain(|(name, span)| {
                            let named = command
                                .arguments()
                                .iter()
                                .any(|word| basename(&word.text) == *name);
                            if named {
                                findings.push(
                                    Diagnostic::new(
                                        *span,
                                        format!(
                                            "`{name}` is copied in and extracted later: the \
                                             archive stays in the `COPY` layer"
                                        ),
                                    )
                                    .help(
                                        "let `ADD` extract it, or extract it from a \
                                         `RUN --mount=type=bind` of the archive",
                                    ),
                                );
                            }
                            !named
                        });
                    }
                }
                _ => {}
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
