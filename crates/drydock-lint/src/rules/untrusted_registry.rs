use drydock_dockerfile::{Base, ImageRef, InstructionKind, Span};
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3026",
    name: "untrusted-registry",
    summary: "An image comes from a registry not in the trusted list",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL3026"),
    docs: r#"## What it does
When trusted registries are configured (`trustedRegistries` in `.hadolint.yaml`), reports every
image pulled from another registry: `FROM`, `COPY --from=<image>` and
`RUN --mount=from=<image>`. Images without a registry come from Docker Hub (`docker.io`, also
accepted as `hub.docker.com`); `scratch` and earlier stages are always fine. An entry may
start or end with `*` (`*.example.test`, `registry.example.test*`). With no list configured,
the rule reports nothing. Images given by a variable without a default are not judged.

## Why is this bad?
Organisations mirror and scan the images they build on; an image from elsewhere bypasses that
review and can change under you.

## Example
```dockerfile
# trustedRegistries: [registry.example.test]
FROM quay.io/prometheus/busybox:latest
```

Use instead:
```dockerfile
FROM registry.example.test/mirror/busybox:1.37
```

## How to fix
Pull the image through a trusted registry, or add its registry to the list.
"#,
    check,
};

fn matches(pattern: &str, registry: &str) -> bool {
    if pattern == "*" {
        true
    } else if let Some(suffix) = pattern.strip_prefix('*') {
        registry.ends_with(suffix)
    } else if let Some(prefix) = pattern.strip_suffix('*') {
        registry.starts_with(prefix)
    } else {
        registry == pattern
    }
}

fn trusted(patterns: &[String], image: &ImageRef) -> bool {
    let allowed = |registry: &str| patterns.iter().any(|pattern| matches(pattern, registry));
    if image.explicit_registry {
        allowed(&image.registry)
    } else {
        allowed("docker.io") || allowed("hub.docker.com")
    }
}

fn check(checker: &mut Checker) {
    let patterns = &checker.settings.trusted_registries;
    if patterns.is_empty() {
        return;
    }
    let mut pulls: Vec<(Span, String, ImageRef)> = Vec::new();
    for stage in &checker.graph.stages {
        if let (Base::Image(image), true) = (&stage.base, stage.unresolved.is_empty())
            && let Some(InstructionKind::From(from)) = checker
                .file
                .instructions
                .get(stage.instructions.start)
                .map(|instruction| &instruction.kind)
        {
            pulls.push((from.image.span, stage.base_name.clone(), image.clone()));
        }
    }
    let is_stage = |name: &str| {
        name.parse::<usize>().is_ok()
            || checker.graph.stages.iter().any(|stage| {
                stage
                    .name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
    };
    for instruction in &checker.file.instructions {
        let mut sources: Vec<(Span, &str)> = Vec::new();
        if let Some(flag) = instruction.flag("from")
            && instruction.keyword == drydock_dockerfile::Keyword::Copy
        {
            sources.push((flag.span, flag.value_or_empty()));
        }
        if let InstructionKind::Run(run) = &instruction.kind {
            sources.extend(
                run.mounts
                    .iter()
                    .filter_map(|mount| mount.from().map(|from| (mount.span, from))),
            );
        }
        for (span, name) in sources {
            if name.contains('$') || is_stage(name) {
                continue;
            }
            if let Ok(image) = ImageRef::parse(name) {
                pulls.push((span, name.to_string(), image));
            }
        }
    }
    pulls.sort_by_key(|(span, _, _)| span.start);
    for (span, name, image) in pulls {
        if !trusted(patterns, &image) {
            checker.report(
                Diagnostic::new(
                    span,
                    format!(
                        "`{name}` comes from `{}`, which is not a trusted registry",
                        image.registry
                    ),
                )
                .help("pull it through a trusted registry, or add the registry to `trustedRegistries`"),
            );
        }
    }
}
