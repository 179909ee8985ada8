use drydock_dockerfile::{Base, Command, ImageRef, Instruction, InstructionKind, Keyword};
use drydock_findings::{Applicability, Edit, Fix, Severity};

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD204",
    name: "final-stage-runs-as-root",
    summary: "The application image runs as root",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
For an application image that runs a program of its own (the final stage, with the stages it
is built `FROM`, has `EXPOSE`, `HEALTHCHECK`, or a `CMD`/`ENTRYPOINT` other than a bare shell or
interpreter such as `CMD ["bash"]` or `CMD ["python3"]`), reports when
its last `USER` is `root` or `0` (`root:root`, `0:0`, Windows' `ContainerAdministrator`), or
when no `USER` is set at all in the final stage or the stages of this file it is built `FROM`.

It does not fire for base images (files meant to be built upon, including official language
images whose command is just `python3` or `node`, and artifact images with no command): their
children may set `USER`,
and drydock cannot know without the registry; `drydock scan` checks the user of the built image.
It does not fire either when the base image's name says it runs unprivileged (`…:nonroot`,
`…-unprivileged`, `…rootless`, Bitnami application images), for Windows images without `USER`,
for a base image given by a variable without a default, for a `USER` given by a variable
(`USER $APP_UID`), when the image drops privileges itself in its entrypoint (`gosu`, `su-exec`,
`setpriv`, `runuser`, `s6-setuidgid`, `chroot --userspec`), or when it starts a daemon that
switches to its own user after binding its ports (`nginx`, `httpd`, `apache2-foreground`,
`php-fpm`, `sshd`, `postfix`, …).

## Why is this bad?
A process running as root in the container is root on the host's kernel: a compromise of the
application, or a container escape, has far more reach than from an unprivileged user.

## Example
```dockerfile
FROM node:22-slim
WORKDIR /app
COPY . .
RUN npm ci --omit=dev
CMD ["node", "server.js"]
```

Use instead:
```dockerfile
FROM node:22-slim
WORKDIR /app
COPY . .
RUN npm ci --omit=dev
USER node
CMD ["node", "server.js"]
```

## How to fix
After the steps that need root, switch to an unprivileged user: the base image's own (`node`,
`nonroot`, `www-data`) or one you create (`RUN useradd --system --uid 10001 app` then
`USER 10001`). Use a numeric id so Kubernetes' `runAsNonRoot` can verify it.

## Fix
Unsafe (`drydock lint --fix --unsafe-fixes`): adds `USER 65534:65534` (`nobody`; no
`/etc/passwd` entry needed) after the final stage's last instruction. Check that the application
can still read and write what it needs.
"#,
    check,
};

/// Words that show the entrypoint switches to another user itself.
const PRIVILEGE_DROPS: [&str; 7] = [
    "gosu",
    "su-exec",
    "setpriv",
    "runuser",
    "s6-setuidgid",
    "--userspec",
    "chpst -u",
];

