use drydock_dockerfile::{Connector, InstructionKind, SimpleCommand};
use drydock_findings::{Applicability, Edit, Fix, Severity};

use super::package_managers::{Invocation, Manager, invocations, shell_runs};
use super::whole_lines;
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

## Fix
Safe (`drydock lint --fix`), for apt: deletes the RUN that only runs `apt-get update` and
writes `apt-get update && ` before the install that relied on it, when no RUN in between uses
apt.
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
    /// The RUN's instruction index.
    index: usize,
    /// Whether the RUN is this one command alone (no flags, heredocs or other commands).
    alone: bool,
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
                    let instruction = &checker.file.instructions[run.index];
                    pending.push(Pending {
                        index: run.index,
                        alone: run.commands.len() == 1
                            && instruction.flags.is_empty()
                            && instruction.heredocs.is_empty()
                            && run.run.shell.as_ref().is_some_and(|shell| !shell.fallback),
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
                let fix = (family == Family::Apt)
                    .then(|| merge(checker, update, run.index, invocation.command))
                    .flatten();
                findings.push(
                    Diagnostic::new(update.span, message)
                        .help(help)
                        .with_fix(fix),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}

/// Moves a RUN that only refreshes the index into the install that uses it: deletes the RUN's
/// lines and writes `apt-get update && ` before the install command. Only when no RUN between
/// the two uses apt, and the install is not inside a pipeline.
fn merge(
    checker: &Checker,
    update: &Pending,
    install_index: usize,
    install: &SimpleCommand,
) -> Option<Fix> {
    if !update.alone || install.connector == Connector::Pipe {
        return None;
    }
    let between = &checker.file.instructions[update.index + 1..install_index];
    let uses_apt = between.iter().any(|instruction| match &instruction.kind {
        InstructionKind::Run(run) => run.shell.as_ref().is_none_or(|shell| {
            invocations(&shell.commands).any(|(_, i)| i.manager == Manager::Apt)
        }),
        _ => false,
    });
    if uses_apt {
        return None;
    }
    let source = checker.source();
    let lines = whole_lines(source, checker.file.instructions[update.index].span)?;
    Some(Fix {
        message: format!("run `{}` in the RUN that installs", update.text),
        applicability: Applicability::Safe,
        edits: vec![
            Edit::delete(lines),
            Edit::insert(
                install.span.start,
                format!("{} && ", update.span.text(source)),
            ),
        ],
    })
}
