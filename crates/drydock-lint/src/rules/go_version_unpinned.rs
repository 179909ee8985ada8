use drydock_dockerfile::ShellWord;
use drydock_findings::Severity;

use super::package_managers::{Invocation, Manager, Pinning, report_unpinned};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3062",
    name: "go-version-unpinned",
    summary: "`go install`, `go get` or `go run` names a module without a version",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3062"),
    docs: r#"## What it does
Reports `go install`, `go get` or `go run` (also in `ONBUILD` triggers) naming a remote package
without `@<version>`, or with `@latest`/`@none`. Local packages (`.`, `./cmd/app`, `/src/...`)
are built from the source in the image and are fine; for `go run`, only the package is judged,
not the arguments after it.

## Why is this bad?
`go install example.test/tool` outside a module, or `@latest`, fetches whatever version is
newest that day: two builds of the same commit differ.

## Example
```dockerfile
FROM golang:1.23
RUN go install golang.org/x/tools/cmd/goimports@latest
```

Use instead:
```dockerfile
FROM golang:1.23
RUN go install golang.org/x/tools/cmd/goimports@v0.28.0
```

## How to fix
Append the version: `package@vX.Y.Z`.
"#,
    check,
};

fn packages<'a>(invocation: &Invocation<'a>) -> Vec<&'a ShellWord> {
    if invocation.manager != Manager::Go {
        return Vec::new();
    }
    if invocation.is(&["install", "get"]) {
        invocation.operands().collect()
    } else if invocation.is(&["run"]) {
        invocation.operands().take(1).collect()
    } else {
        Vec::new()
    }
}

fn pinned(package: &str) -> bool {
    let local = package.starts_with(['.', '/']);
    let tagged = package
        .rsplit_once('@')
        .is_some_and(|(_, version)| !matches!(version, "latest" | "none" | ""));
    local || tagged
}

fn check(checker: &mut Checker) {
    report_unpinned(
        checker,
        &Pinning {
            packages,
            pinned,
            form: "go install <package>@<version>",
        },
    );
}
