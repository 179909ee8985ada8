use drydock_dockerfile::{SimpleCommand, Span};
use drydock_findings::Severity;

use super::package_managers::{Manager, invocation, is_package_removal, shell_runs};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD107",
    name: "compile-in-single-stage",
    summary: "An application image compiles its code in the stage it ships",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports, once per file, the first build command of an application image built in a single stage
(no `COPY --from` of another stage feeds the final one; stages it is built `FROM` count as the
same stage): `go build`, `cargo build`, `mvn package`/`install`/`verify`, `gradle build`/
`assemble`/`bootJar`, `./gradlew …`, `gcc`/`g++`/`cc`/`clang`, `make`, `cmake --build`,
`npm run build`, `yarn build`, `pnpm build`, `dotnet build`/`publish`, `tsc`.

Not reported: multi-stage builds; base images (no `CMD`, `ENTRYPOINT`, `EXPOSE` or
`HEALTHCHECK`); images whose only `CMD` is a shell or an interpreter prompt (`CMD ["python3"]`,
`CMD ["bash"]`), whose product is the toolchain, or whose final stage is named `dev`,
`devcontainer`, `ci`, `test` or `build`; and a `RUN` that compiles and then uninstalls
its build dependencies in the same `RUN` (`… && make install && apk del .build-deps`).

## Why is this bad?
The final image then carries the compiler, the build tools, the dependency caches and the
sources: often hundreds of megabytes more than the program needs, with more packages to patch
and more tools for an attacker.

## Example
```dockerfile
FROM golang:1.23
WORKDIR /src
COPY . .
RUN go build -o /app ./cmd/app
CMD ["/app"]
```

Use instead:
```dockerfile
FROM golang:1.23 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /app ./cmd/app

FROM gcr.io/distroless/static-debian12
COPY --from=build /app /app
CMD ["/app"]
```

## How to fix
Build in a first stage (`FROM … AS build`), then start a slim, distroless or `scratch` runtime
stage and `COPY --from=build` only the build output.
"#,
    check,
};

const GRADLE_TASKS: [&str; 9] = [
    "build",
    "assemble",
    "bootJar",
    "bootWar",
    "jar",
    "war",
    "shadowJar",
    "installDist",
    "distTar",
];

/// The span and name of the build `command` runs, if it compiles.
fn compiles(command: &SimpleCommand) -> Option<(Span, String)> {
    if let Some(found) = invocation(command) {
        let mut head = found.head_span();
        let mut text = found.display();
        if matches!(found.manager, Manager::Npm | Manager::Yarn | Manager::Pnpm)
            && found.is(&["run", "run-script"])
            && let Some(script) = found.operands().next()
        {
            head = head.cover(script.span);
            text = format!("{text} {}", script.text);
        }
        let compiles = match found.manager {
            Manager::Go => {
                found.is(&["build"])
                    || found.is(&["install"]) && found.operands().all(|w| !w.text.contains('@'))
            }
            Manager::Cargo => found.is(&["build"]),
            Manager::Maven => found
                .positionals()
                .any(|goal| matches!(goal.text.as_str(), "package" | "install" | "verify")),
            Manager::Gradle => {
                let wrapper = found.program.text.ends_with("gradlew");
                found.positionals().any(|task| {
                    let name = task.text.rsplit(':').next().unwrap_or(&task.text);
                    wrapper || GRADLE_TASKS.contains(&name)
                })
            }
            Manager::Npm => {
                found.is(&["run", "run-script"])
                    && found
                        .operands()
                        .next()
                        .is_some_and(|s| is_build_script(&s.text))
            }
            Manager::Yarn | Manager::Pnpm => {
                found.action.is_some_and(|s| is_build_script(&s.text))
                    || found.is(&["run"])
                        && found
                            .operands()
                            .next()
                            .is_some_and(|s| is_build_script(&s.text))
            }
            _ => false,
        };
        return compiles.then_some((head, text));
    }
    let argv = command.argv();
    let program = argv.first()?;
    let name = program.text.rsplit('/').next().unwrap_or(&program.text);
    let args = &argv[1..];
    let only_version = args.iter().all(|w| {
        matches!(
            w.text.as_str(),
            "--version" | "-v" | "-V" | "--help" | "-dumpversion"
        )
    });
    let compiles = match name {
        "gcc" | "g++" | "cc" | "c++" | "clang" | "clang++" => !args.is_empty() && !only_version,
        "make" => !only_version || args.is_empty(),
        "cmake" => args.iter().any(|w| w.text == "--build"),
        "dotnet" => args
            .iter()
            .find(|w| !w.text.starts_with('-'))
            .is_some_and(|w| w.text == "build" || w.text == "publish"),
        "tsc" => !only_version || args.is_empty(),
        "npx" => args
            .iter()
            .find(|w| !w.text.starts_with('-'))
            .is_some_and(|w| w.text == "tsc"),
        _ => false,
    };
    if !compiles {
        return None;
    }
    let head = match name {
        "dotnet" | "npx" => args
            .iter()
            .find(|w| !w.text.starts_with('-'))
            .map_or(program.span, |w| program.span.cover(w.span)),
        _ => program.span,
    };
    let text = match name {
        "dotnet" | "npx" => args
            .iter()
            .find(|w| !w.text.starts_with('-'))
            .map_or(name.to_owned(), |w| format!("{name} {}", w.text)),
        _ => name.to_owned(),
    };
    Some((head, text))
}

fn is_build_script(name: &str) -> bool {
    name == "build" || name.starts_with("build:")
}

fn check(checker: &mut Checker) {
    if !checker.is_application_image() || !checker.is_single_stage() {
        return;
    }
    // A RUN that compiles and then uninstalls its build dependencies (the docker-library
    // pattern) leaves no toolchain behind.
    let first = shell_runs(checker)
        .filter(|run| checker.in_final_image(run.index))
        .find_map(|run| {
            let (position, found) = run
                .commands
                .iter()
                .enumerate()
                .find_map(|(position, command)| compiles(command).map(|found| (position, found)))?;
            let cleans_up = run.commands[position + 1..]
                .iter()
                .any(|command| invocation(command).is_some_and(|later| is_package_removal(&later)));
            (!cleans_up).then_some(found)
        });
    if let Some((span, name)) = first {
        checker.report(
            Diagnostic::new(
                span,
                format!(
                    "the image compiles with `{name}` in the stage it ships, so the toolchain and sources end up in the final image"
                ),
            )
            .help(
                "build in a `FROM … AS build` stage and `COPY --from=build` only the output into a slim, distroless or scratch runtime stage",
            ),
        );
    }
}
