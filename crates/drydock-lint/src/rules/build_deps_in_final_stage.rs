use drydock_dockerfile::ShellWord;
use drydock_findings::Severity;

use super::package_managers::{
    Invocation, Manager, ShellRun, invocations, package_name, shell_runs,
};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD106",
    name: "build-deps-in-final-stage",
    summary: "Compilers and build dependencies stay in the final image",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
In an application image (one with `ENTRYPOINT`, `EXPOSE`, `HEALTHCHECK` or a `CMD` that runs a
program), reports in the stages that end up in the final image:

- `apk add --virtual NAME …` (or `-t NAME`) holding build tools, with no later `apk del NAME`
  (groups of runtime dependencies such as `.ruby-rundeps` are kept on purpose);
- compilers and build toolchains installed with apt, apk, dnf/yum/microdnf and not removed later
  in the stage: `build-essential`, `build-base`, `gcc`, `g++`, `clang`, `make`, `cmake`,
  `autoconf`, `automake`, `libtool`, `pkg-config`/`pkgconf`, `musl-dev`, `libc6-dev`,
  `linux-headers`, and any `*-dev`/`*-devel` header package.

A removal counts when it names the package (or a variable), uses `autoremove`/`--auto-remove`,
or deletes the `--virtual` group. Not reported: base images (meant to be built upon), images
whose only `CMD` is a shell or an interpreter prompt (`CMD ["python3"]`: language images ship
their toolchain on purpose), final stages named `dev`, `devcontainer`, `ci`, `test` or
`build`, build stages whose files are not shipped, and packages given
through variables (`$BUILD_DEPS`).

## Why is this bad?
Compilers and headers are only needed while building. Shipping them makes the image larger and
gives an attacker who gets into the container a ready toolchain.

## Example
```dockerfile
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
CMD ["gunicorn", "app:app"]
```

Use instead:
```dockerfile
FROM python:3.12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev
COPY requirements.txt .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*
CMD ["gunicorn", "app:app"]
```

## How to fix
Move the build into a separate stage and copy only its result into the final stage. If that is
not possible, remove the build dependencies in the same `RUN` that uses them
(`apk add --virtual .build-deps … && … && apk del .build-deps`, or
`apt-get purge -y --auto-remove …`), so they never reach a layer.
"#,
    check,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Apt,
    Apk,
    Rpm,
}

fn family(manager: Manager) -> Option<Family> {
    match manager {
        Manager::Apt => Some(Family::Apt),
        Manager::Apk => Some(Family::Apk),
        Manager::Yum | Manager::Dnf | Manager::Microdnf => Some(Family::Rpm),
        _ => None,
    }
}

fn is_install(invocation: &Invocation) -> bool {
    match invocation.manager {
        Manager::Apt => invocation.is(&["install"]),
        Manager::Apk => invocation.is(&["add"]),
        Manager::Yum | Manager::Dnf | Manager::Microdnf => {
            invocation.is(&["install", "groupinstall"])
        }
        _ => false,
    }
}

/// A removal command: `Some(None)` removes whatever is unneeded (autoremove), `Some(Some(args))`
/// removes the named packages.
fn removal<'a>(invocation: &Invocation<'a>) -> Option<Option<Vec<&'a str>>> {
    let auto = match invocation.manager {
        Manager::Apt if invocation.is(&["autoremove"]) => true,
        Manager::Apt if invocation.is(&["purge", "remove"]) => {
            invocation.has_flag(None, &["auto-remove", "autoremove"])
        }
        Manager::Apk if invocation.is(&["del"]) => false,
        Manager::Yum | Manager::Dnf | Manager::Microdnf
            if invocation.is(&["autoremove"]) || invocation.is(&["history"]) =>
        {
            true
        }
        Manager::Yum | Manager::Dnf | Manager::Microdnf if invocation.is(&["remove", "erase"]) => {
            false
        }
        _ => return None,
    };
    if auto {
        return Some(None);
    }
    Some(Some(
        invocation
            .operands()
            .map(|word| package_name(&word.text))
            .collect(),
    ))
}

/// Whether `name` is a compiler, build tool or header package.
fn is_toolchain(name: &str) -> bool {
    let versioned = |prefix: &str| {
        name.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        })
    };
    matches!(
        name,
        "build-essential"
            | "build-base"
            | "gcc"
            | "g++"
            | "gcc-c++"
            | "clang"
            | "make"
            | "cmake"
            | "autoconf"
            | "automake"
            | "libtool"
            | "pkg-config"
            | "pkgconf"
            | "pkgconfig"
            | "musl-dev"
            | "libc6-dev"
            | "libc-dev"
            | "linux-headers"
    ) || versioned("gcc-")
        || versioned("g++-")
        || versioned("clang-")
        || (name.ends_with("-dev") && name.len() > 4)
        || (name.ends_with("-devel") && name.len() > 6)
}

