use drydock_findings::Severity;

use super::package_managers::{
    APT_LISTS, Manager, invocations, mount_covers, removes_after, shell_runs,
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
            findings.push(
                Diagnostic::new(invocation.head_span(), message)
                    .help("end this `RUN` with `&& rm -rf /var/lib/apt/lists/*`"),
            );
            break;
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
