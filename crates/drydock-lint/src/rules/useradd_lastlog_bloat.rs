use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3046",
    name: "useradd-lastlog-bloat",
    summary: "`useradd` with a high UID and without `-l`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3046"),
    docs: r#"## What it does
Reports `useradd -u <uid>` with a UID of six digits or more and without `-l`/`--no-log-init`
(also in `ONBUILD` triggers).

## Why is this bad?
`useradd` reserves an entry for the user in `/var/log/lastlog` and `/var/log/faillog`, files
indexed by UID. With a high UID they become sparse files of gigabytes, which image layers
store in full: the image grows by the size of the UID.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN useradd -u 1000000 app
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN useradd --no-log-init -u 1000000 app
```

## How to fix
Add `-l` (`--no-log-init`), or use a UID below 100000.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for (_, _, run) in checker.runs() {
        let Some(shell) = &run.shell else { continue };
        for command in &shell.commands {
            if command.program() != Some("useradd")
                || command.has_flag(Some('l'), Some("no-log-init"))
            {
                continue;
            }
            let Some(uid) = command.option_value(&["-u", "--uid"]) else {
                continue;
            };
            if uid.len() > 5 {
                findings.push(
                    Diagnostic::new(
                        command.span,
                        format!(
                            "`useradd -u {uid}` without `-l` writes lastlog and faillog files \
                             sized by the UID into the layer"
                        ),
                    )
                    .help("add `--no-log-init` (`-l`)"),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
