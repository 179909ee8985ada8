use drydock_findings::Severity;

use super::package_managers::{Manager, invocations};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3035",
    name: "zypper-dist-upgrade",
    summary: "`zypper dist-upgrade` in a build",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3035"),
    docs: r#"## What it does
Reports `zypper dist-upgrade` (or `zypper dup`) in `RUN` (also in `ONBUILD` triggers).

## Why is this bad?
A distribution upgrade may move the image to a new release of openSUSE, with new major versions
of libraries, behind the base image's back: the base image's tag no longer says what the image
is. (A plain `zypper update`/`patch`, which applies fixes within the release, is fine.)

## Example
```dockerfile
FROM opensuse/leap:15.5
RUN zypper --non-interactive dist-upgrade
```

Use instead:
```dockerfile
FROM opensuse/leap:15.6
RUN zypper --non-interactive patch
```

## How to fix
Move to the newer release with the base image tag, and apply fixes with `zypper patch` or
`zypper update`.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for (_, _, run) in checker.runs() {
        let Some(shell) = &run.shell else { continue };
        for (_, invocation) in invocations(&shell.commands) {
            if invocation.manager == Manager::Zypper && invocation.is(&["dist-upgrade", "dup"]) {
                findings.push(
                    Diagnostic::new(
                        invocation.head_span(),
                        format!(
                            "`{}` may move the image to another distribution release than its \
                             base image",
                            invocation.display()
                        ),
                    )
                    .help("change the base image tag instead; apply fixes with `zypper patch`"),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
