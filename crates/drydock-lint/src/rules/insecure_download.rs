use drydock_dockerfile::{ShellWord, SimpleCommand, Span};
use drydock_findings::Severity;

use super::security_helpers::{
    AddSource, adds, classify_add_source, find_in, shell_commands, urls,
};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD208",
    name: "insecure-download",
    summary: "A download uses plain http://",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports plain `http://` URLs fetched by `curl`, `wget`, `git clone`, pip's `--index-url`,
`--extra-index-url` and `--find-links` in a `RUN`, and by `ADD`.

It does not fire for loopback hosts (`localhost`, `127.0.0.1`, `[::1]`), for hosts given by a
variable, for proxy settings (`curl -x http://proxy:3128`), for a `RUN` that verifies what it
downloaded (`sha256sum -c`, `sha512sum -c`, `shasum -c`, `gpg --verify`), nor for apt sources
(`deb http://mirror.example.test/…`): apt verifies the repository's signed `Release` file and every
package's hash against it, so plain HTTP there only hides nothing but which packages you fetch.

## Why is this bad?
Anyone on the network path (a compromised Wi-Fi, proxy or router between the builder and the
server) can replace the file, and the build runs or ships it.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN curl -fsSLo /usr/local/bin/tool http://downloads.example.com/tool-1.2.3
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN curl -fsSLo /usr/local/bin/tool https://downloads.example.com/tool-1.2.3
```

## How to fix
Use `https://`. If the server has no TLS, verify the file with a checksum or signature you got
over a trusted channel.
"#,
    check,
};

const HELP: &str = "use `https://`, or verify the file against a checksum or signature obtained \
                    over a trusted channel";

fn check(checker: &mut Checker) {
    let source = checker.source();
    let mut found: Vec<(Span, String)> = Vec::new();
    for (_, _, run) in checker.runs() {
        let commands = shell_commands(run);
        if commands.iter().any(verifies) {
            continue;
        }
        for command in commands {
            let Some(program) = command.program() else {
                continue;
            };
            let arguments = command.arguments();
            let candidates: Vec<&ShellWord> = match program {
                "curl" | "wget" => arguments
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| {
                        i.checked_sub(1).is_none_or(|p| {
                            !matches!(
                                arguments[p].text.as_str(),
                                "-x" | "--proxy"
                                    | "--preproxy"
                                    | "-e"
                                    | "--execute"
                                    | "-H"
                                    | "--header"
                                    | "--referer"
                            )
                        })
                    })
                    .map(|(_, w)| w)
                    .collect(),
                "git" if command.subcommand() == Some("clone") => command.positional().collect(),
                "pip" | "pip3" | "uv" | "pipenv" => pip_index_urls(command),
                _ if program.starts_with("python") || program.starts_with("pip") => {
                    pip_index_urls(command)
                }
                _ => Vec::new(),
            };
            for word in candidates {
                let text = word.text.as_str();
                let text = text
                    .strip_prefix("--url=")
                    .or_else(|| {
                        text.split_once('=')
                            .filter(|(k, _)| k.starts_with("--"))
                            .map(|(_, v)| v)
                    })
                    .unwrap_or(text);
                let Some(url) = urls(text).next() else {
                    continue;
                };
                if url.range.0 != 0
                    || !url.is_plain_http()
                    || url.is_loopback()
                    || url.host_is_variable()
                {
                    continue;
                }
                let span = find_in(source, word.span, url.text).unwrap_or(word.span);
                found.push((
                    span,
                    format!(
                        "`{}` downloads `{}` over plain HTTP, which anyone on the network path \
                         can tamper with",
                        what(program),
                        drydock_secrets::redact_text(url.text)
                    ),
                ));
            }
        }
    }
    for add in adds(checker) {
        if add.instruction.flag("checksum").is_some() {
            continue;
        }
        for (word, text) in &add.sources {
            if !matches!(classify_add_source(text), AddSource::Url | AddSource::Git) {
                continue;
            }
            let Some(url) = urls(text).next() else {
                continue;
            };
            if url.range.0 != 0
                || !url.is_plain_http()
                || url.is_loopback()
                || url.host_is_variable()
            {
                continue;
            }
            found.push((
                word.span,
                format!(
                    "`ADD` downloads `{}` over plain HTTP, which anyone on the network path can \
                     tamper with",
                    drydock_secrets::redact_text(url.text)
                ),
            ));
        }
    }
    for (span, message) in found {
        checker.report(Diagnostic::new(span, message).help(HELP));
    }
}

fn what(program: &str) -> String {
    match program {
        "git" => "git clone".to_owned(),
        "curl" | "wget" => program.to_owned(),
        _ => format!("{program} --index-url"),
    }
}

/// The values of pip's index and find-links options.
fn pip_index_urls(command: &SimpleCommand) -> Vec<&ShellWord> {
    const NAMES: [&str; 5] = [
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
    ];
    let arguments = command.arguments();
    let mut found = Vec::new();
    for (i, word) in arguments.iter().enumerate() {
        let t = word.text.as_str();
        if NAMES.contains(&t) {
            if let Some(value) = arguments.get(i + 1) {
                found.push(value);
            }
        } else if t
            .split_once('=')
            .is_some_and(|(name, _)| NAMES.contains(&name))
        {
            found.push(word);
        }
    }
    found
}

/// Whether a command checks a download: `sha256sum -c`, `shasum -c`, `gpg --verify`, `gpgv`.
fn verifies(command: &SimpleCommand) -> bool {
    match command.program() {
        Some("sha256sum" | "sha384sum" | "sha512sum" | "shasum" | "b2sum") => {
            command.has_flag(Some('c'), Some("check"))
        }
        Some("gpg" | "gpg2") => command.has_flag(None, Some("verify")),
        Some("gpgv" | "cosign" | "minisign" | "signify") => true,
        _ => false,
    }
}
