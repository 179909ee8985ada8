use drydock_dockerfile::ShellWord;
use drydock_findings::Severity;

use super::package_managers::{Invocation, Manager, Pinning, report_unpinned};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3028",
    name: "gem-version-unpinned",
    summary: "`gem install` names a gem without a version",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3028"),
    docs: r#"## What it does
Reports `gem install` (or `gem i`, also in `ONBUILD` triggers) naming a gem without
`:<version>`, unless the command gives `-v`/`--version`. Options that take a value
(`--install-dir DIR`, `--source URL`) are told apart from gem names, and words built from
variables are not judged.

## Why is this bad?
Without a version, the build installs whatever the gem server has that day: two builds of the
same commit differ, and a breaking release arrives with an unrelated change.

## Example
```dockerfile
FROM ruby:3.3-slim
RUN gem install --no-document bundler
```

Use instead:
```dockerfile
FROM ruby:3.3-slim
RUN gem install --no-document bundler:2.5.22
```

## How to fix
Write `gem:version`, or `gem install gem -v version`; for application gems, commit
`Gemfile.lock` and run `bundle install`.
"#,
    check,
};

fn packages<'a>(invocation: &Invocation<'a>) -> Vec<&'a ShellWord> {
    let versioned = invocation.option_value(&["-v", "--version"]).is_some();
    if invocation.manager == Manager::Gem && invocation.is(&["install", "i"]) && !versioned {
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
            pinned: |gem| gem.contains(':'),
            form: "gem install <gem>:<version>",
        },
    );
}
