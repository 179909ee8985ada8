use drydock_dockerfile::Keyword;
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3057",
    name: "healthcheck-missing",
    summary: "The application image has no `HEALTHCHECK`",
    severity: Severity::Info,
    enabled_by_default: false,
    hadolint: Some("DL3057"),
    docs: r#"## What it does
Off by default. Reports an application image (one that runs a program of its own, see
`final-stage-runs-as-root`) whose final stage, with the stages it is built `FROM`, has no
`HEALTHCHECK` (`HEALTHCHECK NONE` counts as a deliberate choice). Build stages and base images
are not checked. Enable it with `extend-select = ["DD3057"]` (in `[rules]`) where the images run under plain
Docker or Compose; orchestrators such as Kubernetes ignore `HEALTHCHECK` and use their own
probes.

## Why is this bad?
Without a health check, Docker only knows whether the process is running: a server that hangs
or has lost its database keeps getting traffic, and Compose's `depends_on: condition:
service_healthy` cannot wait for it.

## Example
```dockerfile
FROM nginx:1.27
COPY site/ /usr/share/nginx/html/
```

Use instead:
```dockerfile
FROM nginx:1.27
COPY site/ /usr/share/nginx/html/
HEALTHCHECK --interval=30s --timeout=3s CMD curl -fsS http://localhost/ || exit 1
```

## How to fix
Add a `HEALTHCHECK` that exercises the service, or `HEALTHCHECK NONE` to record that it has
none on purpose.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let graph = checker.graph;
    let Some(final_stage) = graph.final_stage else {
        return;
    };
    if !checker.is_application_image() {
        return;
    }
    let has_healthcheck = graph.ancestry(final_stage).into_iter().any(|stage| {
        checker
            .stage_instructions(&graph.stages[stage])
            .iter()
            .any(|instruction| instruction.keyword == Keyword::Healthcheck)
    });
    if has_healthcheck {
        return;
    }
    let from = &checker.file.instructions[graph.stages[final_stage].instructions.start];
    checker.report(
        Diagnostic::new(
            from.keyword_span,
            "the image has no `HEALTHCHECK`: Docker cannot tell a hung service from a healthy one",
        )
        .help("add a `HEALTHCHECK` (or `HEALTHCHECK NONE` to record that there is none)"),
    );
}
