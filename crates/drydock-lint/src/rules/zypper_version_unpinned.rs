use drydock_dockerfile::ShellWord;
use drydock_findings::Severity;

use super::package_managers::{Invocation, Manager, Pinning, report_unpinned};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3037",
    name: "zypper-version-unpinned",
    summary: "`zypper install` names a package without a version",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3037"),
    docs: r#"## What it does
Reports `zypper install` (or `zypper in`, also in `ONBUILD` triggers) naming a package without a
version constraint (`=`, `>=`, `<=`, `>`, `<`). A local `.rpm` file counts as pinned; a word
built from a variable is not judged.

## Why is this bad?
Without a version, the build installs whatever the repository has that day: two builds of the
same commit differ, and an upgrade arrives with an unrelated change.

## Example
```dockerfile
FROM opensuse/leap:15.6
RUN zypper install -y curl && zypper clean --all
```

Use instead:
```dockerfile
FROM opensuse/leap:15.6
RUN zypper install -y curl=8.6.0 && zypper clean --all
```

## How to fix
Write `package=version` (or a range such as `package>=8.6`).
"#,
    check,
};

fn packages<'a>(invocation: &Invocation<'a>) -> Vec<&'a ShellWord> {
    if invocation.manager == Manager::Zypper && invocation.is(&["install", "in"]) {
        invocation.operands().collect()
    } else {
        Vec::new()
    }
}

fn pinned(package: &str) -> bool {
    package.contains(['=', '>', '<']) || package.ends_with(".rpm")
}

fn check(checker: &mut Checker) {
    report_unpinned(
        checker,
        &Pinning {
            packages,
            pinned,
            form: "zypper install <package>=<version>",
        },
    );
}
