use drydock_dockerfile::{Connector, Instruction, ShellWord, SimpleCommand, Span};
use drydock_findings::Severity;

use super::security_helpers::{option_word, shell_commands, sole_variable};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD211",
    name: "password-set-in-run",
    summary: "A RUN sets or removes a login password in the image",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports commands in a `RUN` of the image being built (the final stage and the stages it is built
`FROM`) that set or remove a login password:

- `chpasswd` (`echo 'root:…' | chpasswd`, `chpasswd < file`, `chpasswd -e`);
- `passwd` reading a new password (`echo … | passwd --stdin app`, `passwd app`), and
  `passwd -d` (deletes the password);
- `usermod -p|--password <hash>` and `useradd -p|--password <hash>`, including an empty value.

Locking an account is the safe form and is not reported: `passwd -l`, `usermod -L`,
`usermod -p '*'` or `-p '!…'`, `useradd` without `-p`. Passwords set in build stages that do
not ship are not reported. The password text fed to the command is masked in drydock's output
(in every stage).

Also reported by Checkov as CKV2_DOCKER_17 (`chpasswd`); the empty password is what dockle
reports on a built image as DKL-LI-0001.

## Why is this bad?
A password set at build time is the same in every container started from the image, and its
hash ships in `/etc/shadow` of the layer, where anyone who pulls the image can try to crack it
offline; when written in the Dockerfile it is also in the image history. A deleted password
lets the account log in with none. Passwords only matter to an SSH or login service inside the
container, which containers should not run.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN useradd --create-home app && echo 'app:changeme' | chpasswd
USER app
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN useradd --create-home app
USER app
```

## How to fix
Remove the command: a user created with `useradd` (without `-p`) or `adduser --disabled-password`
has a locked password, which is what a container needs; lock existing accounts with
`passwd -l <user>`. Get a shell with `docker exec` or `kubectl exec`, which need no password.
"#,
    check,
};

const HELP: &str = "remove it and leave the account locked (`useradd` without `-p`, `passwd -l \
                    <user>`); open a shell with `docker exec` or `kubectl exec`, which need no \
                    password";

fn check(checker: &mut Checker) {
    let source = checker.source();
    let mut found = Vec::new();
    let mut secrets = Vec::new();
    for (index, instruction, run) in checker.runs() {
        // Passwords are masked in every stage; only those in the image are reported.
        let reported = checker.in_final_image(index);
        let commands = shell_commands(run);
        for (position, command) in commands.iter().enumerate() {
            let Some(setting) = password_setting(command) else {
                continue;
            };
            // What the command reads the password from: a heredoc, or `echo`/`printf` piped in.
            if setting.reads_stdin {
                let feeder = (command.connector == Connector::Pipe)
                    .then(|| position.checked_sub(1).map(|i| &commands[i]))
                    .flatten()
                    .filter(|c| matches!(c.program(), Some("echo" | "printf")));
                if let Some(feeder) = feeder {
                    for word in feeder
                        .arguments()
                        .iter()
                        .filter(|w| !w.text.starts_with('-'))
                    {
                        secrets.extend(password_part(source, word.span, setting.user_colon));
                    }
                }
                if let Some(body) = command
                    .stdin_heredoc
                    .and_then(|k| stdin_heredoc_body(source, instruction, command, k))
                {
                    secrets.extend(password_lines(source, body, setting.user_colon));
                }
            }
            if let Some(value) = setting.value
                && sole_variable(&value.raw).is_none()
            {
                secrets.push(value_span(source, value, setting.word));
            }
            if reported {
                found.push(Diagnostic::new(setting.word.span, setting.message).help(HELP));
            }
        }
    }
    for span in secrets {
        checker.mark_secret(span);
    }
    for diagnostic in found {
        checker.report(diagnostic);
    }
}

/// A command that sets or removes a password.
struct Setting<'a> {
    /// The word to point at.
    word: &'a ShellWord,
    message: String,
    /// The password comes from standard input.
    reads_stdin: bool,
    /// Standard input holds `user:password` lines (chpasswd), not bare passwords.
    user_colon: bool,
    /// The password (or hash) given as an argument.
    value: Option<&'a ShellWord>,
}

fn password_setting(command: &SimpleCommand) -> Option<Setting<'_>> {
    let program = command.program()?;
    let word = command.argv().first()?;
    match program {
        "chpasswd" => Some(Setting {
            word,
            message: "`chpasswd` sets a login password, which is the same in every container \
                      and whose hash ships in the image's `/etc/shadow`"
                .to_owned(),
            reads_stdin: true,
            user_colon: true,
            value: None,
        }),
        "passwd" => passwd_setting(command, word),
        "usermod" | "useradd" => {
            let (option, value, value_word) = option_word(command, &["-p", "--password"])?;
            if is_lock_value(value) {
                return None;
            }
            let what = if value.is_empty() {
                "sets an empty password, so the account logs in without one"
            } else {
                "sets a login password, which is the same in every container and whose hash \
                 ships in the image's `/etc/shadow`"
            };
            let shown = option.text.split_once('=').map_or(
                if option.text.starts_with("--") {
                    "--password"
                } else {
                    "-p"
                },
                |(name, _)| name,
            );
            Some(Setting {
                word: option,
                message: format!("`{program} {shown}` {what}"),
                reads_stdin: false,
                user_colon: false,
                value: (!value.is_empty()).then_some(value_word),
            })
        }
        _ => None,
    }
}

/// `passwd` that deletes a password or reads a new one (not lock, expiry or status options).
fn passwd_setting<'a>(command: &'a SimpleCommand, word: &'a ShellWord) -> Option<Setting<'a>> {
    let mut deletes = None;
    for arg in command.arguments() {
        let t = arg.text.as_str();
        if t == "--" {
            break;
        }
        let keeps_password = match t.strip_prefix("--") {
            Some(long) => {
                if long == "delete" {
                    deletes = Some(arg);
                }
                matches!(
                    long.split_once('=').map_or(long, |(name, _)| name),
                    "lock"
                        | "unlock"
                        | "expire"
                        | "status"
                        | "all"
                        | "mindays"
                        | "maxdays"
                        | "warndays"
                        | "inactive"
                        | "help"
                        | "keep-tokens"
                )
            }
            None => match t.strip_prefix('-') {
                Some(letters) => {
                    if letters.contains('d') {
                        deletes = Some(arg);
                    }
                    letters.contains(['l', 'u', 'e', 'S', 'n', 'x', 'w', 'i', 'h'])
                }
                None => false,
            },
        };
        if keeps_password && deletes.is_none() {
            return None;
        }
    }
    Some(match deletes {
        Some(option) => Setting {
            word: option,
            message: format!(
                "`passwd {}` deletes the password, so the account may log in without one",
                option.text
            ),
            reads_stdin: false,
            user_colon: false,
            value: None,
        },
        None => Setting {
            word,
            message: "`passwd` sets a login password, which is the same in every container and \
                      whose hash ships in the image's `/etc/shadow`"
                .to_owned(),
            reads_stdin: true,
            user_colon: false,
            value: None,
        },
    })
}

/// A `usermod -p`/`useradd -p` value that locks the account (`*`, `!`, `!!`, `!<hash>`).
fn is_lock_value(value: &str) -> bool {
    value.starts_with('!') || value == "*" || value == "x"
}

/// Where the value of `-p <value>`, `-p<value>` or `--password=<value>` is written.
fn value_span(source: &str, value: &ShellWord, option: &ShellWord) -> Span {
    if value.span != option.span {
        return value.span;
    }
    let text = option.span.text(source);
    let at = if text.starts_with("--") {
        text.find('=').map_or(text.len(), |i| i + 1)
    } else {
        2.min(text.len())
    };
    Span::new(option.span.start + at, option.span.end)
}

/// The body of the heredoc `command` reads as standard input: heredoc `index` of the
/// instruction for a command on the instruction's line, or, for a command inside a heredoc
/// script (whose heredocs are part of that script), the lines after the command up to the
/// delimiter.
fn stdin_heredoc_body(
    source: &str,
    instruction: &Instruction,
    command: &SimpleCommand,
    index: usize,
) -> Option<Span> {
    let Some(script) = instruction
        .heredocs
        .iter()
        .map(|h| h.body_span)
        .find(|body| body.start <= command.span.start && command.span.end <= body.end)
    else {
        return instruction.heredocs.get(index).map(|h| h.body_span);
    };
    let text = Span::new(command.span.start, script.end).text(source);
    let line_end = text.find('\n')?;
    let operator = text[..line_end].find("<<")?;
    let delimiter = text[operator + 2..line_end]
        .trim_start_matches('-')
        .trim_start()
        .split(|c: char| c.is_whitespace() || c == ';' || c == '|' || c == '&')
        .next()?
        .trim_matches(['"', '\'']);
    if delimiter.is_empty() {
        return None;
    }
    let body_start = line_end + 1;
    let mut offset = body_start;
    for line in text[body_start..].split_inclusive('\n') {
        if line.trim() == delimiter {
            break;
        }
        offset += line.len();
    }
    Some(Span::new(
        command.span.start + body_start,
        command.span.start + offset,
    ))
}

/// The password part of an `echo`/`printf` argument: after the first `:` for `user:password`
/// input, else all of it.
fn password_part(source: &str, span: Span, user_colon: bool) -> Option<Span> {
    let text = span.text(source);
    if !user_colon {
        return Some(span);
    }
    let colon = text.find(':')?;
    Some(Span::new(span.start + colon + 1, span.end))
}

/// The password parts of each line of a heredoc body.
fn password_lines(source: &str, body: Span, user_colon: bool) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut start = body.start;
    for line in body.text(source).split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let line_span = Span::new(start, start + content.len());
        start += line.len();
        if content.is_empty() {
            continue;
        }
        spans.extend(password_part(source, line_span, user_colon));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::is_lock_value;

    #[test]
    fn lock_values() {
        for value in ["*", "!", "!!", "!$6$salt$hash"] {
            assert!(is_lock_value(value), "{value}");
        }
        for value in ["", "$6$salt$hash", "secret"] {
            assert!(!is_lock_value(value), "{value}");
        }
    }
}
