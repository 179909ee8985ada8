use drydock_dockerfile::{InstructionKind, Keyword, SimpleCommand, Span};
use drydock_findings::{Applicability, Edit, Fix, Severity};

use super::package_managers::{
    CARGO_REGISTRY, CachePlace, GO_MODULE_CACHE, GRADLE_HOME, Invocation, MAVEN_REPOSITORY,
    Manager, invocations, mount_covers,
};
use super::whole_lines;
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD101",
    name: "manifest-copy-before-install",
    summary: "The whole source tree is copied before dependencies are installed",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports a `COPY`/`ADD` of the whole build context (`COPY . .`, `COPY ./ /app`, `ADD . /src`), or
of a directory into the directory where the install runs, when a dependency install comes after
it in the same stage: `npm ci`, `npm install`, `yarn install`, `pnpm install`,
`pip install -r …`, `pipenv install`, `poetry install`, `bundle install`, `go mod download`,
`cargo build`/`cargo fetch`, `mvn dependency:go-offline`/`mvn package`, `gradle <task>`,
`composer install`.

It does not fire when the same stage (or a stage it is built `FROM`) already installed that
ecosystem's dependencies before the copy: that is the manifest-first pattern, and a second
install after the copy only links the project. Copying the manifests first is not enough on its
own: the install has to run *before* the whole tree is copied. For Go, Cargo, Maven and Gradle it
also stays quiet when the install `RUN` has a cache mount on the module cache, registry, `~/.m2`
or `~/.gradle`, since those caches hold the dependencies themselves and the re-run is cheap.

## Why is this bad?
A layer is rebuilt when anything copied before it changes. With the whole tree copied first,
editing any source file invalidates the install layer, and every build downloads and installs
all dependencies again.

## Example
```dockerfile
FROM node:22-slim
WORKDIR /app
COPY . .
RUN npm ci
CMD ["node", "server.js"]
```

Use instead:
```dockerfile
FROM node:22-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
CMD ["node", "server.js"]
```

## How to fix
Copy only the dependency manifests (`package.json` and its lock file, `requirements.txt`,
`Pipfile*`, `pyproject.toml`/`poetry.lock`, `Gemfile*`, `go.mod`/`go.sum`, `Cargo.toml`/
`Cargo.lock`, `pom.xml`, `build.gradle*`, `composer.json`/`composer.lock`), run the install, then
copy the rest of the sources.

## Fix
Unsafe (`drydock lint --fix --unsafe-fixes`), for `COPY . <dir>` followed by a RUN that only
installs (npm, yarn, pnpm, `pip install -r FILE`, pipenv, bundle, `go mod download`): inserts
`COPY <manifests> <dir>/` and the install RUN before the `COPY`, and removes the RUN after it.
Unsafe because the install no longer sees the rest of the sources (a `postinstall` script that
needs them fails).
"#,
    check,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ecosystem {
    Node,
    Python,
    Ruby,
    Go,
    Rust,
    Maven,
    Gradle,
    Php,
}

const ECOSYSTEMS: usize = 8;

/// A dependency install found in a script.
struct Install<'a> {
    ecosystem: Ecosystem,
    invocation: Invocation<'a>,
    /// For `pip install -r FILE`: the file.
    requirements: Option<&'a str>,
}

fn dependency_install<'a>(invocation: Invocation<'a>) -> Option<Install<'a>> {
    let no_operands = || invocation.operands().next().is_none();
    let ecosystem = match invocation.manager {
        Manager::Npm => {
            let installs = invocation.is(&["ci", "clean-install", "install-clean"])
                || invocation.is(&["install", "i", "isntall"])
                    && no_operands()
                    && !invocation.has_flag(Some('g'), &["global"]);
            installs.then_some(Ecosystem::Node)?
        }
        Manager::Yarn => (invocation.action.is_none() || invocation.is(&["install"]))
            .then_some(Ecosystem::Node)?,
        Manager::Pnpm => {
            (invocation.is(&["install", "i"]) && no_operands()).then_some(Ecosystem::Node)?
        }
        Manager::Pip => {
            let requirements = invocation.option_value(&["-r", "--requirement"]);
            if invocation.is(&["install"]) && requirements.is_some() {
                return Some(Install {
                    ecosystem: Ecosystem::Python,
                    invocation,
                    requirements,
                });
            }
            return None;
        }
        Manager::Pipenv => (invocation.is(&["sync"])
            || invocation.is(&["install"]) && no_operands())
        .then_some(Ecosystem::Python)?,
        Manager::Poetry => invocation.is(&["install"]).then_some(Ecosystem::Python)?,
        Manager::Bundle => (invocation.action.is_none() || invocation.is(&["install"]))
            .then_some(Ecosystem::Ruby)?,
        Manager::Go => (invocation.is(&["mod"])
            && invocation
                .operands()
                .next()
                .is_some_and(|w| w.text == "download"))
        .then_some(Ecosystem::Go)?,
        Manager::Cargo => invocation
            .is(&["build", "fetch"])
            .then_some(Ecosystem::Rust)?,
        Manager::Maven => invocation
            .positionals()
            .any(|goal| {
                matches!(
                    goal.text.as_str(),
                    "package" | "install" | "verify" | "compile" | "deploy"
                ) || goal.text.starts_with("dependency:")
            })
            .then_some(Ecosystem::Maven)?,
        Manager::Gradle => invocation.action.is_some().then_some(Ecosystem::Gradle)?,
        Manager::Composer => invocation.is(&["install"]).then_some(Ecosystem::Php)?,
        _ => return None,
    };
    Some(Install {
        ecosystem,
        invocation,
        requirements: None,
    })
}

