use drydock_dockerfile::{InstructionKind, ShellWord, SimpleCommand, Span};
use drydock_findings::Severity;

use super::security_helpers::{
    assignments, run_segments, shell_commands, unquote_once, unwrap_onbuild,
};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD209",
    name: "tls-verification-disabled",
    summary: "TLS certificate or package signature verification is turned off",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports constructs that turn off TLS certificate checks or package signature checks:

- `curl -k`/`--insecure`, `wget --no-check-certificate`;
- pip `--trusted-host`, `pip config set global.trusted-host`, `PIP_TRUSTED_HOST`;
- `git -c http.sslVerify=false`, `git config http.sslVerify false`, `GIT_SSL_NO_VERIFY`;
- `NODE_TLS_REJECT_UNAUTHORIZED=0`, `PYTHONHTTPSVERIFY=0`;
- `npm|yarn|pnpm config set strict-ssl false`, `--strict-ssl=false`, `NPM_CONFIG_STRICT_SSL=false`;
- `apk --allow-untrusted` (not for local `.apk` files built earlier in the build);
- `apt-get --allow-unauthenticated`, `--force-yes`, `--allow-insecure-repositories`,
  `-o Acquire::AllowInsecureRepositories=true` and similar options, `[trusted=yes]` in apt sources
  written by a `RUN` (not for local `file:` repositories of packages built in the same `RUN`);
- `yum|dnf|microdnf|tdnf --nogpgcheck`, `zypper --no-gpg-checks`, `sslverify=0|false` written by
  a `RUN`;
- `rpm --nosignature|--nodigest|--noverify|--nofiledigest`.

Variables count when set with `ENV`, `ARG` defaults, or in a `RUN` (`export X=…`,
`X=… command`).

## Why is this bad?
Without verification, anyone on the network path (or a compromised mirror) can serve modified
packages and files, and the build installs them.

## Example
```dockerfile
FROM python:3.12-slim
RUN pip install --trusted-host pypi.example.com -r requirements.txt
```

Use instead:
```dockerfile
FROM python:3.12-slim
COPY corp-ca.crt /usr/local/share/ca-certificates/
RUN update-ca-certificates \
 && pip install --cert /etc/ssl/certs/ca-certificates.crt -r requirements.txt
```

## How to fix
Remove the option. When a server uses a private certificate authority, trust that CA instead
(install it and run `update-ca-certificates`, or point the tool at it: `curl --cacert`,
`pip --cert`, `npm config set cafile`, `git config http.sslCAInfo`); for unsigned packages,
import the vendor's signing key.
"#,
    check,
};

const HELP: &str = "remove it; to trust a private certificate authority, install its certificate \
                    (`update-ca-certificates`) or point the tool at it (`--cacert`, `pip --cert`, \
                    `npm config set cafile`, `git config http.sslCAInfo`); for packages, import \
                    the signing key";

