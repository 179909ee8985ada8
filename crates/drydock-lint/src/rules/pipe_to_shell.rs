use drydock_dockerfile::{Connector, SimpleCommand, Span};
use drydock_findings::Severity;

use super::security_helpers::{
    is_download_program, is_interpreter, reads_program_from_stdin, run_segments, runs_inline_code,
    shell_commands,
};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD207",
    name: "pipe-to-shell",
    summary: "A RUN executes code downloaded with curl or wget without verifying it",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports a `RUN` that executes what `curl` or `wget` downloads, without saving and checking it
first:

- `curl … | sh` (also `bash`, `zsh`, `ash`, `dash`, `ksh`, `python`, `perl`, `ruby`, `node`,
  `php`, with `sudo`), `wget -O- … | bash -s -- args`;
- `sh -c "$(curl …)"`, `eval "$(wget -O- …)"`;
- `bash <(curl …)`, `source <(curl …)`.

It does not fire when the interpreter runs something else and only reads the download as data
(`curl … | python3 -c 'import json,sys; …'`, `curl … | sh -c 'tar -x'`, `| bash script.sh`).

## Why is this bad?
The build runs whatever the server returns at that moment, as root: a compromised or hijacked
download (or a truncated one, executed half-way) goes straight into the image, and nothing
records which script was run.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN curl -fsSL https://get.example.com/install.sh | sh
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN curl -fsSLo /tmp/install.sh https://get.example.com/v1.2.3/install.sh \
 && echo "<sha256>  /tmp/install.sh" | sha256sum -c - \
 && sh /tmp/install.sh && rm /tmp/install.sh
```

## How to fix
Download to a file from a versioned URL, verify its checksum (`sha256sum -c`) or signature
(`gpg --verify`), then run it. Better still, install a released, signed package or binary.
"#,
    check,
};

const HELP: &str = "download it to a file, verify its checksum (`echo \"<sha256>  file\" | \
                    sha256sum -c -`) or signature, then run the file";

fn check(checker: &mut Checker) {
    let source = checker.source();
    let mut found: Vec<(Span, String)> = Vec::new();
    for (_, instruction, run) in checker.runs() {
        let commands = shell_commands(run);
        for (i, command) in commands.iter().enumerate() {
            let Some(program) = command.program() else {
                continue;
            };
            if command.connector == Connector::Pipe
                && is_interpreter(program)
                && reads_program_from_stdin(command, program)
                && let Some(downloader) = piped_download(commands, i)
            {
                let span = command.argv().first().map_or(command.span, |w| w.span);
                found.push((
                    span,
                    format!(
                        "`{downloader}` output is piped into `{program}`, which runs the \
                         downloaded code without verifying it"
                    ),
                ));
                continue;
            }
            let runs_code = (is_interpreter(program) && runs_inline_code(command, program))
                || program == "eval";
            if runs_code
                && let Some((word, downloader)) = command
                    .arguments()
                    .iter()
                    .find_map(|w| substituted_download(&w.raw).map(|d| (w, d)))
            {
                found.push((
                    word.span,
                    format!("`{program}` runs the output of `{downloader}` without verifying it"),
                ));
            }
        }
        for (start, text) in run_segments(source, instruction) {
            for (range, interpreter, downloader) in process_substitutions(text) {
                let span = Span::new(start + range.0, start + range.1);
                if found
                    .iter()
                    .any(|(s, _)| s.start <= span.start && span.end <= s.end)
                {
                    continue;
                }
                found.push((
                    span,
                    format!(
                        "`{interpreter}` runs the output of `{downloader}` without verifying it"
                    ),
                ));
            }
        }
    }
    for (span, message) in found {
        checker.report(Diagnostic::new(span, message).help(HELP));
    }
}

/// The download command earlier in the same pipeline as `commands[index]`.
fn piped_download(commands: &[SimpleCommand], index: usize) -> Option<&str> {
    let mut i = index;
    while i > 0 && commands[i].connector == Connector::Pipe {
        i -= 1;
        if let Some(program) = commands[i].program()
            && is_download_program(program)
        {
            return Some(program);
        }
    }
    None
}

/// `$(curl …)` or `` `wget …` `` inside a word: the download program.
fn substituted_download(raw: &str) -> Option<&'static str> {
    for open in ["$(", "`"] {
        let mut rest = raw;
        while let Some(at) = rest.find(open) {
            rest = &rest[at + open.len()..];
            let inner = rest.trim_start();
            for program in ["curl", "wget"] {
                if inner.starts_with(program)
                    && inner[program.len()..].starts_with([' ', '\t', '\n'])
                {
                    return Some(program);
                }
            }
        }
    }
    None
}

/// `bash <(curl …)` / `source <(wget …)` in raw text: the byte range from the interpreter to
/// the download program, the interpreter and the program.
fn process_substitutions(text: &str) -> Vec<((usize, usize), &str, &'static str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("<(") {
        let open = from + at;
        from = open + 2;
        let inner = text[open + 2..].trim_start();
        let Some(downloader) = ["curl", "wget"]
            .into_iter()
            .find(|p| inner.starts_with(p) && inner[p.len()..].starts_with([' ', '\t']))
        else {
            continue;
        };
        let end = text.len() - inner.len() + downloader.len();
        // The command the substitution is an argument of: from the last separator.
        let before = &text[..open];
        let command_start = before
            .rfind(['\n', ';', '|', '&', '(', '{'])
            .map_or(0, |i| i + 1);
        let command = &before[command_start..];
        let Some((offset, word)) = command
            .split_whitespace()
            .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
            .find(|(_, w)| !w.starts_with('-') && !w.contains('=') && *w != "sudo")
        else {
            continue;
        };
        let program = word.rsplit('/').next().unwrap_or(word);
        if is_interpreter(program) || program == "source" || program == "." {
            found.push(((offset, end), program, downloader));
        }
    }
    found
}