/// The cache whose mount makes a re-run of the install cheap (the dependencies live there).
fn dependency_store(ecosystem: Ecosystem) -> Option<&'static CachePlace> {
    match ecosystem {
        Ecosystem::Go => Some(&GO_MODULE_CACHE),
        Ecosystem::Rust => Some(&CARGO_REGISTRY),
        Ecosystem::Maven => Some(&MAVEN_REPOSITORY),
        Ecosystem::Gradle => Some(&GRADLE_HOME),
        _ => None,
    }
}

fn help(install: &Install) -> String {
    let command = install_text(install);
    match install.ecosystem {
        Ecosystem::Node => format!(
            "copy `package.json` and its lock file first, run `{command}`, then copy the rest"
        ),
        Ecosystem::Python => match (install.invocation.manager, install.requirements) {
            (Manager::Pip, Some(file)) => {
                format!("copy `{file}` first, run `{command} -r {file}`, then copy the rest")
            }
            (Manager::Pipenv, _) => format!(
                "copy `Pipfile` and `Pipfile.lock` first, run `{command}`, then copy the rest"
            ),
            _ => format!(
                "copy `pyproject.toml` and `poetry.lock` first, run `{command} --no-root`, then copy the rest"
            ),
        },
        Ecosystem::Ruby => {
            format!("copy `Gemfile` and `Gemfile.lock` first, run `{command}`, then copy the rest")
        }
        Ecosystem::Go => {
            "copy `go.mod` and `go.sum` first, run `go mod download`, then copy the rest".into()
        }
        Ecosystem::Rust => "copy `Cargo.toml` and `Cargo.lock` first and build the dependencies \
             (with a stub `src/main.rs`, or cargo-chef), or add \
             `--mount=type=cache,target=/usr/local/cargo/registry`"
            .into(),
        Ecosystem::Maven => {
            "copy `pom.xml` first, run `mvn dependency:go-offline`, then copy the sources".into()
        }
        Ecosystem::Gradle => "copy the `build.gradle*`/`settings.gradle*` files first, run \
             `gradle dependencies`, then copy the sources, or add \
             `--mount=type=cache,target=/root/.gradle`"
            .into(),
        Ecosystem::Php => format!(
            "copy `composer.json` and `composer.lock` first, run `{command} --no-scripts --no-autoloader`, then copy the rest"
        ),
    }
}

fn install_text(install: &Install) -> String {
    let invocation = &install.invocation;
    let program = match invocation.manager {
        Manager::Pip => "pip",
        _ => invocation
            .program
            .text
            .rsplit('/')
            .next()
            .unwrap_or(&invocation.program.text),
    };
    match invocation.manager {
        Manager::Go => "go mod download".into(),
        Manager::Maven | Manager::Gradle => {
            let goals: Vec<&str> = invocation
                .positionals()
                .map(|goal| goal.text.as_str())
                .collect();
            format!("{program} {}", goals.join(" "))
        }
        _ if invocation.action.is_none() => program.to_string(),
        _ => format!("{program} {}", invocation.action()),
    }
}

/// Joins `path` onto the directory `base` and normalises it (`.`/`..`/trailing `/`).
fn resolve(base: &str, path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let absolute = path.starts_with('/') || base.starts_with('/');
    let joined = if path.starts_with('/') {
        [path, ""]
    } else {
        [base, path]
    };
    for part in joined.iter().flat_map(|p| p.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    let mut out = String::new();
    if absolute {
        out.push('/');
    }
    out.push_str(&parts.join("/"));
    out
}

fn strip_quotes(text: &str) -> &str {
    let text = text.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            return inner;
        }
    }
    text
}