fn check(checker: &mut Checker) {
    if !checker.is_application_image() {
        return;
    }
    let graph = checker.graph;
    let Some(final_index) = graph.final_stage else {
        return;
    };
    let ancestry = graph.ancestry(final_index);
    let source = checker.source();
    let instructions = |stage: usize| checker.stage_instructions(&graph.stages[stage]);
    let drops_privileges = ancestry.iter().flat_map(|&s| instructions(s)).any(|i| {
        matches!(i.keyword, Keyword::Run | Keyword::Cmd | Keyword::Entrypoint) && {
            let text = i.span.text(source);
            PRIVILEGE_DROPS.iter().any(|word| text.contains(word))
        }
    });
    if drops_privileges
        || starts_self_dropping_daemon(ancestry.iter().flat_map(|&s| instructions(s)))
    {
        return;
    }
    let last_user = ancestry.iter().find_map(|&s| {
        instructions(s).iter().rev().find_map(|i| match &i.kind {
            InstructionKind::User(word) => Some(word),
            _ => None,
        })
    });
    if let Some(user) = last_user {
        let text = user.text.trim();
        let name = text.split(':').next().unwrap_or(text);
        if matches!(name, "root" | "0") || name.eq_ignore_ascii_case("ContainerAdministrator") {
            let fix = add_user(checker, final_index);
            checker.report(
                Diagnostic::new(
                    user.span,
                    format!(
                        "the final stage's last `USER` is `{text}`, so the container runs as root"
                    ),
                )
                .help(
                    "switch to an unprivileged user after the steps that need root, e.g. \
                     `USER 10001` (created with `useradd --system --uid 10001 app`) or the base \
                     image's own user",
                )
                .with_fix(fix),
            );
        }
        return;
    }
    let root = &graph.stages[*ancestry.last().unwrap_or(&final_index)];
    let message = match &root.base {
        Base::Image(image) => {
            if runs_unprivileged(image) || is_windows(image) {
                return;
            }
            format!(
                "the final stage sets no `USER`, so the container runs as root unless the base \
                 image `{}` sets one",
                root.base_name
            )
        }
        Base::Scratch => {
            "the final stage is built on `scratch` and sets no `USER`, so the container runs as \
             root (uid 0)"
                .to_owned()
        }
        // A base only known at build time may well set `USER`.
        Base::Stage(_) | Base::Invalid { .. } => return,
    };
    if !root.unresolved.is_empty() {
        return;
    }
    let from = &checker.file.instructions[graph.stages[final_index].instructions.start];
    let span = match &from.kind {
        InstructionKind::From(from) => from.image.span,
        _ => from.span,
    };
    let fix = add_user(checker, final_index);
    checker.report(
        Diagnostic::new(span, message)
            .help(
                "add `USER <unprivileged user>` after the steps that need root, e.g. `USER \
                 10001` (created with `useradd --system --uid 10001 app`) or the base image's \
                 own user (`node`, `nonroot`, `www-data`)",
            )
            .with_fix(fix),
    );
}

/// Unsafe: `USER 65534:65534` (`nobody`, which needs no entry in `/etc/passwd`) after the last
/// instruction of the final stage. The application may need to write files it cannot now.
fn add_user(checker: &Checker, stage: usize) -> Option<Fix> {
    let last = checker
        .stage_instructions(&checker.graph.stages[stage])
        .last()?;
    Some(Fix {
        message: "run the container as `nobody` (`USER 65534:65534`)".into(),
        applicability: Applicability::Unsafe,
        edits: vec![Edit::insert(last.span.end, "\nUSER 65534:65534")],
    })
}

/// The words of a command (shell form split on whitespace).
fn command_words(command: &Command) -> Vec<&str> {
    match command {
        Command::Exec(words) => words.iter().map(|w| w.text.as_str()).collect(),
        Command::Shell(word) => word.text.split_whitespace().collect(),
    }
}

/// Daemons that start as root (to bind ports, read keys) and switch to their own user.
fn starts_self_dropping_daemon<'a>(
    mut instructions: impl Iterator<Item = &'a Instruction>,
) -> bool {
    instructions.any(|i| match &i.kind {
        InstructionKind::Cmd(command) | InstructionKind::Entrypoint(command) => {
            command_words(command).first().is_some_and(|first| {
                let program = first.rsplit('/').next().unwrap_or(first);
                program.starts_with("php-fpm")
                    || matches!(
                        program,
                        "nginx"
                            | "httpd"
                            | "httpd-foreground"
                            | "apache2"
                            | "apache2-foreground"
                            | "apache2ctl"
                            | "apachectl"
                            | "lighttpd"
                            | "sshd"
                            | "postfix"
                            | "dovecot"
                            | "squid"
                            | "vsftpd"
                            | "proftpd"
                            | "named"
                            | "unbound"
                    )
            })
        }
        _ => false,
    })
}

/// Base images whose name says they run as an unprivileged user.
fn runs_unprivileged(image: &ImageRef) -> bool {
    let tag = image.tag.as_deref().unwrap_or("");
    let repository = image.repository.as_str();
    ["nonroot", "unprivileged", "rootless"]
        .iter()
        .any(|word| tag.contains(word) || repository.contains(word))
        || (repository.starts_with("bitnami/")
            && !matches!(repository, "bitnami/minideb" | "bitnami/os-shell"))
}

fn is_windows(image: &ImageRef) -> bool {
    let repository = image.repository.as_str();
    ["windows", "nanoserver", "servercore"].iter().any(|word| {
        repository.contains(word) || image.tag.as_deref().is_some_and(|t| t.contains(word))
    })
}
