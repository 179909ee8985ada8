use drydock_dockerfile::{Command, InstructionKind};
use drydock_findings::{Applicability, Edit, Fix, Severity};

use super::security_helpers::{
    for_each_run_with_args, has_secret_mount, is_secret_name, run_segments, secret_id,
    secret_mount_help, variable_refs,
};
use super::whole_lines;
use crate::{Checker, Diagnostic, Rule};
use drydock_dockerfile::Span;

pub const RULE: Rule = Rule {
    code: "DD202",
    name: "secret-arg-in-run",
    summary: "A RUN uses a secret passed as a build argument",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports a `RUN` that uses (`$NAME` or `${NAME}` in its command or heredoc) a build argument
whose name says it is a secret (`NPM_TOKEN`, `GITHUB_TOKEN`, `DB_PASSWORD`, `API_KEY`…),
declared with `ARG` earlier in the stage. Public identifiers (`GPG_KEY`, `*_KEY_ID`,
`*_USERNAME`) are not secrets.

It does not fire when the `RUN` has a `--mount=type=secret` (the name then usually refers to the
mounted secret), nor for a `RUN` that does not mention the variable: a script may still read it
from the environment, which `secret-in-arg-env` (DD201) reports at the `ARG`.

## Why is this bad?
BuildKit records the build arguments of every `RUN` in the image history (`docker history
--no-trunc` shows `|1 NPM_TOKEN=… /bin/sh -c …`), so everyone who can pull the image (or the
build stage, or its cache) can read the secret.

## Example
```dockerfile
FROM node:22-slim
ARG NPM_TOKEN
RUN echo "//npm.example.test/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc
```

Use instead:
```dockerfile
# syntax=docker/dockerfile:1.10
FROM node:22-slim
RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN \
    echo "//npm.example.test/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc
```
built with `docker build --secret id=npm_token,env=NPM_TOKEN .`

## How to fix
Remove the `ARG` and mount the secret in the `RUN` that needs it: `--mount=type=secret,id=<id>,
env=<NAME>` (Dockerfile syntax 1.10 or later) exposes it as the same variable; without `env=`
it is the file `/run/secrets/<id>`.

## Fix
Unsafe (`drydock lint --fix --unsafe-fixes`): deletes the `ARG` lines of the name and gives
every RUN that uses it `--mount=type=secret,id=<id>` plus a first step that reads the secret into
the same variable (`NAME="$(cat /run/secrets/<id>)" && export NAME && …`). Build with
`docker build --secret id=<id>,env=NAME` (or `src=<file>`): without the secret the RUN fails.
Not offered when another instruction uses the name, or an ARG declares other names too.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let source = checker.source();
    let mut found: Vec<(Span, String, bool)> = Vec::new();
    for_each_run_with_args(checker, |index, instruction, run, args| {
        if has_secret_mount(run) {
            return;
        }
        let secret_args: Vec<&str> = args.iter().filter(|name| is_secret_name(name)).collect();
        if secret_args.is_empty() {
            return;
        }
        let mut reported: Vec<&str> = Vec::new();
        for (start, text) in run_segments(source, instruction) {
            for (name, range) in variable_refs(text) {
                if !secret_args.contains(&name) || reported.contains(&name) {
                    continue;
                }
                reported.push(name);
                found.push((
                    Span::new(start + range.start, start + range.end),
                    name.to_owned(),
                    checker.in_final_image(index),
                ));
            }
        }
    });
    for (span, name, in_final_image) in found {
        let history = if in_final_image {
            "the image history"
        } else {
            "the build stage's history"
        };
        checker.report(
            Diagnostic::new(
                span,
                format!(
                    "`RUN` uses build argument `{name}`, which is named like a secret: its value \
                     is recorded in {history}"
                ),
            )
            .help(format!(
                "remove `ARG {name}` and {}",
                secret_mount_help(&name)
            ))
            .with_fix(secret_mount(checker, &name)),
        );
    }
}

/// Unsafe: the build argument becomes a build secret. Every `ARG name` line is deleted and every
/// RUN that uses `$name` gets `--mount=type=secret,id=<id>` and starts by reading the secret
/// into `name` (`name="$(cat /run/secrets/<id>)" && export name && …`), so its commands see
/// the same variable. Only when each ARG declares this name alone, nothing but shell-form RUNs
/// without heredocs uses it, and no line holds anything else.
fn secret_mount(checker: &Checker, name: &str) -> Option<Fix> {
    let source = checker.source();
    let id = secret_id(name);
    let mut edits = Vec::new();
    for instruction in &checker.file.instructions {
        let uses = run_segments(source, instruction)
            .iter()
            .any(|(_, text)| variable_refs(text).any(|(found, _)| found == name))
            || instruction
                .span
                .text(source)
                .contains(&format!("${{{name}"));
        match &instruction.kind {
            InstructionKind::Arg(declarations)
                if declarations.iter().any(|d| d.name.text == name) =>
            {
                if declarations.len() != 1 {
                    return None;
                }
                edits.push(Edit::delete(whole_lines(source, instruction.span)?));
            }
            InstructionKind::Run(run) if uses => {
                let Command::Shell(command) = &run.command else {
                    return None;
                };
                if !instruction.heredocs.is_empty() || has_secret_mount(run) {
                    return None;
                }
                edits.push(Edit::insert(
                    instruction.keyword_span.end,
                    format!(" --mount=type=secret,id={id}"),
                ));
                edits.push(Edit::insert(
                    command.span.start,
                    format!("{name}=\"$(cat /run/secrets/{id})\" && export {name} && "),
                ));
            }
            _ if uses => return None,
            _ => {}
        }
    }
    Some(Fix {
        message: format!(
            "pass `{name}` as a build secret; build with `docker build --secret \
             id={id},env={name}` (or `--secret id={id},src=<file>`)"
        ),
        applicability: Applicability::Unsafe,
        edits,
    })
}
