//! ShellCheck inside RUN: every shell-form RUN script (heredocs included) is written to a file of
//! its own, exactly line for line as in the Dockerfile, and one `shellcheck` process checks all
//! of a Dockerfile's scripts; its findings map back to Dockerfile lines and columns and keep
//! their `SC` codes.
//!
//! Each script file starts with two lines: a `#!` line naming the stage's shell (`/bin/sh`
//! unless `SHELL` says bash, dash or ksh) and an `export` of the ARG and ENV names declared so
//! far in the stage, so ShellCheck does not report them as never assigned. After those, line
//! `n` of the file is line `n - 2` of the script as written in the Dockerfile: continuation
//! escapes become a shell `\` (BuildKit joins such lines, and so does the shell), and comment or
//! blank lines inside a continuation become a lone `\` (BuildKit drops them). Columns are kept by
//! padding the first line with spaces up to where the command starts.

use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_dockerfile::{Dockerfile, Instruction, InstructionKind, Span};
use drydock_findings::Severity;

/// ShellCheck codes never reported (as in hadolint): `source` of files that are not there, and a
/// `let` rule that misfires in scripts run with `sh -c`.
const EXCLUDED: &str = "SC1090,SC1091,SC2187";

/// Lines before the script in each file: the `#!` line and the `export` line.
const PREAMBLE_LINES: usize = 2;

/// The `shellcheck` program.
#[derive(Debug, Clone)]
pub struct ShellCheck {
    program: PathBuf,
}

/// One ShellCheck finding, already located in the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellCheckFinding {
    /// `SC2086`.
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
}

/// A script handed to ShellCheck.
struct Script {
    text: String,
    /// Byte offset of the Dockerfile line that is line 1 of the script.
    first_line: usize,
    /// 1-based Dockerfile line number of that line.
    first_line_number: usize,
}

impl ShellCheck {
    /// `shellcheck` from `PATH`, if installed.
    pub fn find() -> Option<ShellCheck> {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join("shellcheck"))
            .find(|candidate| candidate.is_file())
            .map(|program| ShellCheck { program })
    }

    /// Use the program at `program`.
    pub fn at(program: impl Into<PathBuf>) -> ShellCheck {
        ShellCheck {
            program: program.into(),
        }
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Check every shell-form RUN of `file`. Errors (ShellCheck failed to run or answered
    /// something that is not its JSON) are returned as one sentence.
    pub fn check(&self, file: &Dockerfile) -> Result<Vec<ShellCheckFinding>, String> {
        if declares_non_posix_shell(file) {
            return Ok(Vec::new());
        }
        let scripts = scripts(file);
        if scripts.is_empty() {
            return Ok(Vec::new());
        }
        let dir = tempfile::Builder::new()
            .prefix("drydock-shellcheck-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory for ShellCheck: {e}"))?;
        let mut paths = Vec::with_capacity(scripts.len());
        for (index, script) in scripts.iter().enumerate() {
            let path = dir.path().join(format!("{index}.sh"));
            std::fs::write(&path, &script.text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            paths.push(path);
        }
        let output = Command::new(&self.program)
            .args(["--format=json1", "--exclude", EXCLUDED, "--"])
            .args(&paths)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.program.display()))?;
        // 0: nothing found, 1: findings; anything else is a failure.
        if !matches!(output.status.code(), Some(0 | 1)) {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(format!(
                "ShellCheck failed ({}): {}",
                output.status,
                stderr.lines().next().unwrap_or("").trim()
            ));
        }
        let parsed: Json1 = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("cannot read ShellCheck's output: {e}"))?;
        let mut findings = Vec::with_capacity(parsed.comments.len());
        for comment in parsed.comments {
            let Some(index) = paths
                .iter()
                .position(|p| p.as_os_str() == comment.file.as_str())
            else {
                continue;
            };
            let script = &scripts[index];
            let start = locate(file, script, comment.line, comment.column);
            let end = locate(file, script, comment.end_line, comment.end_column).max(start);
            findings.push(ShellCheckFinding {
                code: format!("SC{}", comment.code),
                severity: match comment.level.as_str() {
                    "error" => Severity::Error,
                    "warning" => Severity::Warning,
                    "info" => Severity::Info,
                    _ => Severity::Style,
                },
                message: comment.message,
                span: Span::new(start, end),
            });
        }
        Ok(findings)
    }
}

