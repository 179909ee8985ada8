use drydock_findings::Severity;

use super::package_managers::{Invocation, Manager, invocations, shell_runs};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD103",
    name: "upgrade-in-cached-layer",
    summary: "A full package upgrade is frozen in a cached layer",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports a full upgrade of the installed packages in a stage that ends up in the image:
`apt-get upgrade`/`dist-upgrade`/`full-upgrade`, `apt upgrade`, `apk upgrade`,
`yum`/`dnf`/`microdnf update`/`upgrade`, `zypper update`/`up`/`dist-upgrade`/`dup`/`patch`.
Upgrades of named packages (`apk upgrade openssl`, `dnf update curl`) are not reported, nor are
upgrades in build stages whose files do not ship.

hadolint dropped its equivalent (DL3005) because upgrades bring security fixes. drydock agrees
the fixes matter, and warns because of *where* they end up: the upgrade runs once, its result is
cached, and every later build reuses that layer until the line above it changes. The image looks
patched but carries whatever was current on the day the cache was filled.

## Why is this bad?
The layer cache keys the `RUN` on its text and the layers before it, not on the package
repositories, so the upgraded packages go stale silently. The upgrade also duplicates files of
the base image in a new layer (the old versions stay in the base layers), growing the image.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get upgrade -y && apt-get install -y --no-install-recommends curl
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
```

## How to fix
Get fixes from a fresh base image instead: rebuild regularly with `docker build --pull` (base
images are republished with security updates), pin the base by digest and let an update bot bump
it, or rebuild without cache on a schedule. If you must upgrade in the Dockerfile, rebuild that
image with `--no-cache` whenever you ship.
"#,
    check,
};

/// Whether `invocation` upgrades every installed package.
fn is_full_upgrade(invocation: &Invocation) -> bool {
    let no_packages = || invocation.operands().next().is_none();
    match invocation.manager {
        Manager::Apt => {
            invocation.is(&["upgrade", "dist-upgrade", "full-upgrade"]) && no_packages()
        }
        Manager::Apk => invocation.is(&["upgrade"]) && no_packages(),
        Manager::Yum | Manager::Dnf | Manager::Microdnf => {
            invocation.is(&[
                "update",
                "upgrade",
                "distro-sync",
                "update-minimal",
                "upgrade-minimal",
            ]) && no_packages()
        }
        Manager::Zypper => {
            invocation.is(&["update", "up", "dist-upgrade", "dup", "patch"]) && no_packages()
        }
        _ => false,
    }
}

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for run in shell_runs(checker) {
        if !checker.in_final_image(run.index) {
            continue;
        }
        for (_, invocation) in invocations(run.commands) {
            if !is_full_upgrade(&invocation) {
                continue;
            }
            let message = format!(
                "`{}` freezes today's updates in a cached layer that goes stale while the cache is reused",
                invocation.display()
            );
            findings.push(Diagnostic::new(invocation.head_span(), message).help(
                "remove the upgrade and rebuild on a fresh base image instead (`docker build --pull`); if you keep it, rebuild with `--no-cache` when you ship",
            ));
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
