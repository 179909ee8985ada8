use drydock_findings::Severity;

use super::package_managers::{Invocation, Manager, report_confirmation_prompts};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3034",
    name: "zypper-missing-non-interactive",
    summary: "`zypper` changes packages without `--non-interactive` or `-y`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3034"),
    docs: r#"## What it does
Reports zypper commands that ask before changing packages (`install`/`in`, `remove`/`rm`,
`source-install`/`si`, `patch`, `update`/`up`, `dist-upgrade`/`dup`) without the global
`--non-interactive`/`-n` or the command's `-y`/`--no-confirm`. ONBUILD triggers are checked too.

## Why is this bad?
zypper asks "Continue? [y/n/v/...? shows all options]". A build has no terminal: the question
is answered with end-of-file and the build fails.

## Example
```dockerfile
FROM opensuse/leap:15.6
RUN zypper install curl=8.6.0 && zypper clean --all
```

Use instead:
```dockerfile
FROM opensuse/leap:15.6
RUN zypper --non-interactive install curl=8.6.0 && zypper clean --all
```

## How to fix
Add `--non-interactive` before the subcommand, or `-y` after it.
"#,
    check,
};

fn check(checker: &mut Checker) {
    report_confirmation_prompts(
        checker,
        |invocation: &Invocation| {
            invocation.manager == Manager::Zypper
                && invocation.is(&[
                    "install",
                    "in",
                    "remove",
                    "rm",
                    "source-install",
                    "si",
                    "patch",
                    "update",
                    "up",
                    "dist-upgrade",
                    "dup",
                ])
        },
        |invocation| {
            invocation.has_flag(Some('n'), &["non-interactive", "no-confirm"])
                || invocation.has_flag(Some('y'), &[])
        },
        "--non-interactive",
    );
}
