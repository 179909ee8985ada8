use drydock_findings::Severity;

use super::package_managers::{Invocation, Manager, report_confirmation_prompts};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3014",
    name: "apt-get-missing-yes",
    summary: "`apt-get` installs or removes packages without `-y`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3014"),
    docs: r#"## What it does
Reports `apt-get install` (and the other subcommands that ask before changing packages:
`upgrade`, `dist-upgrade`, `full-upgrade`, `remove`, `purge`, `autoremove`, `reinstall`,
`build-dep`) without `-y`/`--yes`/`--assume-yes`, `-qq` (which implies it) or
`-o APT::Get::Assume-Yes=true`. ONBUILD triggers are checked too.

## Why is this bad?
When apt-get needs more than the packages named (dependencies, removals) it asks "Do you want
to continue?". A build has no terminal: apt-get reads end-of-file, answers no, and the build
fails, or succeeds only until a dependency changes.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install --no-install-recommends curl
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl
```

## How to fix
Add `-y` to the command.

## Fix
Safe (`drydock lint --fix`): adds `-y` after the subcommand.
"#,
    check,
};

fn prompts(invocation: &Invocation) -> bool {
    invocation.manager == Manager::Apt
        && invocation.program.text.ends_with("apt-get")
        && invocation.is(&[
            "install",
            "upgrade",
            "dist-upgrade",
            "full-upgrade",
            "remove",
            "purge",
            "autoremove",
            "reinstall",
            "build-dep",
        ])
}

fn confirmed(invocation: &Invocation) -> bool {
    let quiet_twice = invocation
        .args
        .iter()
        .filter(|word| !word.text.starts_with("--"))
        .filter_map(|word| word.text.strip_prefix('-'))
        .map(|letters| letters.matches('q').count())
        .sum::<usize>()
        >= 2;
    invocation.has_flag(Some('y'), &["yes", "assume-yes"])
        || quiet_twice
        || invocation.args.iter().any(|word| {
            matches!(word.text.as_str(), "-q=2" | "--quiet=2")
                || word
                    .text
                    .to_ascii_lowercase()
                    .starts_with("apt::get::assume-yes=true")
        })
}

fn check(checker: &mut Checker) {
    report_confirmation_prompts(checker, prompts, confirmed, "-y");
}
