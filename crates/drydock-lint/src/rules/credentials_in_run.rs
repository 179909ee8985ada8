use drydock_dockerfile::{ShellWord, SimpleCommand, Span};
use drydock_findings::Severity;

use super::security_helpers::{
    Redacted, StageArgs, assignments, find_in, for_each_run_with_args, has_secret_mount,
    is_literal_secret, is_secret_name, option_word, run_segments, secret_mount_help,
    shell_commands, sole_variable, urls,
};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD203",
    name: "credentials-in-run",
    summary: "A RUN contains a credential or passes a build argument as one",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports credentials in a `RUN` (its command line and heredocs) that has no
`--mount=type=secret`:

- any secret drydock's secret engine recognises in the text (tokens, keys, `https://user:pass@…`,
  `_authToken=…`);
- a literal password or token given to a command: `curl -u user:pass`, `wget --password=…`,
  `mysql -p…`, `npm config set …:_authToken …`, `PGPASSWORD=… psql`, a token as the only userinfo
  of a URL (`git clone https://<token>@github.com/…`);
- a build argument used as such a credential (`https://oauth2:${CI_TOKEN}@…`, `curl -u
  "ci:$REPO_PASS"`, `_authToken=${TOKEN}`); a build argument *named* like a secret is reported
  by `secret-arg-in-run` (DD202) instead;
- commands that store a credential in a file of the layer, whatever its source: `aws configure
  set aws_secret_access_key|aws_access_key_id|aws_session_token`, `gcloud auth
  activate-service-account --key-file`, `az login -p`, `doctl auth init -t`, `docker login -p`.

Variables set from elsewhere (`$(cat /run/secrets/x)`, an `ENV`) and placeholders are not
reported.

## Why is this bad?
The `RUN` line is stored in the Dockerfile, in the image history (`docker history --no-trunc`)
with the values of the build arguments it uses, and files it writes stay in the layer: anyone
who can pull the image can read the credential.

## Example
```dockerfile
FROM python:3.12-slim
ARG REPO_PASS
RUN pip install --index-url "https://ci:${REPO_PASS}@pypi.example.com/simple" app
```

Use instead:
```dockerfile
# syntax=docker/dockerfile:1.10
FROM python:3.12-slim
RUN --mount=type=secret,id=repo_pass,env=REPO_PASS \
    pip install --index-url "https://ci:${REPO_PASS}@pypi.example.com/simple" app
```
built with `docker build --secret id=repo_pass,env=REPO_PASS .`

## How to fix
Remove the literal (and rotate it), drop the `ARG`, and give the credential to this `RUN` only
with `--mount=type=secret,id=<id>` (`env=<NAME>` exposes it as a variable, otherwise it is the
file `/run/secrets/<id>`); build with `docker build --secret id=<id>,src=<file>`. Do not let a
tool write it to a config file in the layer.
"#,
    check,
};

struct Found {
    span: Span,
    secret: Option<Span>,
    message: String,
    help: String,
}

fn check(checker: &mut Checker) {
    let source = checker.source();
    let mut found: Vec<Found> = Vec::new();
    for_each_run_with_args(checker, |_, instruction, run, args| {
        if has_secret_mount(run) {
            return;
        }
        let first = found.len();
        let segments = run_segments(source, instruction);
        let mut cx = Cx {
            source,
            args,
            found: &mut found,
        };
        for command in shell_commands(run) {
            check_command(&mut cx, command);
        }
        for &(start, text) in &segments {
            check_text(start, text, args, &mut found);
        }
        for &(start, text) in &segments {
            for secret in drydock_secrets::Scanner::global().scan(text.as_bytes()) {
                let span = Span::new(start + secret.range.start, start + secret.range.end);
                let known = found[first..]
                    .iter()
                    .any(|f| overlaps(f.span, span) || f.secret.is_some_and(|s| overlaps(s, span)));
                if known {
                    continue;
                }
                found.push(Found {
                    span,
                    secret: Some(span),
                    message: format!(
                        "`RUN` contains a secret {}, which stays in the Dockerfile and the image \
                         history",
                        Redacted::of_match(&secret)
                    ),
                    help: LITERAL_HELP.to_owned(),
                });
            }
        }
    });
    for f in found {
        if let Some(secret) = f.secret {
            checker.mark_secret(secret);
        }
        checker.report(Diagnostic::new(f.span, f.message).help(f.help));
    }
}

