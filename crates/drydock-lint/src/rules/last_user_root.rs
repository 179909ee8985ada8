use drydock_dockerfile::InstructionKind;
use drydock_findings::Severity;

use super::package_managers::is_root;
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3002",
    name: "last-user-root",
    summary: "The image's last `USER` is root",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3002"),
    docs: r#"## What it does
Reports the last `USER` of the image being built (its final stage, or a stage it is built
`FROM`) when it explicitly switches to root (`root`, `0`, `root:…`, `0:…`). `USER root` in build
stages is fine: those never run as containers. (A missing `USER` is the concern of
`final-stage-runs-as-root`, DD204.)

## Why is this bad?
`USER root` usually comes right before a step that needs privileges; when nothing switches back,
the container runs as root, and a compromise of the application is root on the host's kernel.

## Example
```dockerfile
FROM node:22-slim
USER root
RUN apt-get update && apt-get install -y --no-install-recommends tini
```

Use instead:
```dockerfile
FROM node:22-slim
USER root
RUN apt-get update && apt-get install -y --no-install-recommends tini
USER node
```

## How to fix
Switch back to an unprivileged user after the steps that need root.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let graph = checker.graph;
    let Some(final_stage) = graph.final_stage else {
        return;
    };
    let last_user = graph
        .ancestry(final_stage)
        .into_iter()
        .flat_map(|stage| {
            checker
                .stage_instructions(&graph.stages[stage])
                .iter()
                .rev()
        })
        .find_map(|instruction| match &instruction.kind {
            InstructionKind::User(user) => Some(user),
            _ => None,
        });
    if let Some(user) = last_user
        && is_root(&user.text)
    {
        checker.report(
            Diagnostic::new(
                user.span,
                format!(
                    "the image ends with `USER {}`: its containers run as root",
                    user.text
                ),
            )
            .help("switch to an unprivileged user after the steps that need root"),
        );
    }
}
