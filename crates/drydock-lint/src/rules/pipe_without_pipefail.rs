use drydock_dockerfile::{Base, Connector, InstructionKind, SimpleCommand, Word};
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD4006",
    name: "pipe-without-pipefail",
    summary: "`RUN` with a pipe, without `pipefail`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL4006"),
    docs: r#"## What it does
Reports a shell-form `RUN` (or shell heredoc) with a pipe `|` when the shell does not run with
`pipefail`: no `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` (or zsh, ash) in effect for the
stage, and no `set -o pipefail` earlier in the script itself. A `SHELL` set in a stage carries
over to the stages built `FROM` it. A `SHELL` that is not POSIX (PowerShell, `cmd`) ends the
check for the stage.

## Why is this bad?
A pipeline's exit status is that of its last command: in `curl -fsSL URL | tar -xz`, a failed
download still gives a successful step (tar reads nothing), and the build goes on with a
missing or truncated file.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN curl -fsSL https://downloads.example.test/tool.tgz | tar -xz -C /opt
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL https://downloads.example.test/tool.tgz | tar -xz -C /opt
```

## How to fix
Set `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the `RUN` (`/bin/ash` on Alpine), or
start the script with `set -o pipefail`.
"#,
    check,
};

fn program_name(text: &str) -> &str {
    text.rsplit(['/', '\\']).next().unwrap_or(text)
}

/// Whether a `SHELL` runs scripts with pipefail (or is not a POSIX shell, where the question
/// does not arise).
fn shell_is_safe(words: &[Word]) -> bool {
    let Some(program) = words.first().map(|word| program_name(&word.text)) else {
        return false;
    };
    let program = program.to_ascii_lowercase();
    if ["pwsh", "powershell", "cmd"]
        .iter()
        .any(|name| program.starts_with(name))
    {
        return true;
    }
    let sets_o = words.iter().any(|word| {
        word.text.starts_with('-') && !word.text.starts_with("--") && word.text.contains('o')
    });
    matches!(program.as_str(), "bash" | "zsh" | "ash")
        && sets_o
        && words.iter().any(|word| word.text == "pipefail")
}

/// Whether `command` is `set -o pipefail` (or `set -euo pipefail`).
fn sets_pipefail(command: &SimpleCommand) -> bool {
    command.program() == Some("set")
        && command.has_flag(Some('o'), None)
        && command
            .arguments()
            .iter()
            .any(|word| word.text == "pipefail")
}

fn check(checker: &mut Checker) {
    let graph = checker.graph;
    let mut findings = Vec::new();
    // Whether pipefail is on at the end of each stage, for the stages built FROM it.
    let mut stage_safe = vec![false; graph.stages.len()];
    for (stage_index, stage) in graph.stages.iter().enumerate() {
        let mut safe = match stage.base {
            Base::Stage(parent) if parent < stage_index => stage_safe[parent],
            _ => false,
        };
        for instruction in checker.stage_instructions(stage) {
            match &instruction.kind {
                InstructionKind::Shell(words) => safe = shell_is_safe(words),
                InstructionKind::Run(run) if !safe => {
                    let Some(shell) = &run.shell else { continue };
                    let commands = &shell.commands;
                    let set_at = commands.iter().position(sets_pipefail);
                    let pipe = commands.iter().enumerate().find(|(position, command)| {
                        command.connector == Connector::Pipe
                            && set_at.is_none_or(|set| set > *position)
                    });
                    if let Some((position, command)) = pipe {
                        let span = commands[position.saturating_sub(1)]
                            .span
                            .cover(command.span);
                        findings.push(
                            Diagnostic::new(
                                span,
                                "this pipeline succeeds when a command before the last `|` \
                                 fails: the shell runs without `pipefail`",
                            )
                            .help(
                                "set `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before \
                                 this `RUN`, or start the script with `set -o pipefail`",
                            ),
                        );
                    }
                }
                _ => {}
            }
        }
        stage_safe[stage_index] = safe;
    }
    for finding in findings {
        checker.report(finding);
    }
}
