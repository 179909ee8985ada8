use drydock_findings::Severity;

use super::security_helpers::external_bases;
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3006",
    name: "base-image-untagged",
    summary: "FROM names an image without a tag or digest",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3006"),
    docs: r#"## What it does
Reports a `FROM` whose image has neither a tag nor a digest, after expanding build arguments
with their defaults (`ARG BASE=ubuntu` + `FROM $BASE` is reported). It does not fire for
`scratch`, for earlier stages (`FROM build`), or when the reference uses a variable without a
default (`FROM ${BASE_IMAGE}`): its value is only known at build time.

## Why is this bad?
Without a tag Docker uses `latest`, which changes whenever a new version is pushed: the same
Dockerfile builds different images from one day to the next, and a major upgrade can arrive
unannounced.

## Example
```dockerfile
FROM ubuntu
```

Use instead:
```dockerfile
FROM ubuntu:24.04
```

## How to fix
Name a version tag, and preferably pin its digest as well (`ubuntu:24.04@sha256:…`, see
`base-image-no-digest`).
"#,
    check,
};

fn check(checker: &mut Checker) {
    for base in external_bases(checker) {
        if base.image.tag.is_some() || base.image.digest.is_some() {
            continue;
        }
        checker.report(
            Diagnostic::new(
                base.word.span,
                format!(
                    "base image {} has no tag, so each build uses whatever `latest` is at the time",
                    base.shown()
                ),
            )
            .help(format!(
                "name a version tag: `{}:<version>` (and pin its digest: `{}:<version>@sha256:…`)",
                base.name, base.name
            )),
        );
    }
}