/// A source that is the whole build context.
fn is_whole_context(source: &str) -> bool {
    matches!(source, "." | "./" | "*" | "./*" | "./." | "/" | "")
}

/// A source that looks like a directory: it ends with `/`, or it is the only source, has no
/// extension, and is not a well-known extensionless file (`gradlew`, `Gemfile`, `LICENSE`).
fn is_directory_like(source: &str, only_source: bool) -> bool {
    if source.contains(['*', '?', '[', '$', ':']) || source.starts_with("<<") {
        return false;
    }
    if source.ends_with('/') {
        return true;
    }
    let name = source.rsplit('/').next().unwrap_or(source);
    only_source
        && !name.contains('.')
        && !name.bytes().all(|b| !b.is_ascii_lowercase())
        && !matches!(
            name,
            "gradlew"
                | "mvnw"
                | "Gemfile"
                | "Pipfile"
                | "Makefile"
                | "Dockerfile"
                | "Procfile"
                | "Rakefile"
                | "Jenkinsfile"
                | "Vagrantfile"
                | "Caddyfile"
                | "Justfile"
                | "Brewfile"
                | "Podfile"
                | "Containerfile"
        )
}

enum CopyKind {
    Whole,
    /// A directory whose contents land in this (resolved) directory.
    Directory(String),
}

struct BroadCopy {
    index: usize,
    kind: CopyKind,
    /// What to name in the message: the source as written.
    source: String,
}

/// The directory an install at `position` of the script reads its manifests from.
fn install_dir(
    commands: &[SimpleCommand],
    position: usize,
    workdir: &str,
    install: &Install,
) -> String {
    let mut dir = workdir.to_owned();
    for command in &commands[..position] {
        if command.program() == Some("cd")
            && let Some(target) = command.arguments().first()
            && !target.text.starts_with('-')
        {
            dir = resolve(&dir, &target.text);
        }
    }
    if let Some(file) = install.requirements {
        let file = resolve(&dir, file);
        return match file.rfind('/') {
            Some(0) => "/".into(),
            Some(at) => file[..at].to_owned(),
            None => String::new(),
        };
    }
    dir
}

