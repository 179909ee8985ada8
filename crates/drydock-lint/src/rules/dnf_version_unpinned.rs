use drydock_dockerfile::ShellWord;
use drydock_findings::Severity;

use super::package_managers::{Invocation, Manager, Pinning, report_unpinned, rpm_version_pinned};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3041",
    name: "dnf-version-unpinned",
    summary: "`dnf install` names a package without a version",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3041"),
    docs: r#"## What it does
Reports `dnf install` or `microdnf install` (also in `ONBUILD` triggers) naming a package
without a version (`name-<version>`). A local `.rpm` file, a group (`@name`), a capability
(`name(x)`, such as `dnf-command(config-manager)`) and a word built from a variable are not
judged; nor is `dnf module install`, whose streams are versions.

## Why is this bad?
Without a version, the build installs whatever the repository has that day: two builds of the
same commit differ, and an upgrade arrives with an unrelated change.

## Example
```dockerfile
FROM fedora:41
RUN dnf install -y httpd && dnf clean all
```

Use instead:
```dockerfile
FROM fedora:41
RUN dnf install -y httpd-2.4.62 && dnf clean all
```

## How to fix
Append the version to the name: `package-<version>` (`dnf list --showduplicates package`
lists them).
"#,
    check,
};

fn packages<'a>(invocation: &Invocation<'a>) -> Vec<&'a ShellWord> {
    if matches!(invocation.manager, Manager::Dnf | Manager::Microdnf) && invocation.is(&["install"])
    {
        invocation.operands().collect()
    } else {
        Vec::new()
    }
}

fn check(checker: &mut Checker) {
    report_unpinned(
        checker,
        &Pinning {
            packages,
            pinned: rpm_version_pinned,
            form: "dnf install <package>-<version>",
        },
    );
}
