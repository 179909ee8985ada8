use drydock_dockerfile::{InstructionKind, Keyword, Word};
use drydock_findings::Severity;
use drydock_secrets::VerdictKind;

use super::security_helpers::{
    Redacted, StageArgs, mark_value, secret_mount_help, unquote_once, unwrap_onbuild, variable_refs,
};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD201",
    name: "secret-in-arg-env",
    summary: "A secret is written in, or passed through, an ARG, ENV or LABEL",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL3064"),
    docs: r#"## What it does
Checks every `ARG` (name and default), `ENV` (`KEY=value` and the legacy `ENV KEY value`) and
`LABEL` with drydock's secret engine, the one `drydock scan` uses on images:

- a literal secret value: a secret-named variable with a literal value (`ENV DB_PASSWORD=…`), or
  a value the engine recognises (`ghp_…`, `AKIA…`, `https://user:pass@…`, a private key) in
  an `ARG` default, an `ENV` or a `LABEL`;
- a secret-named `ARG` without a real default (`ARG NPM_TOKEN`), in a stage of the final image
  with a `RUN` after it: the value passed with `--build-arg` is recorded in the history of every
  later `RUN` of the stage;
- a secret-named `ENV` that copies a build argument (`ENV NPM_TOKEN=$NPM_TOKEN`) in the final
  image: the value is then stored in the image configuration.

Public identifiers are not secrets: `GPG_KEY` fingerprints, `*_PGP_KEY_IDS`, `*_USERNAME`,
`*_FILE`, `*_URL` and the like. An `ENV` of a secret name with an empty or placeholder value
(`ENV DB_PASSWORD=""`, set when the container starts) is not reported, nor are name-only `ARG`s
in build stages the final image does not contain.

## Why is this bad?
Anything in `ARG`, `ENV` and `LABEL` is readable by everyone who can pull the image
(`docker history`, `docker inspect`), and a literal is also in the Dockerfile's git history.

## Example
```dockerfile
FROM node:22-slim
ARG NPM_TOKEN
ENV API_KEY=sk_live_0123456789abcdefEXAMPLE
RUN npm ci
```

Use instead:
```dockerfile
# syntax=docker/dockerfile:1.10
FROM node:22-slim
RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci
```
built with `docker build --secret id=npm_token,env=NPM_TOKEN .`; pass `API_KEY` when the
container starts.

## How to fix
Remove the value (and rotate a secret that was committed). Give build-time secrets to the one
`RUN` that needs them with `RUN --mount=type=secret,id=…` (`env=NAME` exposes it as a variable,
otherwise it is the file `/run/secrets/<id>`) and `docker build --secret id=…,src=<file>` or
`id=…,env=NAME`; give run-time secrets to the container (`docker run --env-file`, an
orchestrator secret).
"#,
    check,
};

fn check(checker: &mut Checker) {
    let file = checker.file;
    let mut args = StageArgs::default();
    for (index, outer) in file.instructions.iter().enumerate() {
        if outer.keyword == Keyword::From {
            args.clear();
        }
        let instruction = unwrap_onbuild(outer);
        let onbuild = outer.keyword == Keyword::Onbuild;
        match &instruction.kind {
            InstructionKind::Arg(declarations) => {
                for declaration in declarations {
                    check_arg(
                        checker,
                        index,
                        &declaration.name,
                        declaration.default.as_ref(),
                        onbuild,
                    );
                }
                if !onbuild {
                    args.declare(instruction);
                }
            }
            InstructionKind::Env(pairs) => {
                for pair in pairs {
                    check_env(checker, index, &pair.key, &pair.value, &args, onbuild);
                }
            }
            InstructionKind::Label(pairs) => {
                for pair in pairs {
                    check_label(checker, &pair.key, &pair.value);
                }
            }
            _ => {}
        }
    }
}

