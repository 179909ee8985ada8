use drydock_dockerfile::{Flag, InstructionKind};
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3059",
    name: "consecutive-runs",
    summary: "Short consecutive `RUN` instructions could be one",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: Some("DL3059"),
    docs: r#"## What it does
Reports a `RUN` that directly follows another `RUN` with the same flags (`--mount`,
`--network`) when each runs a single command (comments between them do not count). Longer
`RUN`s and heredoc scripts are left alone: splitting steps is often deliberate, so that a change
to one part does not rebuild the other. Only stages that end up in the image being built are checked; the layers of other build
stages are never shipped.

## Why is this bad?
Each `RUN` adds a layer with its own metadata and, for files changed in both, two copies;
a run of tiny steps (`RUN mkdir /app`, `RUN chown app /app`) makes the image and the history
bigger without making the cache any better.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN mkdir -p /srv/app
RUN chown 10001 /srv/app
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN mkdir -p /srv/app && chown 10001 /srv/app
```

## How to fix
Join the steps with `&&` (or write them as one heredoc `RUN <<EOF`). Keep steps apart when
they change at different rates.
"#,
    check,
};

/// Whether two RUNs have the same flags, written the same way.
fn same_flags(a: &[Flag], b: &[Flag]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(a, b)| a.name == b.name && a.value == b.value)
}

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    // The flags of the RUN just before, and whether it runs a single command.
    let mut previous: Option<(&[Flag], bool)> = None;
    for (index, instruction) in checker.file.instructions.iter().enumerate() {
        let InstructionKind::Run(run) = &instruction.kind else {
            previous = None;
            continue;
        };
        let flags = instruction.flags.as_slice();
        let single = instruction.heredocs.is_empty()
            && run
                .shell
                .as_ref()
                .is_none_or(|shell| shell.commands.len() <= 1);
        if let Some((previous_flags, previous_single)) = &previous
            && same_flags(previous_flags, flags)
            && single
            && *previous_single
            && checker.in_final_image(index)
        {
            findings.push(
                Diagnostic::new(
                    instruction.keyword_span,
                    "this one-command `RUN` follows another; together they would make one layer",
                )
                .help("join the two steps with `&&`"),
            );
        }
        previous = Some((flags, single));
    }
    for finding in findings {
        checker.report(finding);
    }
}
