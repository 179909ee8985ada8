use drydock_dockerfile::SimpleCommand;
use drydock_findings::Severity;

use super::package_managers::{
    CacheLeft, Invocation, Manager, ZYPP_CACHE, invocation, report_cache_left,
};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3036",
    name: "zypper-cache-left",
    summary: "zypper's cache is left in the image after `zypper install`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3036"),
    docs: r#"## What it does
Reports `zypper install` (or `zypper in`) in a `RUN` that does not run `zypper clean` (or
`zypper cc`) afterwards, nor removes `/var/cache/zypp`. It only looks at stages that end up in
the image being built, and stays quiet when a cache or tmpfs mount covers `/var/cache/zypp`.

## Why is this bad?
zypper keeps repository metadata (and, with `keeppackages`, the downloaded packages) in
`/var/cache/zypp`. Left in the layer, it adds megabytes nothing at run time needs; deleting it
in a later `RUN` does not shrink the earlier layer.

## Example
```dockerfile
FROM opensuse/leap:15.6
RUN zypper --non-interactive install curl=8.6.0
```

Use instead:
```dockerfile
FROM opensuse/leap:15.6
RUN zypper --non-interactive install curl=8.6.0 && zypper clean --all
```

## How to fix
End the `RUN` with `&& zypper clean --all`, or with BuildKit mount the cache:
`RUN --mount=type=cache,target=/var/cache/zypp`.
"#,
    check,
};

fn installs(invocation: &Invocation) -> bool {
    invocation.manager == Manager::Zypper && invocation.is(&["install", "in"])
}

fn cleans_after(commands: &[SimpleCommand], position: usize) -> bool {
    commands.iter().skip(position + 1).any(|command| {
        invocation(command)
            .is_some_and(|found| found.manager == Manager::Zypper && found.is(&["clean", "cc"]))
    })
}

fn check(checker: &mut Checker) {
    report_cache_left(
        checker,
        &CacheLeft {
            installs,
            cleans_after,
            cache: &ZYPP_CACHE,
            cleanup: |_| "zypper clean --all",
            owner: "zypper's",
        },
    );
}
