use drydock_findings::{Applicability, Edit, Fix, Severity};

use super::security_helpers::{ExternalBase, external_bases};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD205",
    name: "base-image-no-digest",
    summary: "FROM uses a tag without pinning its digest",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports a `FROM` whose external image has a version tag but no `@sha256:` digest, in every
stage (a build stage's base changes the result as much as the final one). It does not fire for
`scratch`, earlier stages, references with a variable without a default (`FROM ${BASE}`), or
untagged and `latest` images (reported by `base-image-untagged` and `base-image-latest`).

## Why is this bad?
Tags are moved: `python:3.12-slim` is re-pushed for every patch release and base-image rebuild.
Pinning the digest keeps builds reproducible and makes base-image updates explicit, reviewable
changes (tools such as Renovate and Dependabot update pinned digests for you).

## Example
```dockerfile
FROM python:3.12-slim
```

Use instead:
```dockerfile
FROM python:3.12-slim@sha256:<digest>
```

## How to fix
Append the digest of the tag you use (`docker buildx imagetools inspect python:3.12-slim`
prints it); keep the tag for readers.

## Fix
Unsafe (`drydock lint --fix --unsafe-fixes --resolve-digests`): looks up the tag's current
digest in its registry (one `HEAD` request) and appends `@sha256:…`. The build then no longer
picks up a re-pushed tag: renew the digest when the base gets fixes.
"#,
    check,
};

/// The bases `check` reports: external images with a tag other than `latest` and no digest,
/// and whether FROM writes the name literally (no variable), so a digest can be appended.
pub(crate) fn unpinned<'a>(checker: &Checker<'a>) -> Vec<(ExternalBase<'a>, bool)> {
    external_bases(checker)
        .into_iter()
        .filter(|base| {
            base.image.digest.is_none()
                && base.image.tag.as_deref().is_some_and(|tag| tag != "latest")
        })
        .map(|base| {
            let literal = base.word.text == base.name;
            (base, literal)
        })
        .collect()
}

fn check(checker: &mut Checker) {
    for (base, literal) in unpinned(checker) {
        let mut diagnostic = Diagnostic::new(
            base.word.span,
            format!(
                "base image {} is not pinned by digest, so the build changes when the tag is \
                 re-pushed",
                base.shown()
            ),
        )
        .help(format!(
            "pin it as `{}@sha256:<digest>` (`drydock lint --resolve-digests --fix \
             --unsafe-fixes` looks the digest up and writes it); pinning keeps builds \
             reproducible",
            base.name
        ));
        if let Some(digest) = checker.settings.digests.get(base.name).filter(|_| literal) {
            diagnostic = diagnostic.fix(Fix {
                message: format!("pin `{}` to its current digest `{digest}`", base.name),
                applicability: Applicability::Unsafe,
                edits: vec![Edit::insert(base.word.span.end, format!("@{digest}"))],
            });
        }
        checker.report(diagnostic);
    }
}
