use drydock_dockerfile::ShellWord;
use drydock_findings::Severity;

use super::package_managers::{Invocation, Manager, Pinning, report_unpinned};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3016",
    name: "npm-version-unpinned",
    summary: "`npm install` names a package without a version",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3016"),
    docs: r#"## What it does
Reports `npm install`, `npm i` or `npm add` (also in `ONBUILD` triggers) naming a package
without `@<version>`. Local folders (`./pkg`, `/src`), tarballs (`.tgz`, `.tar`, `.tar.gz`), git
URLs with `#<ref>` and words built from variables are not judged. A bare `npm install` (which
installs the lock file's versions) is fine.

## Why is this bad?
Without a version, the build installs whatever the registry has as `latest` that day: two
builds of the same commit differ, and a breaking release arrives with an unrelated change.

## Example
```dockerfile
FROM node:22-slim
RUN npm install -g pnpm
```

Use instead:
```dockerfile
FROM node:22-slim
RUN npm install -g pnpm@9.15.0
```

## How to fix
Write `package@version`; for application dependencies, commit `package-lock.json` and run
`npm ci`.
"#,
    check,
};

fn packages<'a>(invocation: &Invocation<'a>) -> Vec<&'a ShellWord> {
    if invocation.manager == Manager::Npm && invocation.is(&["install", "i", "add"]) {
        invocation.operands().collect()
    } else {
        Vec::new()
    }
}

fn pinned(package: &str) -> bool {
    if ["git:", "git+", "github:"]
        .iter()
        .any(|prefix| package.starts_with(prefix))
    {
        return package.contains('#');
    }
    if package == "."
        || ["/", "./", "../", "~/"]
            .iter()
            .any(|prefix| package.starts_with(prefix))
        || [".tgz", ".tar", ".tar.gz"]
            .iter()
            .any(|suffix| package.ends_with(suffix))
    {
        return true;
    }
    // `@scope/name@1.2`: the version is the `@` after the scope.
    let name = match package.strip_prefix('@') {
        Some(scoped) => scoped.split_once('/').map_or("", |(_, name)| name),
        None => package,
    };
    name.contains('@')
}

fn check(checker: &mut Checker) {
    report_unpinned(
        checker,
        &Pinning {
            packages,
            pinned,
            form: "npm install <package>@<version>",
        },
    );
}