/// `# hadolint shell=powershell` (or any shell ShellCheck does not know): no ShellCheck.
fn declares_non_posix_shell(file: &Dockerfile) -> bool {
    file.comments.iter().any(|comment| {
        let text = comment.text(&file.source).trim_start_matches('#').trim();
        text.strip_prefix("hadolint shell=")
            .is_some_and(|shell| dialect(shell.trim()).is_none())
    })
}

/// The ShellCheck dialect of a shell program (`/bin/bash` → `bash`), if it checks that shell.
fn dialect(program: &str) -> Option<&'static str> {
    match program.rsplit('/').next().unwrap_or(program) {
        "sh" => Some("sh"),
        "bash" => Some("bash"),
        "dash" => Some("dash"),
        "ksh" | "mksh" => Some("ksh"),
        _ => None,
    }
}

/// Byte offset in the Dockerfile of 1-based `line`/`column` (characters) of a script file.
fn locate(file: &Dockerfile, script: &Script, line: usize, column: usize) -> usize {
    let Some(script_line) = line.checked_sub(PREAMBLE_LINES + 1) else {
        return script.first_line;
    };
    let Some(start) = file
        .line_index
        .line_start(script.first_line_number + script_line)
    else {
        return file.source.len();
    };
    let rest = &file.source[start..];
    let line_text = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let offset = line_text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    start + offset
}

/// The scripts of the shell-form RUNs, each with its preamble, in file order.
fn scripts(file: &Dockerfile) -> Vec<Script> {
    let mut scripts = Vec::new();
    // Per stage: its name, shell dialect and declared names (a stage built FROM an earlier one
    // starts with that one's).
    let mut stages: Vec<(Option<String>, Option<&'static str>, Vec<String>)> = Vec::new();
    let mut global_args: Vec<String> = Vec::new();
    for instruction in &file.instructions {
        let run = match &instruction.kind {
            InstructionKind::From(from) => {
                let parent = stages
                    .iter()
                    .rev()
                    .find(|(name, _, _)| {
                        name.as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(&from.image.text))
                    })
                    .cloned();
                let name = from.alias.as_ref().map(|alias| alias.text.to_lowercase());
                let (shell, mut names) = match parent {
                    Some((_, shell, names)) => (shell, names),
                    None => (Some("sh"), Vec::new()),
                };
                names.extend(global_args.iter().cloned());
                stages.push((name, shell, names));
                continue;
            }
            InstructionKind::Arg(declarations) => {
                let names = declarations.iter().map(|d| d.name.text.clone());
                match stages.last_mut() {
                    Some(stage) => stage.2.extend(names),
                    None => global_args.extend(names),
                }
                continue;
            }
            InstructionKind::Env(pairs) => {
                if let Some(stage) = stages.last_mut() {
                    stage
                        .2
                        .extend(pairs.iter().map(|pair| pair.key.text.clone()));
                }
                continue;
            }
            InstructionKind::Shell(words) => {
                if let Some(stage) = stages.last_mut() {
                    stage.1 = words.first().and_then(|word| dialect(&word.text));
                }
                continue;
            }
            InstructionKind::Run(_) => instruction,
            InstructionKind::Onbuild(inner) if matches!(inner.kind, InstructionKind::Run(_)) => {
                inner
            }
            _ => continue,
        };
        let (shell, names) = match stages.last() {
            Some((_, shell, names)) => (*shell, names.as_slice()),
            None => (Some("sh"), global_args.as_slice()),
        };
        if let Some(script) = shell.and_then(|shell| script(file, run, shell, names)) {
            scripts.push(script);
        }
    }
    scripts
}

