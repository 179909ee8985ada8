use drydock_findings::Severity;

use super::package_managers::{
    APK_CACHE, Manager, invocations, mount_covers, removes_after, shell_runs,
};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3019",
    name: "apk-cache-left",
    summary: "`apk add` without `--no-cache` leaves the package index in the image",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: Some("DL3019"),
    docs: r#"## What it does
Reports `apk add` without `--no-cache` (or `--no-network`, which downloads nothing) in a stage that ends up in the image being built, unless
the same `RUN` deletes the cache afterwards (`rm -rf /var/cache/apk/*`) or a cache or tmpfs mount
covers `/var/cache/apk` or `/etc/apk/cache`.

Unlike hadolint's DL3019, build stages whose files are not shipped are not reported.

## Why is this bad?
Without `--no-cache`, apk keeps the downloaded package index (and, with a cache directory,
the packages) under `/var/cache/apk`, adding size to the layer for nothing.

## Example
```dockerfile
FROM alpine:3.20
RUN apk update && apk add curl
```

Use instead:
```dockerfile
FROM alpine:3.20
RUN apk add --no-cache curl
```

## How to fix
Use `apk add --no-cache` (it also fetches a fresh index, so `apk update` is not needed), or with
BuildKit mount the cache: `RUN --mount=type=cache,target=/var/cache/apk apk add curl`.

## Fix
Safe (`drydock lint --fix`): adds `--no-cache` after `add`.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for run in shell_runs(checker) {
        if !checker.in_final_image(run.index) {
            continue;
        }
        for (position, invocation) in invocations(run.commands) {
            if invocation.manager != Manager::Apk
                || !invocation.is(&["add"])
                || invocation.has_flag(None, &["no-cache", "no-network"])
            {
                continue;
            }
            if removes_after(run.commands, position, &APK_CACHE)
                || mount_covers(checker, run.index, run.run, &APK_CACHE)
            {
                continue;
            }
            findings.push(
                Diagnostic::new(
                    invocation.head_span(),
                    "`apk add` without `--no-cache` leaves the package index in `/var/cache/apk`",
                )
                .help("use `apk add --no-cache`")
                .with_fix(invocation.option_fix("--no-cache")),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