fn check(checker: &mut Checker) {
    let source = checker.source();
    let mut found: Vec<(Span, String)> = Vec::new();
    for outer in &checker.file.instructions {
        let instruction = unwrap_onbuild(outer);
        match &instruction.kind {
            InstructionKind::Env(pairs) => {
                for pair in pairs {
                    if let Some(what) =
                        disabling_variable(&pair.key.text, unquote_once(&pair.value.text))
                    {
                        push(
                            &mut found,
                            pair.key.span.cover(pair.value.span),
                            format!("`ENV {what}`"),
                        );
                    }
                }
            }
            InstructionKind::Arg(declarations) => {
                for declaration in declarations {
                    let Some(default) = &declaration.default else {
                        continue;
                    };
                    if let Some(what) =
                        disabling_variable(&declaration.name.text, unquote_once(&default.text))
                    {
                        push(
                            &mut found,
                            declaration.name.span.cover(default.span),
                            format!("`ARG {what}`"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    for (_, instruction, run) in checker.runs() {
        for command in shell_commands(run) {
            for (name, value, word) in assignments(command) {
                if let Some(what) = disabling_variable(name, value) {
                    push(&mut found, word.span, format!("`{what}`"));
                }
            }
            if let Some((word, what)) = disabling_option(command) {
                push(&mut found, word.span, what);
            }
        }
        for (start, text) in run_segments(source, instruction) {
            for (range, what) in disabling_text(text) {
                push(
                    &mut found,
                    Span::new(start + range.0, start + range.1),
                    what,
                );
            }
        }
    }
    for (span, what) in found {
        checker.report(
            Diagnostic::new(span, format!("{what} turns off {}", kind_of(&what))).help(HELP),
        );
    }
}

/// Adds a finding unless one overlapping it is already there.
fn push(found: &mut Vec<(Span, String)>, span: Span, what: String) {
    if found
        .iter()
        .any(|(s, _)| s.start < span.end && span.start < s.end)
    {
        return;
    }
    found.push((span, what));
}

/// What a construct disables, for the message.
fn kind_of(what: &str) -> &'static str {
    let lower = what.to_ascii_lowercase();
    if [
        "gpg",
        "signature",
        "digest",
        "noverify",
        "untrusted",
        "unauthenticated",
        "force-yes",
        "trusted=yes",
        "insecurerepositories",
    ]
    .iter()
    .any(|word| lower.contains(word))
    {
        "package signature verification, so tampered packages are installed"
    } else {
        "TLS certificate verification, so anyone on the network path can serve tampered content"
    }
}

fn is_false(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "false" | "0" | "no" | "off"
    )
}

/// `NAME=value` that disables verification: the construct as written.
fn disabling_variable(name: &str, value: &str) -> Option<String> {
    let upper = name.to_ascii_uppercase();
    let disables = match upper.as_str() {
        "GIT_SSL_NO_VERIFY" => !value.is_empty() && !is_false(value),
        "NODE_TLS_REJECT_UNAUTHORIZED" | "PYTHONHTTPSVERIFY" => value == "0",
        "NPM_CONFIG_STRICT_SSL" | "YARN_STRICT_SSL" => is_false(value),
        "PIP_TRUSTED_HOST" => !value.is_empty(),
        _ => false,
    };
    disables.then(|| format!("{name}={value}"))
}

/// A command-line option that disables verification: the word and the construct.
fn disabling_option(command: &SimpleCommand) -> Option<(&ShellWord, String)> {
    let program = command.program()?;
    let arguments = command.arguments();
    let find = |names: &[&str]| {
        arguments.iter().find(|w| {
            let t = w.text.as_str();
            names
                .iter()
                .any(|n| t == *n || t.strip_prefix(n).is_some_and(|rest| rest.starts_with('=')))
        })
    };
    let named = |word: &ShellWord| {
        let t = word.text.as_str();
        let shown = t.split_once('=').map_or(t, |(n, _)| n);
        format!("`{program} {shown}`")
    };
    // pip-like tools: any program taking `--trusted-host`.
    if let Some(word) = find(&["--trusted-host"]) {
        return Some((word, format!("`{program} --trusted-host`")));
    }
    match program {
        "curl" => {
            if let Some(word) = find(&["--insecure"]) {
                return Some((word, named(word)));
            }
            arguments
                .iter()
                .take_while(|w| w.text != "--")
                .find(|w| curl_short_k(&w.text))
                .map(|w| (w, format!("`curl {}`", w.text)))
        }
        "wget" => find(&["--no-check-certificate"]).map(|w| (w, named(w))),
        // Local packages built earlier in the build (`apk add --allow-untrusted /tmp/x.apk`)
        // are not fetched from anywhere.
        "apk" => find(&["--allow-untrusted"])
            .filter(|_| {
                !arguments
                    .iter()
                    .filter(|w| !w.text.starts_with('-') && w.text != "add")
                    .all(|w| w.text.starts_with('/') && w.text.ends_with(".apk"))
            })
            .map(|w| (w, named(w))),
        "apt-get" | "apt" | "aptitude" => {
            if let Some(word) = find(&[
                "--allow-unauthenticated",
                "--force-yes",
                "--allow-insecure-repositories",
                "--allow-downgrade-to-insecure-repositories",
            ]) {
                return Some((word, named(word)));
            }
            arguments
                .iter()
                .find(|w| apt_insecure_option(&w.text))
                .map(|w| {
                    (
                        w,
                        format!("`{program} -o {}`", w.text.trim_start_matches("-o")),
                    )
                })
        }
        "yum" | "dnf" | "microdnf" | "tdnf" => {
            if let Some(word) = find(&["--nogpgcheck", "--no-gpgchecks"]) {
                return Some((word, named(word)));
            }
            arguments
                .iter()
                .find(|w| sslverify_off(&w.text).is_some())
                .map(|w| (w, format!("`{program} {}`", w.text)))
        }
        "zypper" => find(&["--no-gpg-checks"]).map(|w| (w, named(w))),
        "rpm" => find(&[
            "--nosignature",
            "--nodigest",
            "--noverify",
            "--nofiledigest",
        ])
        .map(|w| (w, named(w))),
        "git" => git_ssl_off(command).map(|w| (w, format!("`git {}`", git_shown(command, w)))),
        "npm" | "yarn" | "pnpm" => {
            if let Some(word) = arguments.iter().find(|w| {
                w.text == "--no-strict-ssl" || w.text.eq_ignore_ascii_case("--strict-ssl=false")
            }) {
                return Some((word, named(word)));
            }
            let positional: Vec<&ShellWord> = arguments
                .iter()
                .filter(|w| !w.text.starts_with('-'))
                .collect();
            let set = positional.iter().position(|w| w.text == "set")?;
            let key_word = positional.get(set + 1)?;
            let (key, value) = match key_word.text.split_once('=') {
                Some((key, value)) => (key, value),
                None => (
                    key_word.text.as_str(),
                    positional.get(set + 2)?.text.as_str(),
                ),
            };
            let key_lower = key.to_ascii_lowercase();
            (matches!(key_lower.as_str(), "strict-ssl" | "enablestrictssl") && is_false(value))
                .then(|| (*key_word, format!("`{program} config set {key} {value}`")))
        }
        _ if program.starts_with("pip") => {
            let positional: Vec<&ShellWord> = arguments
                .iter()
                .filter(|w| !w.text.starts_with('-'))
                .collect();
            positional
                .iter()
                .find(|w| w.text.ends_with(".trusted-host"))
                .map(|w| (*w, format!("`{program} config set {}`", w.text)))
        }
        _ => None,
    }
}

/// `-k` alone or among combined short options (`-fsSLk`), stopping at an option that takes a
/// value (`-o`, `-H`, …), whose remaining letters are the value.
fn curl_short_k(word: &str) -> bool {
    let Some(letters) = word.strip_prefix('-') else {
        return false;
    };
    if letters.starts_with('-') {
        return false;
    }
    for letter in letters.bytes() {
        match letter {
            b'k' => return true,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => {
                if b"oOHXduAebcCDEFKmrTtUwxYyzPQh".contains(&letter) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    false
}

/// An apt `-o` option value (or `-oX=Y`) that disables verification.
fn apt_insecure_option(word: &str) -> bool {
    let value = word.strip_prefix("-o").unwrap_or(word).to_ascii_lowercase();
    let Some((key, setting)) = value.split_once('=') else {
        return false;
    };
    let setting = setting.trim_matches(['"', '\'']);
    let truthy = matches!(setting, "true" | "1" | "yes");
    (truthy
        && (key.ends_with("allowinsecurerepositories")
            || key.ends_with("allowunauthenticated")
            || key.ends_with("allowdowngradetoinsecurerepositories")))
        || (is_false(setting) && (key.ends_with("verify-peer") || key.ends_with("verify-host")))
}

/// `sslverify=0|false|no` (any case).
fn sslverify_off(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("sslverify")?;
    let rest = lower[at + "sslverify".len()..].trim_start();
    let value = rest.strip_prefix('=')?.trim_start();
    ["0", "false", "no", "off"]
        .iter()
        .any(|v| {
            value.starts_with(v)
                && !value[v.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
        })
        .then_some(at)
}

/// `git -c http.sslVerify=false …` or `git config [--global] http[.<url>].sslVerify false`.
fn git_ssl_off(command: &SimpleCommand) -> Option<&ShellWord> {
    let arguments = command.arguments();
    let is_key = |key: &str| {
        let lower = key.to_ascii_lowercase();
        lower.starts_with("http.") && lower.ends_with(".sslverify")
    };
    for (i, word) in arguments.iter().enumerate() {
        let t = word.text.as_str();
        if t == "-c" {
            let setting = arguments.get(i + 1)?;
            if let Some((key, value)) = setting.text.split_once('=')
                && is_key(key)
                && is_false(value)
            {
                return Some(setting);
            }
        }
    }
    if command.subcommand() == Some("config") {
        let positional: Vec<&ShellWord> = arguments
            .iter()
            .filter(|w| !w.text.starts_with('-'))
            .collect();
        for (i, word) in positional.iter().enumerate() {
            if is_key(&word.text) && positional.get(i + 1).is_some_and(|v| is_false(&v.text)) {
                return Some(word);
            }
        }
    }
    None
}

fn git_shown(command: &SimpleCommand, word: &ShellWord) -> String {
    if command.subcommand() == Some("config") {
        format!("config {} false", word.text)
    } else {
        format!("-c {}", word.text)
    }
}

/// `[trusted=yes]` apt sources and `sslverify=0` repository settings written by a RUN.
fn disabling_text(text: &str) -> Vec<((usize, usize), String)> {
    let mut found = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("trusted=yes") {
        let start = from + at;
        from = start + "trusted=yes".len();
        // Inside the `[…]` options of a `deb` line.
        let line_start = lower[..start].rfind('\n').map_or(0, |i| i + 1);
        let before = &lower[line_start..start];
        // A local repository (`deb [trusted=yes] file:/tmp/repo ./`) of packages built in the
        // same RUN is not fetched over the network.
        let after = lower[from..].split(']').nth(1).unwrap_or("").trim_start();
        let local = after.starts_with("file:") || after.starts_with("copy:");
        if before.contains('[') && !before.contains(']') && !local {
            found.push(((start, from), "`[trusted=yes]` in an apt source".to_owned()));
        }
    }
    let mut from = 0;
    while let Some(at) = sslverify_off(&text[from..]) {
        let start = from + at;
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ';'))
            .map_or(text.len(), |e| start + e);
        found.push((
            (start, end),
            format!("`{}` in a repository configuration", &text[start..end]),
        ));
        from = end.max(start + 1);
    }
    found
}
