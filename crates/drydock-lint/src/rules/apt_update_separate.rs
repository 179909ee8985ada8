use drydock_findings::Severity;

use super::package_managers::{Invocation, Manager, invocations, shell_runs};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD104",
    name: "apt-update-separate",
    summary: "The package index is refreshed in a different RUN than the install that uses it",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports an `apt-get update` (or `apt update`) that has no install after it in the same `RUN`,
when a later `RUN` of the same stage installs with `apt-get` without refreshing the index
itself. The same goes for `apk update` followed by a later `apk add` (without `--no-cache` or
`--update`) and for `yum`/`dnf makecache` followed by a later `install`.

It does not fire when the update is chained with an install (`apt-get update && apt-get install`),
nor when the later install runs its own update first (or uses `apt-get install --update`).

## Why is this bad?
The update layer is cached on its own. When you later add a package to the install line, only
the install layer is rebuilt, against the index cached weeks ago: it asks for package versions
the mirror no longer has (`404 Not Found`, `Unable to fetch some archives`) or silently installs
outdated versions.

## Example
```dockerfile
FROM ubuntu:24.04
RUN apt-get update
RUN apt-get install -y --no-install-recommends curl
```

Use instead:
```dockerfile
FROM ubuntu:24.04
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
```

## How to fix
Run the update and the install in the same `RUN`, joined with `&&`.
"#,
    check,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Apt,
    Apk,
    Rpm,
}

/// The index refresh `invocation` performs.
fn refreshes(invocation: &Invocation) -> Option<Family> {
    match invocation.manager {
        Manager::Apt if invocation.is(&["update"]) => Some(Family::Apt),
        Manager::Apk if invocation.is(&["update"]) => Some(Family::Apk),
        Manager::Yum | Manager::Dnf if invocation.is(&["makecache"]) => Some(Family::Rpm),
        _ => None,
    }
}

/// The package family whose (possibly cached) index `invocation` relies on.
fn relies_on_index(invocation: &Invocation) -> Option<Family> {
    match invocation.manager {
        Manager::Apt
            if invocation.is(&[
                "install",
                "upgrade",
                "dist-upgrade",
                "full-upgrade",
                "build-dep",
                "source",
                "download",
                "reinstall",
            ]) && !invocation.has_flag(None, &["update"]) =>
        {
            Some(Family::Apt)
        }
        Manager::Apk
            if invocation.is(&["add", "upgrade", "fix"])
                && !invocation.has_flag(Some('U'), &["no-cache", "update-cache"]) =>
        {
            Some(Family::Apk)
        }
        Manager::Yum | Manager::Dnf if invocation.is(&["install", "update", "upgrade"]) => {
            Some(Family::Rpm)
        }
        _ => None,
    }
}

fn uses_index_after(
    commands: &[drydock_dockerfile::SimpleCommand],
    after: usize,
    family: Family,
) -> bool {
    commands.iter().skip(after + 1).any(|command| {
        if family == Family::Apt && command.program() == Some("apt-cache") {
            return true;
        }
        super::package_managers::invocation(command)
            .is_some_and(|invocation| relies_on_index(&invocation) == Some(family))
    })
}

struct Pending {
    stage: Option<usize>,
    family: Family,
    span: drydock_findings::Span,
    text: String,
    reported: bool,
}

fn check(checker: &mut Checker) {
    let mut pending: Vec<Pending> = Vec::new();
    let mut findings = Vec::new();
    for run in shell_runs(checker) {
        let stage = checker.graph.stage_of(run.index);
        // Installs in this RUN that rely on an index refreshed in an earlier RUN.
        let mut refreshed: Vec<Family> = Vec::new();
        for (position, invocation) in invocations(run.commands) {
            if let Some(family) = refreshes(&invocation) {
                refreshed.push(family);
                if !uses_index_after(run.commands, position, family) {
                    pending.push(Pending {
                        stage,
                        family,
                        span: invocation.command.span,
                        text: invocation.display(),
                        reported: false,
                    });
                }
                continue;
            }
            let Some(family) = relies_on_index(&invocation) else {
                continue;
            };
            if refreshed.contains(&family) {
                continue;
            }
            let line = checker.file.line_column(invocation.head_span().start).line;
            for update in pending
                .iter_mut()
                .filter(|p| p.stage == stage && p.family == family && !p.reported)
            {
                update.reported = true;
                let message = format!(
                    "`{}` runs in its own layer, so the `{}` on line {line} uses a stale cached index",
                    update.text,
                    invocation.display(),
                );
                let help = match family {
                    Family::Apt => format!(
                        "run `{}` in the same `RUN` as the `{}`, joined with `&&`",
                        update.text,
                        invocation.display()
                    ),
                    Family::Apk => {
                        "use `apk add --no-cache`, which fetches a fresh index itself".to_owned()
                    }
                    Family::Rpm => {
                        "drop the separate `makecache`; `install` refreshes metadata itself"
                            .to_owned()
                    }
                };
                findings.push(Diagnostic::new(update.span, message).help(help));
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
