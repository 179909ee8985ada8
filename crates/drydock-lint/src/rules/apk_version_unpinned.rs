use drydock_dockerfile::ShellWord;
use drydock_findings::Severity;

use super::package_managers::{Invocation, Manager, Pinning, report_unpinned};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3018",
    name: "apk-version-unpinned",
    summary: "`apk add` names a package without a version",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3018"),
    docs: r#"## What it does
Reports `apk add` (also in `ONBUILD` triggers) naming a package without a version constraint
(`=`, `~`, `>`, `<`). A local `.apk` file counts as pinned, the name given to `--virtual` is not
a package, and a word built from a variable (`$PACKAGES`) is not judged.

## Why is this bad?
Without a version, the build installs whatever the repository has that day: two builds of the
same commit differ, and an upgrade arrives with an unrelated change.

## Example
```dockerfile
FROM alpine:3.20
RUN apk add --no-cache curl
```

Use instead:
```dockerfile
FROM alpine:3.20
RUN apk add --no-cache curl~8.9
```

## How to fix
Write `package=version`, or `package~major.minor` to accept patch releases of one branch.
"#,
    check,
};

fn packages<'a>(invocation: &Invocation<'a>) -> Vec<&'a ShellWord> {
    if invocation.manager == Manager::Apk && invocation.is(&["add"]) {
        invocation.operands().collect()
    } else {
        Vec::new()
    }
}

fn pinned(package: &str) -> bool {
    package.contains(['=', '~', '>', '<']) || package.ends_with(".apk")
}

fn check(checker: &mut Checker) {
    report_unpinned(
        checker,
        &Pinning {
            packages,
            pinned,
            form: "apk add <package>=<version>",
        },
    );
}
