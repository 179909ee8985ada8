use drydock_findings::Severity;

use super::package_managers::{CHANGES_PACKAGES, Invocation, Manager, report_confirmation_prompts};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3038",
    name: "dnf-missing-yes",
    summary: "`dnf` installs or removes packages without `-y`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3038"),
    docs: r#"## What it does
Reports `dnf install` (and the other subcommands that ask before changing packages:
`groupinstall`, `localinstall`, `reinstall`, `update`, `upgrade`, `downgrade`, `remove`,
`erase`, `autoremove`) without `-y`/`--assumeyes`. ONBUILD triggers are checked too.
`microdnf` is not reported: it never asks.

## Why is this bad?
dnf asks "Is this ok [y/N]" before changing packages. A build has no terminal: dnf reads
end-of-file, answers no, and the build fails.

## Example
```dockerfile
FROM fedora:41
RUN dnf install httpd-2.4.62 && dnf clean all
```

Use instead:
```dockerfile
FROM fedora:41
RUN dnf install -y httpd-2.4.62 && dnf clean all
```

## How to fix
Add `-y` to the command.

## Fix
Safe (`drydock lint --fix`): adds `-y` after the subcommand.
"#,
    check,
};

fn check(checker: &mut Checker) {
    report_confirmation_prompts(
        checker,
        |invocation: &Invocation| {
            invocation.manager == Manager::Dnf && invocation.is(&CHANGES_PACKAGES)
        },
        |invocation| invocation.has_flag(Some('y'), &["assumeyes"]),
        "-y",
    );
}