const LITERAL_HELP: &str = "remove it and rotate it; mount it for this `RUN` only with \
     `RUN --mount=type=secret,id=<id>,env=<NAME> …` (or read `/run/secrets/<id>`), built with \
     `docker build --secret id=<id>,src=<file>`";

fn overlaps(a: Span, b: Span) -> bool {
    a.start < b.end && b.start < a.end
}

/// What a credential value is.
enum Credential<'a> {
    /// Written in the file.
    Literal,
    /// A build argument not named like a secret (DD202 reports those).
    Arg(&'a str),
    /// Anything else: computed, from `ENV`, a placeholder.
    Other,
}

fn classify<'a>(value: &'a str, args: &StageArgs) -> Credential<'a> {
    if let Some(var) = sole_variable(value) {
        if args.contains(var) && !is_secret_name(var) {
            return Credential::Arg(var);
        }
        return Credential::Other;
    }
    if is_literal_secret(value) {
        Credential::Literal
    } else {
        Credential::Other
    }
}

/// Reports `value` (written in `word`, as part of `container` at byte `offset`) used as a
/// credential by `what`.
fn report_value(
    cx: &mut Cx,
    what: &str,
    word: &ShellWord,
    container: &str,
    offset: usize,
    value: &str,
) {
    let (source, args) = (cx.source, cx.args);
    let found = &mut *cx.found;
    let span = find_in(source, word.span, container)
        .map(|s| Span::new(s.start + offset, s.start + offset + value.len()))
        .unwrap_or(word.span);
    match classify(value, args) {
        Credential::Literal => found.push(Found {
            span,
            secret: Some(span),
            message: format!(
                "`{what}` is given a literal credential {}, which stays in the Dockerfile and \
                 the image history",
                Redacted::masked(value)
            ),
            help: LITERAL_HELP.to_owned(),
        }),
        Credential::Arg(var) => found.push(arg_found(span, what, var)),
        Credential::Other => {}
    }
}

fn arg_found(span: Span, what: &str, var: &str) -> Found {
    Found {
        span,
        secret: None,
        message: match what {
            "URL" => format!(
                "a URL embeds build argument `{var}` as a credential, so its value is recorded in \
                 the image history"
            ),
            _ => format!(
                "`{what}` is given build argument `{var}` as a credential, so its value is \
                 recorded in the image history"
            ),
        },
        help: format!("remove `ARG {var}` and {}", secret_mount_help(var)),
    }
}

/// What the checks of one RUN share.
struct Cx<'s, 'a> {
    source: &'s str,
    args: &'a StageArgs<'s>,
    found: &'a mut Vec<Found>,
}

