//! The check rules (`DD8xx`).

use std::borrow::Cow::Borrowed as B;

use drydock_findings::{RuleInfo, Severity};

/// `DD801`: the base image's tag points to another digest than at build time.
pub const BASE_MOVED: (&str, &str) = ("DD801", "base-image-moved");
/// `DD802`: the base image's tag no longer exists.
pub const BASE_GONE: (&str, &str) = ("DD802", "base-image-gone");
/// `DD803`: the base image could not be identified.
pub const BASE_UNKNOWN: (&str, &str) = ("DD803", "base-image-unknown");
/// `DD804`: a security update is pending for an installed package.
pub const SECURITY_UPDATE: (&str, &str) = ("DD804", "security-update-pending");
/// `DD805`: the image is older than the age policy.
pub const REBUILD_OVERDUE: (&str, &str) = ("DD805", "rebuild-overdue");

const fn rule(
    code: &'static str,
    name: &'static str,
    severity: Severity,
    summary: &'static str,
    docs: &'static str,
) -> RuleInfo {
    RuleInfo {
        code: B(code),
        name: B(name),
        summary: B(summary),
        default_severity: severity,
        hadolint: None,
        docs: Some(B(docs)),
    }
}

/// Every rule `drydock check` can report (besides `DD7xx` with `--osv`).
pub static RULES: &[RuleInfo] = &[
    rule(
        BASE_MOVED.0,
        BASE_MOVED.1,
        Severity::Warning,
        "The base image's tag now points to a different image than the one this image was built on",
        r#"## What it does
Finds the image's base — from the `org.opencontainers.image.base.name` and
`org.opencontainers.image.base.digest` labels (or manifest annotations), or by matching the
layers of candidate images given with `--base` — and asks the base's registry (one `HEAD`
request; for a multi-platform base, the image of this image's platform) where the base's tag
points now. Reports when it points to another digest than the one the image was built on, or,
when only the name is recorded, when the base's current layers are no longer the first layers
of the image.

## Why is this bad?
Base images are rebuilt when their distribution publishes security fixes. An image built on the
old base keeps the old packages until it is rebuilt, however often its own layers are cached.

## Example
`docker build --label org.opencontainers.image.base.name=registry.example.test/debian:12
--label org.opencontainers.image.base.digest=sha256:1111… .` and the registry's `debian:12` has
since been pushed again as `sha256:2222…`.

## How to fix
Rebuild with `docker build --pull` (and record the new base digest in the labels). Pin the base
by digest in `FROM` and let a bot propose digest updates if you want rebuilds to be reviewed.
"#,
    ),
    rule(
        BASE_GONE.0,
        BASE_GONE.1,
        Severity::Warning,
        "The base image's tag no longer exists in its registry",
        r#"## What it does
Reports when the registry answers "not found" for the tag the image's base was pulled by.

## Why is this bad?
Publishers delete tags of releases they no longer maintain: the base receives no more security
fixes, and the image cannot be rebuilt as written.

## Example
The labels name `registry.example.test/app-base:1.4` and that tag was deleted.

## How to fix
Move the Dockerfile to a maintained base image tag and rebuild.
"#,
    ),
    rule(
        BASE_UNKNOWN.0,
        BASE_UNKNOWN.1,
        Severity::Info,
        "The image's base image could not be identified, so whether it moved was not checked",
        r#"## What it does
Reports that neither base labels nor annotations name the base image and no `--base` candidate
is a layer prefix of the image. What the build history suggests (how many layers came from a
base image) is added, but a history never records the base's name or digest.

## Why is this bad?
Without knowing the base, nobody can tell when the image needs a rebuild for a patched base.

## Example
An image built by `docker build` without `--label org.opencontainers.image.base.name=…`.

## How to fix
Record the base when building: `docker build --label org.opencontainers.image.base.name=IMAGE
--label org.opencontainers.image.base.digest=DIGEST` (Buildah and Podman add these annotations
themselves), or tell `drydock check` which images may be the base with `--base IMAGE`.
"#,
    ),
    rule(
        SECURITY_UPDATE.0,
        SECURITY_UPDATE.1,
        Severity::Warning,
        "An installed package has a security update in its distribution's repositories",
        r#"## What it does
Reports each installed package for which the distribution's security repository has a newer
version than the one in the image (the pending updates of `drydock updates`, security only).

## Why is this bad?
The fix is published, but the image still ships the vulnerable version — usually because the
layer that installed it is cached, or the base image was not pulled again.

## Example
`libssl3 3.0.11-1~deb12u1` installed, `3.0.11-1~deb12u2` in the security repository.

## How to fix
Rebuild with `docker build --pull` and without reusing the cached layer that installs the
package (or add an upgrade step that runs when the package index changes).
"#,
    ),
    rule(
        REBUILD_OVERDUE.0,
        REBUILD_OVERDUE.1,
        Severity::Warning,
        "The image was built longer ago than the age policy (`--max-age`) allows",
        r#"## What it does
Compares the image's creation time with `--max-age` (e.g. `30d`). The same policy as `DD514`
of `drydock scan`, as part of the rebuild verdict of `drydock check`.

## Why is this bad?
Security fixes reach an image only when it is rebuilt. An old image has missed every fix
published since it was built, whether or not its base moved.

## Example
`drydock check --max-age 30d app:1.2` on an image created 45 days ago.

## How to fix
Rebuild regularly with `docker build --pull`, e.g. from a scheduled CI job.
"#,
    ),
];
