use drydock_findings::Severity;

use super::labels::image_labels;
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3049",
    name: "label-missing",
    summary: "The image lacks a label the label schema requires",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: Some("DL3049"),
    docs: r#"## What it does
When a label schema is configured (`label-schema` in `.hadolint.yaml`), reports each label of
the schema that the image being built does not set: neither its final stage nor a stage it is
built `FROM` has a `LABEL` with that key. Build stages that are not part of the image need no
labels. Without a schema, the rule reports nothing.

## Why is this bad?
Teams agree on labels (source repository, revision, owner, licence) so that registries,
scanners and people can tell where an image comes from; an image without them is an orphan
when something is wrong with it.

## Example
```dockerfile
# label-schema: {org.opencontainers.image.source: url}
FROM debian:bookworm-slim
CMD ["bash"]
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.source="https://git.example.test/team/app"
CMD ["bash"]
```

## How to fix
Add the label to the final stage (values that change per build can come from `ARG`s).
"#,
    check,
};

fn check(checker: &mut Checker) {
    let graph = checker.graph;
    let Some(final_stage) = graph.final_stage else {
        return;
    };
    let present: Vec<&str> = image_labels(checker)
        .iter()
        .map(|label| label.key)
        .collect();
    let from = &checker.file.instructions[graph.stages[final_stage].instructions.start];
    let missing: Vec<String> = checker
        .settings
        .label_schema
        .keys()
        .filter(|key| !present.contains(&key.as_str()))
        .cloned()
        .collect();
    for key in missing {
        checker.report(
            Diagnostic::new(
                from.keyword_span,
                format!("the image has no `{key}` label, which the label schema requires"),
            )
            .help(format!("add `LABEL {key}=…` to the final stage")),
        );
    }
}
