use drydock_dockerfile::ShellWord;
use drydock_findings::Severity;

use super::package_managers::{Invocation, Manager, Pinning, report_unpinned};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3008",
    name: "apt-get-version-unpinned",
    summary: "`apt-get install` names a package without a version",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3008"),
    docs: r#"## What it does
Reports `apt-get install` (also in `ONBUILD` triggers) naming a package without `=<version>`.
A package taken from a release (`curl/bookworm-backports`) or a local `.deb` file counts as
pinned; a word built from a variable (`$PACKAGES`) is not judged.

## Why is this bad?
Without a version, the build installs whatever the mirror has that day: two builds of the same
commit differ, and an upgrade (or a removed version) arrives with an unrelated change.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u12
```

## How to fix
Write `package=version` (`apt-cache policy package` shows the candidates). `drydock updates`
tells you when a pinned version has a newer release.
"#,
    check,
};

fn packages<'a>(invocation: &Invocation<'a>) -> Vec<&'a ShellWord> {
    if invocation.manager == Manager::Apt
        && invocation.program.text.ends_with("apt-get")
        && invocation.is(&["install"])
    {
        invocation.operands().collect()
    } else {
        Vec::new()
    }
}

fn pinned(package: &str) -> bool {
    package.contains(['=', '/']) || package.ends_with(".deb")
}

fn check(checker: &mut Checker) {
    report_unpinned(
        checker,
        &Pinning {
            packages,
            pinned,
            form: "apt-get install <package>=<version>",
        },
    );
}