/// Credential options and credential-storing commands.
fn check_command(cx: &mut Cx, command: &SimpleCommand) {
    let source = cx.source;
    for (name, value, word) in assignments(command) {
        let Some(verdict) = drydock_secrets::check_assignment(name, value) else {
            continue;
        };
        let what = format!("{name}=");
        let offset = name.len() + 1;
        if verdict.by_value() && !value.contains('$') && !value.contains('`') {
            let span = find_in(source, word.span, &word.text)
                .map(|s| Span::new(s.start + offset, s.end))
                .unwrap_or(word.span);
            cx.found.push(Found {
                span,
                secret: Some(span),
                message: format!(
                    "`{what}` sets a literal secret {}, which stays in the Dockerfile and the \
                     image history",
                    Redacted::of_verdict(&verdict, value)
                ),
                help: LITERAL_HELP.to_owned(),
            });
        } else if verdict.by_name() {
            report_value(cx, &what, word, &word.text, offset, value);
        }
    }
    let Some(program) = command.program() else {
        return;
    };
    let arguments = command.arguments();
    let positional: Vec<&str> = arguments
        .iter()
        .map(|w| w.text.as_str())
        .filter(|t| !t.starts_with('-'))
        .collect();
    match program {
        "curl" => {
            if let Some((option, value, word)) =
                option_word(command, &["-u", "--user", "-U", "--proxy-user"])
                && let Some((user, password)) = value.split_once(':')
                && !password.is_empty()
            {
                let what = format!("curl {}", option_name(option));
                report_value(cx, &what, word, value, user.len() + 1, password);
            }
        }
        "wget" => {
            let names = [
                "--password",
                "--http-password",
                "--ftp-password",
                "--proxy-password",
            ];
            if let Some((option, value, word)) = option_word(command, &names) {
                let what = format!("wget {}", option_name(option));
                report_value(cx, &what, word, value, 0, value);
            }
        }
        "mysql" | "mysqldump" | "mysqladmin" | "mysqlimport" | "mysqlshow" | "mysqlcheck"
        | "mariadb" | "mariadb-dump" | "mariadb-admin" => {
            // `-p value` and `--password value`: mysql prompts, `value` is something else.
            if let Some((option, value, word)) = option_word(command, &["-p", "--password"])
                && std::ptr::eq(option, word)
                && !value.is_empty()
            {
                let what = format!("{program} {}", option_name(option));
                report_value(
                    cx,
                    &what,
                    word,
                    &word.text,
                    word.text.len() - value.len(),
                    value,
                );
            }
        }
        "npm" | "yarn" | "pnpm" => {
            let Some(set) = positional.iter().position(|t| *t == "set") else {
                return;
            };
            let key_value = positional.get(set + 1).copied().unwrap_or("");
            let (key, value) = match key_value.split_once('=') {
                Some((key, value)) => (key, Some(value)),
                None => (key_value, positional.get(set + 2).copied()),
            };
            let lower = key.to_ascii_lowercase();
            let is_auth = lower.ends_with("_authtoken")
                || lower.ends_with("_auth")
                || lower.ends_with("_password")
                || lower.ends_with("npmauthtoken")
                || lower.ends_with("npmauthident");
            if let Some(value) = value
                && is_auth
                && let Some(word) = arguments.iter().rev().find(|w| w.text.ends_with(value))
            {
                let what = format!("{program} config set {}", short_key(key));
                report_value(
                    cx,
                    &what,
                    word,
                    &word.text,
                    word.text.len() - value.len(),
                    value,
                );
            }
        }
        "aws" if positional.first() == Some(&"configure") && positional.get(1) == Some(&"set") => {
            let key = positional.get(2).copied().unwrap_or("");
            let setting = key.rsplit('.').next().unwrap_or(key);
            if matches!(
                setting,
                "aws_secret_access_key" | "aws_access_key_id" | "aws_session_token"
            ) {
                let word = arguments
                    .iter()
                    .find(|w| w.text == key)
                    .unwrap_or(&command.words[0]);
                let value = arguments.iter().skip_while(|w| w.text != key).nth(1);
                store(
                    cx,
                    &format!("aws configure set {setting}"),
                    "~/.aws/credentials",
                    word,
                    value,
                );
            }
        }
        "gcloud"
            if positional.first() == Some(&"auth")
                && positional.get(1) == Some(&"activate-service-account") =>
        {
            if let Some((option, _, _)) = option_word(command, &["--key-file"]) {
                store(
                    cx,
                    "gcloud auth activate-service-account --key-file",
                    "~/.config/gcloud",
                    option,
                    None,
                );
            }
        }
        "az" if positional.first() == Some(&"login") => {
            if let Some((option, _, word)) = option_word(command, &["-p", "--password"]) {
                let what = format!("az login {}", option_name(option));
                store(
                    cx,
                    &what,
                    "~/.azure",
                    option,
                    Some(word).filter(|w| !std::ptr::eq(*w, option)),
                );
            }
        }
        "doctl" if positional.first() == Some(&"auth") && positional.get(1) == Some(&"init") => {
            if let Some((option, _, word)) = option_word(command, &["-t", "--access-token"]) {
                let what = format!("doctl auth init {}", option_name(option));
                store(
                    cx,
                    &what,
                    "the doctl config file",
                    option,
                    Some(word).filter(|w| !std::ptr::eq(*w, option)),
                );
            }
        }
        "docker" | "podman" | "buildah" if positional.first() == Some(&"login") => {
            if let Some((option, _, word)) = option_word(command, &["-p", "--password"]) {
                let what = format!("{program} login {}", option_name(option));
                store(
                    cx,
                    &what,
                    "the registry auth file",
                    option,
                    Some(word).filter(|w| !std::ptr::eq(*w, option)),
                );
            }
        }
        _ => {}
    }
}

