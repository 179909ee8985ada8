use drydock_dockerfile::ShellWord;
use drydock_findings::Severity;

use super::package_managers::{Invocation, Manager, Pinning, report_unpinned, rpm_version_pinned};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3033",
    name: "yum-version-unpinned",
    summary: "`yum install` names a package without a version",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3033"),
    docs: r#"## What it does
Reports `yum install` (also in `ONBUILD` triggers) naming a package without a version
(`name-<version>`). A local `.rpm` file, a group (`@name`), a capability (`name(x)`) and a word
built from a variable are not judged; nor is `yum module install`, whose streams are versions.

## Why is this bad?
Without a version, the build installs whatever the repository has that day: two builds of the
same commit differ, and an upgrade arrives with an unrelated change.

## Example
```dockerfile
FROM centos:7
RUN yum install -y httpd && yum clean all
```

Use instead:
```dockerfile
FROM centos:7
RUN yum install -y httpd-2.4.6 && yum clean all
```

## How to fix
Append the version to the name: `package-<version>` (`yum list --showduplicates package`
lists them).
"#,
    check,
};

fn packages<'a>(invocation: &Invocation<'a>) -> Vec<&'a ShellWord> {
    if invocation.manager == Manager::Yum && invocation.is(&["install"]) {
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
            form: "yum install <package>-<version>",
        },
    );
}
