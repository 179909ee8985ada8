use drydock_dockerfile::InstructionKind;
use drydock_findings::Severity;

use super::package_managers::{Manager, invocations, preceding};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3015",
    name: "apt-get-recommends-installed",
    summary: "`apt-get install` also installs recommended packages",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: Some("DL3015"),
    docs: r#"## What it does
Reports `apt-get install` without `--no-install-recommends` (or
`-o APT::Install-Recommends=false`) in a stage that ends up in the image being built. It stays
quiet when an earlier `RUN` of the stage (or a stage it is built `FROM`) writes an
`APT::Install-Recommends` setting into apt's configuration (`/etc/apt/apt.conf*`), or a file is
copied into `/etc/apt/apt.conf.d`: recommends are then already off. Build stages whose files
are not shipped wholesale are not checked: packages installed there do not reach the image.

## Why is this bad?
Debian installs the packages a package *recommends* by default: often tens of megabytes of
documentation tools, fonts or X libraries that a container never uses, each a possible
vulnerability for `drydock scan` to report.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
```

## How to fix
Add `--no-install-recommends`, then add back any recommended package the image needs by name.

## Fix
Safe (`drydock lint --fix`): adds `--no-install-recommends` after `install`.
"#,
    check,
};

/// Whether apt's configuration turns recommends off before instruction `index`.
fn recommends_configured_off(checker: &Checker, index: usize) -> bool {
    preceding(checker, index).any(|instruction| match &instruction.kind {
        InstructionKind::Run(_) => {
            let text = instruction.span.text(checker.source());
            text.contains("Install-Recommends") && text.contains("/etc/apt/apt.conf")
        }
        InstructionKind::Copy(copy) | InstructionKind::Add(copy) => {
            copy.destination.text.starts_with("/etc/apt/apt.conf.d")
        }
        _ => false,
    })
}

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for (index, _, run) in checker.runs() {
        let Some(shell) = &run.shell else { continue };
        if !checker.in_final_image(index) {
            continue;
        }
        for (_, invocation) in invocations(&shell.commands) {
            let off = invocation.has_flag(None, &["no-install-recommends"])
                || invocation.args.iter().any(|word| {
                    word.text
                        .to_ascii_lowercase()
                        .strip_prefix("apt::install-recommends=")
                        .is_some_and(|value| matches!(value, "false" | "0" | "no"))
                });
            if invocation.manager != Manager::Apt
                || !invocation.program.text.ends_with("apt-get")
                || !invocation.is(&["install"])
                || off
            {
                continue;
            }
            if recommends_configured_off(checker, index) {
                break;
            }
            findings.push(
                Diagnostic::new(
                    invocation.head_span(),
                    "`apt-get install` without `--no-install-recommends` also installs the \
                     packages these recommend",
                )
                .help("add `--no-install-recommends`")
                .with_fix(invocation.option_fix("--no-install-recommends")),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