/// A command that writes a credential into a file of the layer: reported whatever the value's
/// source; a literal value is masked.
fn store(cx: &mut Cx, what: &str, file: &str, at: &ShellWord, value: Option<&ShellWord>) {
    let source = cx.source;
    let literal = value.filter(|w| is_literal_secret(&w.text));
    let span = value.map_or(at.span, |w| w.span);
    let secret = literal.map(|w| find_in(source, w.span, &w.text).unwrap_or(w.span));
    let shown = match literal {
        Some(w) => format!(" with a literal credential {}", Redacted::masked(&w.text)),
        None => String::new(),
    };
    cx.found.push(Found {
        span,
        secret,
        message: format!(
            "`{what}`{shown} stores the credential in {file} inside this layer, where anyone \
             who pulls the image can read it"
        ),
        help: "mount the credential for this `RUN` only (`RUN --mount=type=secret,id=<id>,\
               env=<NAME> …`) and pass it to the command that needs it through the environment \
               instead of a config file"
            .to_owned(),
    });
}

/// `--user=x` → `--user`, `-ux` → `-u`.
fn option_name(option: &ShellWord) -> &str {
    let t = option.text.as_str();
    if let Some((name, _)) = t.split_once('=')
        && name.starts_with("--")
    {
        return name;
    }
    if !t.starts_with("--") && t.len() > 2 {
        return &t[..2];
    }
    t
}

/// `//registry.example.com/:_authToken` → `:_authToken` (the registry is not the point).
fn short_key(key: &str) -> &str {
    key.rfind(':').map_or(key, |colon| &key[colon..])
}

/// Credentials in the raw text: URL userinfo and `.npmrc` auth entries that use a build
/// argument, and tokens used as a URL's only userinfo.
fn check_text(start: usize, text: &str, args: &StageArgs, found: &mut Vec<Found>) {
    for url in urls(text) {
        let Some((user, password)) = url.credentials() else {
            continue;
        };
        let userinfo_start = start + url.range.0 + url.scheme.len() + 3;
        let user_span = Span::new(userinfo_start, userinfo_start + user.len());
        match password {
            // The user name is not a secret; literal passwords are the engine's.
            Some(password) => {
                let password_span =
                    Span::new(user_span.end + 1, user_span.end + 1 + password.len());
                if let Credential::Arg(var) = classify(password, args) {
                    found.push(arg_found(password_span, "URL", var));
                }
            }
            None => match classify(user, args) {
                Credential::Arg(var) => found.push(arg_found(user_span, "URL", var)),
                _ if looks_like_token(user) => found.push(Found {
                    span: user_span,
                    secret: Some(user_span),
                    message: format!(
                        "URL for `{}` carries a literal token {}, which stays in the Dockerfile \
                         and the image history",
                        url.hostname(),
                        Redacted::masked(user)
                    ),
                    help: LITERAL_HELP.to_owned(),
                }),
                _ => {}
            },
        }
    }
    for key in ["_authToken=", "_auth=", "_password="] {
        let mut from = 0;
        while let Some(at) = text[from..].find(key) {
            let value_start = from + at + key.len();
            from = value_start;
            let rest = &text[value_start..];
            let len = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ';' | '\\' | '>'))
                .unwrap_or(rest.len());
            if let Credential::Arg(var) = classify(&rest[..len], args) {
                let span = Span::new(start + value_start, start + value_start + len);
                found.push(arg_found(span, &format!("{key}…"), var));
            }
        }
    }
}

/// A literal that looks like an access token rather than a user name: long, mixing letters and
/// digits.
fn looks_like_token(value: &str) -> bool {
    value.len() >= 20
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && value.bytes().any(|b| b.is_ascii_digit())
        && value.bytes().any(|b| b.is_ascii_alphabetic())
}
