use drydock_dockerfile::SimpleCommand;
use drydock_findings::Severity;

use super::package_managers::{CacheLeft, DNF_CACHE, Manager, invocation, report_cache_left};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3040",
    name: "dnf-cache-left",
    summary: "`dnf install` without `dnf clean all` leaves dnf's cache in the image",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3040"),
    docs: r#"## What it does
Reports `dnf install` or `microdnf install` (also `dnf5`, `groupinstall`, `reinstall`) in a stage
that ends up in the image being built when the same `RUN` does not run `dnf clean all`
(`microdnf clean all`, `yum clean all`, or `rm -rf /var/cache/dnf`) afterwards.

It stays quiet when a cache or tmpfs mount covers `/var/cache/dnf`, `/var/cache/libdnf5` or
`/var/cache/yum` (microdnf's cache), and ignores build stages whose files are not shipped
(hadolint's DL3040 reports those too).

Each `RUN` is reported once, at its first install not followed by a clean-up.

## Why is this bad?
dnf keeps repository metadata in `/var/cache/dnf`: often over a hundred megabytes the running
container never reads. Cleaning in a later `RUN` does not shrink the earlier layer.

## Example
```dockerfile
FROM fedora:40
RUN dnf install -y nginx
```

Use instead:
```dockerfile
FROM fedora:40
RUN dnf install -y nginx && dnf clean all
```

## How to fix
End the `RUN` with `&& dnf clean all` (`microdnf clean all`), or with BuildKit mount the cache:
`RUN --mount=type=cache,target=/var/cache/dnf dnf install -y nginx`.
"#,
    check,
};

/// `yum|dnf|microdnf clean all` after `position`.
pub(crate) fn cleans_after(commands: &[SimpleCommand], position: usize) -> bool {
    commands.iter().skip(position + 1).any(|command| {
        invocation(command).is_some_and(|found| {
            matches!(
                found.manager,
                Manager::Yum | Manager::Dnf | Manager::Microdnf
            ) && found.is(&["clean"])
                && found.operands().any(|word| word.text == "all")
        })
    })
}

fn check(checker: &mut Checker) {
    report_cache_left(
        checker,
        &CacheLeft {
            installs: |invocation| {
                matches!(invocation.manager, Manager::Dnf | Manager::Microdnf)
                    && invocation.is(&["install", "groupinstall", "reinstall"])
            },
            cleans_after,
            cache: &DNF_CACHE,
            cleanup: |invocation| {
                if invocation.manager == Manager::Microdnf {
                    "microdnf clean all"
                } else {
                    "dnf clean all"
                }
            },
            owner: "the package",
        },
    );
}