fn check(checker: &mut Checker) {
    let graph = checker.graph;
    let file = checker.file;
    let mut reported: Vec<usize> = Vec::new();
    for stage in 0..graph.stages.len() {
        let chain = graph.ancestry(stage);
        // (instruction index) of the first install of each ecosystem seen along the chain.
        let mut first_install: [Option<usize>; ECOSYSTEMS] = [None; ECOSYSTEMS];
        let mut copies: Vec<BroadCopy> = Vec::new();
        let mut workdir = String::new();
        for &member in chain.iter().rev() {
            let range = graph.stages[member].instructions.clone();
            for index in range {
                let instruction = &file.instructions[index];
                match &instruction.kind {
                    InstructionKind::Workdir(word) => {
                        workdir = resolve(&workdir, strip_quotes(&word.text));
                    }
                    InstructionKind::Copy(copy) | InstructionKind::Add(copy) => {
                        if instruction.flag("from").is_some() {
                            continue;
                        }
                        let destination = resolve(&workdir, strip_quotes(&copy.destination.text));
                        for source in &copy.sources {
                            let text = strip_quotes(&source.text);
                            let kind = if is_whole_context(text) {
                                CopyKind::Whole
                            } else if is_directory_like(text, copy.sources.len() == 1) {
                                CopyKind::Directory(destination.clone())
                            } else {
                                continue;
                            };
                            copies.push(BroadCopy {
                                index,
                                kind,
                                source: text.to_owned(),
                            });
                            break;
                        }
                    }
                    InstructionKind::Run(run) => {
                        let Some(shell) = &run.shell else { continue };
                        for (position, invocation) in invocations(&shell.commands) {
                            let Some(install) = dependency_install(invocation) else {
                                continue;
                            };
                            let slot = install.ecosystem as usize;
                            let first = *first_install[slot].get_or_insert(index);
                            if dependency_store(install.ecosystem)
                                .is_some_and(|place| mount_covers(checker, index, run, place))
                            {
                                continue;
                            }
                            let dir = install_dir(&shell.commands, position, &workdir, &install);
                            for copy in &copies {
                                // An install of the same ecosystem before the copy means the
                                // manifest-first pattern is in place.
                                if copy.index >= index || first < copy.index {
                                    continue;
                                }
                                if reported.contains(&copy.index) {
                                    continue;
                                }
                                let matches = match &copy.kind {
                                    CopyKind::Whole => true,
                                    CopyKind::Directory(landing) => *landing == dir,
                                };
                                if !matches {
                                    continue;
                                }
                                reported.push(copy.index);
                                let copy_instruction = &file.instructions[copy.index];
                                let span = copy_instruction
                                    .keyword_span
                                    .cover(copy_instruction.arguments_span);
                                let keyword = copy_instruction.keyword.as_str();
                                let what = match copy.kind {
                                    CopyKind::Whole => "the whole build context",
                                    CopyKind::Directory(_) => "a source directory",
                                };
                                let message = format!(
                                    "`{keyword} {}` brings in {what} before `{}` installs dependencies, so any source change reinstalls them",
                                    copy.source,
                                    install_text(&install),
                                );
                                let fix = (matches!(copy.kind, CopyKind::Whole)
                                    && shell.commands.len() == 1)
                                    .then(|| split_copy(checker, copy.index, index, &install))
                                    .flatten();
                                checker.report(
                                    Diagnostic::new(span, message)
                                        .help(help(&install))
                                        .with_fix(fix),
                                );
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The files an install reads, as `COPY` sources (globs where a file may be missing), when the
/// install needs nothing else from the source tree.
fn manifests(install: &Install) -> Option<String> {
    match (install.ecosystem, install.invocation.manager) {
        (Ecosystem::Node, Manager::Npm) => Some("package*.json".into()),
        (Ecosystem::Node, Manager::Yarn) => Some("package.json yarn.lock*".into()),
        (Ecosystem::Node, Manager::Pnpm) => Some("package.json pnpm-lock.yaml*".into()),
        (Ecosystem::Python, Manager::Pip) => install
            .requirements
            .filter(|file| !file.contains(['/', '$', '"', '\'', '*']))
            .map(str::to_string),
        (Ecosystem::Python, Manager::Pipenv) => Some("Pipfile Pipfile.lock*".into()),
        (Ecosystem::Ruby, _) => Some("Gemfile Gemfile.lock*".into()),
        (Ecosystem::Go, _) => Some("go.mod go.sum*".into()),
        _ => None,
    }
}

/// Unsafe: copy the dependency manifests and run the install before `COPY . <dest>`, whose RUN
/// (only the install) moves up. Unsafe because the install then runs without the rest of the
/// sources (a `postinstall` script that needs them fails). Only when the COPY and the RUN are
/// whole lines and only ENV, ARG, LABEL or EXPOSE stand between them.
fn split_copy(
    checker: &Checker,
    copy_index: usize,
    run_index: usize,
    install: &Install,
) -> Option<Fix> {
    let files = manifests(install)?;
    let source = checker.source();
    let instructions = &checker.file.instructions;
    let copy = &instructions[copy_index];
    let run = &instructions[run_index];
    let InstructionKind::Copy(arguments) = &copy.kind else {
        return None;
    };
    let between_ok = instructions[copy_index + 1..run_index].iter().all(|i| {
        matches!(
            i.keyword,
            Keyword::Env | Keyword::Arg | Keyword::Label | Keyword::Expose
        )
    });
    if !between_ok
        || arguments.json
        || copy.span.text(source).contains('\n')
        || !run.heredocs.is_empty()
        || copy
            .flags
            .iter()
            .any(|flag| !["chown", "chmod", "link"].contains(&flag.name.as_str()))
    {
        return None;
    }
    let copy_lines = whole_lines(source, copy.span)?;
    let mut run_lines = whole_lines(source, run.span)?;
    // Comment lines right above the RUN (notes, pragmas) move with it.
    while let Some(above) = source[..run_lines.start.saturating_sub(1)]
        .rfind('\n')
        .map(|i| i + 1)
        .or((run_lines.start > 0).then_some(0))
        .filter(|&start| start >= copy_lines.end)
        && source[above..run_lines.start].trim_start().starts_with('#')
    {
        run_lines.start = above;
    }
    let destination = strip_quotes(&arguments.destination.text);
    if destination.contains(['$', ' ']) {
        return None;
    }
    let destination = format!("{}/", destination.trim_end_matches('/'));
    let keyword_and_flags = Span::new(copy.span.start, copy.arguments_span.start).text(source);
    let mut moved = format!("{keyword_and_flags}{files} {destination}\n");
    moved.push_str(run_lines.text(source));
    if !moved.ends_with('\n') {
        moved.push('\n');
    }
    Some(Fix {
        message: format!(
            "copy `{files}` and run `{}` before copying the rest",
            install_text(install)
        ),
        applicability: Applicability::Unsafe,
        edits: vec![
            Edit::insert(copy_lines.start, moved),
            Edit::delete(run_lines),
        ],
    })
}