/// The script file for one RUN, or `None` when it is not a shell script.
fn script(
    file: &Dockerfile,
    run_instruction: &Instruction,
    shell: &'static str,
    names: &[String],
) -> Option<Script> {
    let InstructionKind::Run(run) = &run_instruction.kind else {
        return None;
    };
    run.shell.as_ref()?;
    let drydock_dockerfile::Command::Shell(command) = &run.command else {
        return None;
    };
    let source = file.source.as_str();
    let heredocs = &run_instruction.heredocs;
    let (mut text, first_line, shell) = match run.script_heredoc.and_then(|i| heredocs.get(i)) {
        Some(heredoc) => {
            let body = heredoc.body_span.text(source);
            // A `#!` line of the body names the shell (it is line 1 of the script, so the
            // preamble's own `#!` line comes first and the body's is a comment).
            let shell = body
                .strip_prefix("#!")
                .and_then(|line| {
                    let mut words = line.lines().next().unwrap_or("").split_whitespace();
                    let program = words.next()?;
                    if program.ends_with("/env") {
                        dialect(words.next()?)
                    } else {
                        dialect(program)
                    }
                })
                .unwrap_or(shell);
            (body.to_owned(), heredoc.body_span.start, shell)
        }
        None => {
            let span = command.span;
            let line_start = source[..span.start].rfind('\n').map_or(0, |i| i + 1);
            let mut text = String::with_capacity(span.len() + 64);
            let padding = source[line_start..span.start].chars().count();
            text.extend(std::iter::repeat_n(' ', padding));
            let mut first = true;
            let mut at = span.start;
            while at < span.end.max(span.start + 1) && at < source.len() {
                let end = source[at..].find('\n').map_or(source.len(), |i| at + i);
                let line = source[at..end].trim_end_matches('\r');
                let trimmed = line.trim_start();
                if !first && (trimmed.is_empty() || trimmed.starts_with('#')) {
                    text.push('\\');
                } else {
                    let (kept, continues) = strip_continuation(line, file.escape);
                    text.push_str(&line[..kept]);
                    if continues {
                        text.push('\\');
                    }
                }
                text.push('\n');
                first = false;
                at = end + 1;
            }
            if let (Some(first), Some(last)) = (heredocs.first(), heredocs.last()) {
                text.push_str(
                    Span::new(first.body_span.start, last.terminator_span.end).text(source),
                );
                text.push('\n');
            }
            (text, line_start, shell)
        }
    };
    let mut preamble = format!("#!/bin/{shell}\n");
    if !names.is_empty() {
        preamble.push_str("export");
        for name in names {
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                preamble.push(' ');
                preamble.push_str(name);
            }
        }
    }
    preamble.push('\n');
    text.insert_str(0, &preamble);
    Some(Script {
        text,
        first_line,
        first_line_number: file.line_index.line_column(source, first_line).0,
    })
}

/// BuildKit's continuation test: the line ends with the escape character (then only spaces or
/// tabs), not preceded by another escape. Returns the kept length and whether it continues.
fn strip_continuation(line: &str, escape: char) -> (usize, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    let Some(before) = trimmed.strip_suffix(escape) else {
        return (line.len(), false);
    };
    match before.chars().next_back() {
        None => (0, true),
        Some(c) if c == escape => (line.len(), false),
        Some(_) => (before.len(), true),
    }
}

/// ShellCheck's `json1` output.
#[derive(serde::Deserialize)]
struct Json1 {
    comments: Vec<Json1Comment>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Json1Comment {
    file: String,
    line: usize,
    end_line: usize,
    column: usize,
    end_column: usize,
    level: String,
    code: u32,
    message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script_text(source: &str) -> String {
        let file = drydock_dockerfile::parse(source);
        scripts(&file)
            .into_iter()
            .map(|s| s.text)
            .collect::<Vec<_>>()
            .join("---\n")
    }

    #[test]
    fn continuations_and_comments_keep_lines_and_columns() {
        let source = "FROM a\nARG version\nRUN --network=none apt-get install \\\n  # note\n\n    curl=$version\n";
        assert_eq!(
            script_text(source),
            "#!/bin/sh\nexport version\n                   apt-get install \\\n\\\n\\\n    curl=$version\n"
        );
    }

    #[test]
    fn backtick_escape_becomes_a_shell_continuation() {
        let source = "# escape=`\nFROM a\nRUN echo a `\n  b\n";
        assert_eq!(script_text(source), "#!/bin/sh\n\n    echo a \\\n  b\n");
    }

    #[test]
    fn heredocs_and_shells() {
        let source = "FROM a AS base\nSHELL [\"/bin/bash\", \"-c\"]\nENV X=1\nRUN <<EOF\necho $X\nEOF\nFROM base\nRUN cat <<EOF > /f\nhi\nEOF\nFROM b\nSHELL [\"pwsh\", \"-c\"]\nRUN Write-Host\n";
        assert_eq!(
            script_text(source),
            "#!/bin/bash\nexport X\necho $X\n---\n#!/bin/bash\nexport X\n    cat <<EOF > /f\nhi\nEOF\n"
        );
    }
}