fn check_arg(
    checker: &mut Checker,
    index: usize,
    name_word: &Word,
    default: Option<&Word>,
    onbuild: bool,
) {
    let value = default.map_or("", |word| word.text.as_str());
    let Some(verdict) = drydock_secrets::check_assignment(&name_word.text, value) else {
        return;
    };
    let name = name_word.text.as_str();
    if let Some(default) = default
        && verdict.by_value()
        && !is_trivial_value(value)
    {
        mark_value(checker, default.span, &default.text, &verdict);
        let shown = Redacted::of_verdict(&verdict, value);
        checker.report(
            Diagnostic::new(
                default.span,
                format!(
                    "build argument `{name}` defaults to a literal secret {shown}, which stays in \
                     the Dockerfile and the image history"
                ),
            )
            .help(format!(
                "remove the default and rotate the secret; {}",
                secret_mount_help(name)
            )),
        );
        return;
    }
    if verdict.kind != VerdictKind::Name || onbuild || !checker.in_final_image(index) {
        return;
    }
    let Some(stage) = checker.stage_of(index) else {
        return; // a global ARG is only visible to FROM lines
    };
    let later_run = checker.file.instructions[index + 1..stage.instructions.end]
        .iter()
        .any(|i| i.keyword == Keyword::Run);
    if !later_run {
        return;
    }
    checker.report(
        Diagnostic::new(
            name_word.span,
            format!(
                "build argument `{name}` is named like a secret: a value passed with \
                 `--build-arg` is recorded in the image history of every later `RUN`"
            ),
        )
        .help(format!(
            "if it is a secret, drop the `ARG` and {}",
            secret_mount_help(name)
        )),
    );
}

fn check_env(
    checker: &mut Checker,
    index: usize,
    key: &Word,
    value: &Word,
    args: &StageArgs,
    onbuild: bool,
) {
    let Some(verdict) = drydock_secrets::check_assignment(&key.text, &value.text) else {
        return;
    };
    let name = key.text.as_str();
    if verdict.by_value() && !is_trivial_value(&value.text) {
        mark_value(checker, value.span, &value.text, &verdict);
        let shown = Redacted::of_verdict(&verdict, &value.text);
        checker.report(
            Diagnostic::new(
                value.span,
                format!(
                    "`ENV {name}` sets a literal secret {shown}, which stays in the image \
                     configuration"
                ),
            )
            .help(format!(
                "remove it and rotate the secret; give it to the container when it starts \
                 (`docker run --env-file`, an orchestrator secret), or for build-time use {}",
                secret_mount_help(name)
            )),
        );
        return;
    }
    if onbuild || !checker.in_final_image(index) {
        return;
    }
    let Some(arg) = variable_refs(unquote_once(&value.text))
        .map(|(var, _)| var)
        .find(|var| args.contains(var))
    else {
        return;
    };
    checker.report(
        Diagnostic::new(
            value.span,
            format!(
                "`ENV {name}` copies build argument `{arg}` into the image configuration, where \
                 anyone who pulls the image can read it"
            ),
        )
        .help(format!("do not persist it: {}", secret_mount_help(name))),
    );
}

fn check_label(checker: &mut Checker, key: &Word, value: &Word) {
    let Some(verdict) = drydock_secrets::check_assignment(&key.text, &value.text) else {
        return;
    };
    if !verdict.by_value() || is_trivial_value(&value.text) {
        return;
    }
    mark_value(checker, value.span, &value.text, &verdict);
    let shown = Redacted::of_verdict(&verdict, &value.text);
    checker.report(
        Diagnostic::new(
            value.span,
            format!(
                "label `{}` holds a secret {shown}, which stays in the image metadata",
                key.text
            ),
        )
        .help("remove the secret from the label and rotate it"),
    );
}

/// A value with at most two distinct letters or digits (`00000000-0000-0000-0000-000000000000`,
/// `xx-xx`): a placeholder the secret engine does not recognise as one.
fn is_trivial_value(value: &str) -> bool {
    let mut seen: Vec<u8> = Vec::new();
    for b in value.bytes().filter(u8::is_ascii_alphanumeric) {
        if !seen.contains(&b) {
            seen.push(b);
            if seen.len() > 2 {
                return false;
            }
        }
    }
    true
}