/// Commands of the final image after (`run`, `position`), in order.
fn later<'r, 'a>(
    runs: &'r [ShellRun<'a>],
    run: usize,
    position: usize,
) -> impl Iterator<Item = Invocation<'a>> + 'r {
    runs[run..]
        .iter()
        .enumerate()
        .flat_map(move |(offset, later)| {
            invocations(later.commands)
                .filter(move |(at, _)| offset > 0 || *at > position)
                .map(|(_, invocation)| invocation)
        })
}

fn removed(runs: &[ShellRun], run: usize, position: usize, family_of: Family, name: &str) -> bool {
    later(runs, run, position).any(|invocation| {
        if family(invocation.manager) != Some(family_of) {
            return false;
        }
        match removal(&invocation) {
            None => false,
            Some(None) => true,
            Some(Some(names)) => names
                .iter()
                .any(|removed| *removed == name || removed.contains('$')),
        }
    })
}

fn list(words: &[&ShellWord]) -> String {
    let names: Vec<String> = words
        .iter()
        .take(3)
        .map(|word| format!("`{}`", package_name(&word.text)))
        .collect();
    match (names.as_slice(), words.len()) {
        ([only], 1) => only.clone(),
        (shown, total) if total > shown.len() => {
            format!("{} and {} more", shown.join(", "), total - shown.len())
        }
        ([init @ .., last], _) => format!("{} and {last}", init.join(", ")),
        ([], _) => String::new(),
    }
}

fn check(checker: &mut Checker) {
    if !checker.is_application_image() {
        return;
    }
    let runs: Vec<ShellRun> = shell_runs(checker)
        .filter(|run| checker.in_final_image(run.index))
        .collect();
    let mut findings = Vec::new();
    for (run_at, run) in runs.iter().enumerate() {
        for (position, invocation) in invocations(run.commands) {
            let Some(family_of) = family(invocation.manager) else {
                continue;
            };
            if !is_install(&invocation) {
                continue;
            }
            if invocation.manager == Manager::Apk
                && let Some(word) = invocation.option_value_word(&["--virtual", "-t"])
            {
                let name = invocation
                    .option_value(&["--virtual", "-t"])
                    .unwrap_or(&word.text);
                // Groups of runtime dependencies (`.ruby-rundeps`) are kept on purpose: only a
                // group holding build tools is a problem.
                let tools: Vec<&ShellWord> = invocation
                    .operands()
                    .filter(|word| is_toolchain(package_name(&word.text)))
                    .collect();
                if !tools.is_empty()
                    && !name.contains('$')
                    && !removed(&runs, run_at, position, Family::Apk, name)
                {
                    findings.push(
                        Diagnostic::new(
                            word.span,
                            format!(
                                "virtual package `{name}` is never deleted, so {} {} in the final image",
                                list(&tools),
                                if tools.len() == 1 { "stays" } else { "stay" }
                            ),
                        )
                        .help(format!(
                            "end the `RUN` that uses them with `&& apk del {name}`, or build in a separate stage and copy the result"
                        )),
                    );
                }
                continue;
            }
            let left: Vec<&ShellWord> = invocation
                .operands()
                .filter(|word| !word.text.contains('$'))
                .filter(|word| is_toolchain(package_name(&word.text)))
                .filter(|word| {
                    !removed(&runs, run_at, position, family_of, package_name(&word.text))
                })
                .collect();
            let Some(first) = left.first() else {
                continue;
            };
            let removal = match family_of {
                Family::Apt => "`apt-get purge -y --auto-remove …`",
                Family::Apk => "`apk add --virtual .build-deps …` and `apk del .build-deps`",
                Family::Rpm => "`dnf remove -y …`",
            };
            let what = if left.len() == 1 {
                "build-only package"
            } else {
                "build-only packages"
            };
            let verb = if left.len() == 1 { "stays" } else { "stay" };
            findings.push(
                Diagnostic::new(
                    first.span,
                    format!("{what} {} {verb} in the final image", list(&left)),
                )
                .help(format!(
                    "build in a separate stage and `COPY --from` only the result, or remove them in the same `RUN` with {removal}"
                )),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
