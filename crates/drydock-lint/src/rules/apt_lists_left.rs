use drydock_dockerfile::{Command, InstructionKind, Span};
use drydock_findings::{Applicability, Edit, Fix, Severity};

use super::package_managers::{
    APT_LISTS, Manager, ShellRun, invocations, mount_covers, removes_after, shell_runs,
};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3009",
    name: "apt-lists-left",
    summary: "apt package lists are left in the image after `apt-get update`",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: Some("DL3009"),
    docs: r#"## What it does
Reports `apt-get update` (or `apt update`, or `apt-get install --update`) in a `RUN` that does not delete
`/var/lib/apt/lists/*` afterwards in the same `RUN` (`rm -rf /var/lib/apt/lists/*`, also with
more paths or on `/var/lib/apt`, or `apt-get dist-clean`).

Unlike hadolint's DL3009, it only looks at stages that end up in the image being built: lists
left in a build stage whose files are not copied wholesale cost nothing. It also stays quiet when
a cache or tmpfs mount covers `/var/lib/apt/lists` (or `/var/lib/apt`): the lists then never reach
the layer. `apt-get clean` alone is not enough, since it only empties `/var/cache/apt/archives`.

## Why is this bad?
`apt-get update` downloads tens of megabytes of package lists that nothing in the running
container needs. Deleting them in a later `RUN` does not help: they stay in the earlier layer.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
```

## How to fix
End the `RUN` with `&& rm -rf /var/lib/apt/lists/*`, or with BuildKit mount the lists as a cache:
`RUN --mount=type=cache,target=/var/lib/apt,sharing=locked`.

## Fix
Safe (`drydock lint --fix`): when the file uses BuildKit syntax, adds
`--mount=type=cache,target=/var/lib/apt/lists,sharing=locked` to the RUN; otherwise ends the
script with `&& rm -rf /var/lib/apt/lists/*` (not offered when the script ends inside `if … fi`,
a loop or a heredoc). Unsafe (`--unsafe-fixes`) when a later RUN installs with apt without its
own `update`: it relied on the lists.
"#,
    check,
};

/// `apt-get dist-clean` (apt 2.7+) after `position`: it deletes the lists too.
fn dist_cleans_after(commands: &[drydock_dockerfile::SimpleCommand], position: usize) -> bool {
    commands.iter().skip(position + 1).any(|command| {
        super::package_managers::invocation(command)
            .is_some_and(|found| found.manager == Manager::Apt && found.is(&["dist-clean"]))
    })
}

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for run in shell_runs(checker) {
        if !checker.in_final_image(run.index) {
            continue;
        }
        for (position, invocation) in invocations(run.commands) {
            let updates = invocation.is(&["update"])
                || invocation.is(&["install", "upgrade", "dist-upgrade", "full-upgrade"])
                    && invocation.has_flag(None, &["update"]);
            if invocation.manager != Manager::Apt || !updates {
                continue;
            }
            if removes_after(run.commands, position, &APT_LISTS)
                || dist_cleans_after(run.commands, position)
                || mount_covers(checker, run.index, run.run, &APT_LISTS)
            {
                continue;
            }
            let flag = if invocation.is(&["update"]) {
                ""
            } else {
                " --update"
            };
            let message = format!(
                "`{}{flag}` leaves the package lists in `/var/lib/apt/lists` in the image",
                invocation.display()
            );
            let fix = fix(checker, &run);
            findings.push(
                Diagnostic::new(invocation.head_span(), message)
                    .help("end this `RUN` with `&& rm -rf /var/lib/apt/lists/*`")
                    .with_fix(fix),
            );
            break;
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}

/// With BuildKit syntax in use, a cache mount on the lists; otherwise `&& rm -rf
/// /var/lib/apt/lists/*` after the script's last command, when that command ends the script
/// (not inside `if … fi` or a heredoc). Unsafe when a later RUN installs with apt without an
/// `update` of its own: it relied on the lists this RUN left.
fn fix(checker: &Checker, run: &ShellRun) -> Option<Fix> {
    let instruction = &checker.file.instructions[run.index];
    let later_needs_lists = checker.file.instructions[run.index + 1..]
        .iter()
        .filter_map(|later| match &later.kind {
            InstructionKind::Run(later_run) => later_run.shell.as_ref(),
            _ => None,
        })
        .any(|shell| {
            let apt = |actions: &[&str]| {
                invocations(&shell.commands)
                    .any(|(_, i)| i.manager == Manager::Apt && i.is(actions))
            };
            apt(&[
                "install",
                "upgrade",
                "dist-upgrade",
                "full-upgrade",
                "source",
                "build-dep",
            ]) && !apt(&["update"])
        });
    let applicability = if later_needs_lists {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    if checker.uses_buildkit() {
        return Some(Fix {
            message: "keep the package lists in a cache mount".into(),
            applicability,
            edits: vec![Edit::insert(
                instruction.keyword_span.end,
                " --mount=type=cache,target=/var/lib/apt/lists,sharing=locked",
            )],
        });
    }
    let Command::Shell(command) = &run.run.command else {
        return None;
    };
    let shell = run.run.shell.as_ref()?;
    let last = run.commands.last()?;
    let after = Span::new(last.span.end, command.span.end).text(checker.source());
    // Only a comment may follow the last command.
    let after = after.trim();
    if shell.fallback
        || !instruction.heredocs.is_empty()
        || !(after.is_empty() || after.starts_with('#'))
    {
        return None;
    }
    Some(Fix {
        message: "remove the package lists at the end of the RUN".into(),
        applicability,
        edits: vec![Edit::insert(
            last.span.end,
            " && rm -rf /var/lib/apt/lists/*",
        )],
    })
}
