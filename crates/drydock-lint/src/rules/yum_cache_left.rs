use drydock_findings::Severity;

use super::package_managers::{CacheLeft, Manager, YUM_CACHE, report_cache_left};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3032",
    name: "yum-cache-left",
    summary: "`yum install` without `yum clean all` leaves yum's cache in the image",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3032"),
    docs: r#"## What it does
Reports `yum install` (also `groupinstall`, `localinstall`, `reinstall`) in a stage that ends up
in the image being built when the same `RUN` does not run `yum clean all` (or
`rm -rf /var/cache/yum`) afterwards.

Unlike hadolint's DL3032 it stays quiet when a cache or tmpfs mount covers `/var/cache/yum` (the
cache then never reaches the layer), and it ignores build stages whose files are not shipped.

Each `RUN` is reported once, at its first install not followed by a clean-up.

## Why is this bad?
yum keeps repository metadata (and with `keepcache`, the packages) in `/var/cache/yum`: often
over a hundred megabytes the running container never reads. Cleaning in a later `RUN` does not
shrink the earlier layer.

## Example
```dockerfile
FROM centos:7
RUN yum install -y httpd
```

Use instead:
```dockerfile
FROM centos:7
RUN yum install -y httpd && yum clean all && rm -rf /var/cache/yum
```

## How to fix
End the `RUN` with `&& yum clean all`, or with BuildKit mount the cache:
`RUN --mount=type=cache,target=/var/cache/yum yum install -y httpd`.
"#,
    check,
};

fn check(checker: &mut Checker) {
    report_cache_left(
        checker,
        &CacheLeft {
            installs: |invocation| {
                invocation.manager == Manager::Yum
                    && invocation.is(&["install", "groupinstall", "localinstall", "reinstall"])
            },
            cleans_after: super::dnf_cache_left::cleans_after,
            cache: &YUM_CACHE,
            cleanup: |_| "yum clean all",
            owner: "yum's",
        },
    );
}
