use drydock_findings::Severity;

use super::package_managers::{CHANGES_PACKAGES, Invocation, Manager, report_confirmation_prompts};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3030",
    name: "yum-missing-yes",
    summary: "`yum` installs or removes packages without `-y`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3030"),
    docs: r#"## What it does
Reports `yum install` (and the other subcommands that ask before changing packages:
`groupinstall`, `localinstall`, `reinstall`, `update`, `upgrade`, `downgrade`, `remove`,
`erase`, `autoremove`) without `-y`/`--assumeyes`. ONBUILD triggers are checked too.

## Why is this bad?
yum asks "Is this ok [y/N]" before changing packages. A build has no terminal: yum reads
end-of-file, answers no, and the build fails.

## Example
```dockerfile
FROM centos:7
RUN yum install httpd-2.4.6 && yum clean all
```

Use instead:
```dockerfile
FROM centos:7
RUN yum install -y httpd-2.4.6 && yum clean all
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
            invocation.manager == Manager::Yum && invocation.is(&CHANGES_PACKAGES)
        },
        |invocation| invocation.has_flag(Some('y'), &["assumeyes"]),
        "-y",
    );
}
