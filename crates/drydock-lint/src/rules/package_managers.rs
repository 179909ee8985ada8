//! Shared queries of the build-speed and layer-hygiene rules: which package manager a shell
//! command runs and with which subcommand, where each manager keeps its download cache, whether
//! a `RUN --mount` or a later `rm` covers that cache, and the ENV/USER a RUN sees.
//!
//! Everything here reads the parsed shell commands of RUN instructions; nothing re-parses text.

use drydock_dockerfile::{
    Instruction, InstructionKind, MountType, Run, ShellWord, SimpleCommand, Span,
};

use drydock_findings::{Applicability, Edit, Fix};

use crate::{Checker, Diagnostic};

/// A RUN instruction (not an ONBUILD trigger, which runs in a downstream build) whose script is
/// shell: its simple commands in execution order.
pub(crate) struct ShellRun<'a> {
    pub index: usize,
    pub run: &'a Run,
    pub commands: &'a [SimpleCommand],
}

/// Every shell-form (or shell heredoc) RUN of the file, in order.
pub(crate) fn shell_runs<'a>(
    checker: &Checker<'a>,
) -> impl Iterator<Item = ShellRun<'a>> + use<'a> {
    checker
        .file
        .instructions
        .iter()
        .enumerate()
        .filter_map(|(index, instruction)| match &instruction.kind {
            InstructionKind::Run(run) => run.shell.as_ref().map(|shell| ShellRun {
                index,
                run,
                commands: &shell.commands,
            }),
            _ => None,
        })
}

/// A package manager or build tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Manager {
    Apt,
    Apk,
    Yum,
    Dnf,
    Microdnf,
    Zypper,
    Pip,
    Pipenv,
    Poetry,
    Npm,
    Yarn,
    Pnpm,
    Go,
    Cargo,
    Maven,
    Gradle,
    Composer,
    Bundle,
    Gem,
}

impl Manager {
    /// Options that take the next word as their value (so it is not a subcommand or package).
    fn options_with_values(self) -> &'static [&'static str] {
        match self {
            Manager::Apt => &[
                "-o",
                "-c",
                "-t",
                "-a",
                "--option",
                "--config-file",
                "--target-release",
                "--default-release",
                "--host-architecture",
            ],
            Manager::Apk => &[
                "-X",
                "--repository",
                "-p",
                "--root",
                "--arch",
                "--cache-dir",
                "--keys-dir",
                "--repositories-file",
                "--virtual",
                "-t",
                "--progress-fd",
                "--wait",
                "--cache-max-age",
            ],
            Manager::Yum | Manager::Dnf | Manager::Microdnf => &[
                "-c",
                "--config",
                "--installroot",
                "--releasever",
                "-x",
                "--exclude",
                "--enablerepo",
                "--disablerepo",
                "--repo",
                "--repoid",
                "--setopt",
                "-d",
                "--debuglevel",
                "-e",
                "--errorlevel",
                "--forcearch",
                "--downloaddir",
                "--destdir",
                "--repofrompath",
                "--rpmverbosity",
                "--use-host-config",
            ],
            Manager::Zypper => &[
                "-r",
                "--repo",
                "-R",
                "--root",
                "-D",
                "--reposd-dir",
                "-C",
                "--cache-dir",
                "--raw-cache-dir",
                "--solv-cache-dir",
                "--pkg-cache-dir",
                "-t",
                "--type",
            ],
            Manager::Pip => &[
                "-r",
                "--requirement",
                "-c",
                "--constraint",
                "-i",
                "--index-url",
                "--extra-index-url",
                "-f",
                "--find-links",
                "-t",
                "--target",
                "--prefix",
                "--root",
                "--trusted-host",
                "--cache-dir",
                "--src",
                "--platform",
                "--python-version",
                "--implementation",
                "--abi",
                "--progress-bar",
                "--log",
                "--proxy",
                "--retries",
                "--timeout",
                "--exists-action",
                "--cert",
                "--client-cert",
                "--upgrade-strategy",
                "--no-binary",
                "--only-binary",
                "--global-option",
                "--install-option",
                "--config-settings",
                "-C",
                "--python",
                "-e",
                "--editable",
            ],
            Manager::Pipenv => &["--python"],
            Manager::Poetry => &[
                "--only",
                "--with",
                "--without",
                "-E",
                "--extras",
                "-C",
                "--directory",
            ],
            Manager::Npm => &[
                "--prefix",
                "-w",
                "--workspace",
                "--registry",
                "--cache",
                "--loglevel",
                "--omit",
                "--include",
                "--userconfig",
            ],
            Manager::Yarn => &[
                "--cwd",
                "--cache-folder",
                "--modules-folder",
                "--network-timeout",
                "--registry",
                "--mutex",
            ],
            Manager::Pnpm => &["-C", "--dir", "--filter", "-F", "--store-dir", "--reporter"],
            Manager::Go => &[
                "-o",
                "-C",
                "-tags",
                "-ldflags",
                "-gcflags",
                "-asmflags",
                "-mod",
                "-modfile",
                "-p",
                "-pkgdir",
                "-buildmode",
                "-compiler",
                "-installsuffix",
                "-overlay",
                "-pgo",
                "-exec",
            ],
            Manager::Cargo => &[
                "-p",
                "--package",
                "--target",
                "--target-dir",
                "--features",
                "-F",
                "--bin",
                "--example",
                "--manifest-path",
                "-j",
                "--jobs",
                "--profile",
                "--config",
                "-Z",
                "--color",
                "--message-format",
                "--root",
                "--path",
                "--git",
                "--branch",
                "--tag",
                "--rev",
                "--version",
                "--index",
                "--registry",
            ],
            Manager::Maven => &[
                "-f",
                "--file",
                "-s",
                "--settings",
                "-gs",
                "--global-settings",
                "-P",
                "--activate-profiles",
                "-pl",
                "--projects",
                "-T",
                "--threads",
                "-rf",
                "--resume-from",
                "-l",
                "--log-file",
                "-t",
                "--toolchains",
                "-D",
                "-b",
                "--builder",
            ],
            Manager::Gradle => &[
                "-p",
                "--project-dir",
                "-b",
                "--build-file",
                "-c",
                "--settings-file",
                "-x",
                "--exclude-task",
                "-g",
                "--gradle-user-home",
                "-I",
                "--init-script",
                "-D",
                "-P",
                "--console",
                "--warning-mode",
                "--max-workers",
            ],
            Manager::Composer => &["-d", "--working-dir"],
            Manager::Bundle => &[
                "--path",
                "--without",
                "--with",
                "--jobs",
                "-j",
                "--retry",
                "--gemfile",
                "--binstubs",
                "--deployment-path",
            ],
            Manager::Gem => &[
                "-v",
                "--version",
                "-i",
                "--install-dir",
                "-n",
                "--bindir",
                "-s",
                "--source",
                "-p",
                "--http-proxy",
                "--platform",
                "-P",
                "--trust-policy",
                "-g",
                "--file",
                "--build-root",
            ],
        }
    }
}

/// One run of a package manager or build tool inside a RUN script.
pub(crate) struct Invocation<'a> {
    pub manager: Manager,
    pub command: &'a SimpleCommand,
    /// The program word (`python` of `python -m pip`).
    pub program: &'a ShellWord,
    /// The words after the program (after `-m pip` for `python -m pip`).
    pub args: &'a [ShellWord],
    /// The first positional word: `install` in `apt-get -y install curl`.
    pub action: Option<&'a ShellWord>,
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `pip`, `pip3`, `pip3.12`.
fn is_pip_name(name: &str) -> bool {
    name.strip_prefix("pip")
        .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

/// `python`, `python3`, `python3.12`.
fn is_python_name(name: &str) -> bool {
    name.strip_prefix("python")
        .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

/// The package manager `command` runs, if any.
pub(crate) fn invocation(command: &SimpleCommand) -> Option<Invocation<'_>> {
    let argv = command.argv();
    let (program, rest) = argv.split_first()?;
    let name = basename(&program.text);
    let (manager, args) = match name {
        "apt-get" | "apt" => (Manager::Apt, rest),
        "apk" => (Manager::Apk, rest),
        "yum" => (Manager::Yum, rest),
        "dnf" | "dnf5" | "dnf-3" => (Manager::Dnf, rest),
        "microdnf" => (Manager::Microdnf, rest),
        "zypper" => (Manager::Zypper, rest),
        "pipenv" => (Manager::Pipenv, rest),
        "poetry" => (Manager::Poetry, rest),
        "npm" => (Manager::Npm, rest),
        "yarn" => (Manager::Yarn, rest),
        "pnpm" => (Manager::Pnpm, rest),
        "go" => (Manager::Go, rest),
        "cargo" => (Manager::Cargo, rest),
        "mvn" | "mvnw" => (Manager::Maven, rest),
        "gradle" | "gradlew" => (Manager::Gradle, rest),
        "composer" => (Manager::Composer, rest),
        "bundle" | "bundler" => (Manager::Bundle, rest),
        "gem" => (Manager::Gem, rest),
        _ if is_pip_name(name) => (Manager::Pip, rest),
        _ if is_python_name(name) => match rest {
            [flag, module, args @ ..] if flag.text == "-m" && is_pip_name(&module.text) => {
                (Manager::Pip, args)
            }
            _ => return None,
        },
        _ => return None,
    };
    let mut invocation = Invocation {
        manager,
        command,
        program,
        args,
        action: None,
    };
    invocation.action = invocation.positionals().next();
    Some(invocation)
}

/// Every package-manager invocation of a script, with its position in `commands`.
pub(crate) fn invocations(
    commands: &[SimpleCommand],
) -> impl Iterator<Item = (usize, Invocation<'_>)> {
    commands
        .iter()
        .enumerate()
        .filter_map(|(position, command)| invocation(command).map(|found| (position, found)))
}

impl<'a> Invocation<'a> {
    /// The subcommand text, `""` when there is none (`yarn`, `mvn -v`).
    pub fn action(&self) -> &'a str {
        self.action.map_or("", |word| word.text.as_str())
    }

    /// How to name the command in a message: `apt-get install`, `python3 -m pip install`.
    pub fn display(&self) -> String {
        let mut text = basename(&self.program.text).to_owned();
        if self.manager == Manager::Pip && !is_pip_name(&text) {
            text.push_str(" -m pip");
        }
        if let Some(action) = self.action {
            text.push(' ');
            text.push_str(&action.text);
            // `go mod download`, `npm cache clean`.
            if matches!(action.text.as_str(), "mod" | "cache")
                && let Some(next) = self.operands().next()
            {
                text.push(' ');
                text.push_str(&next.text);
            }
        }
        text
    }

    /// Whether the subcommand is one of `actions`.
    pub fn is(&self, actions: &[&str]) -> bool {
        self.action
            .is_some_and(|word| actions.contains(&word.text.as_str()))
    }

    /// From the program word to the subcommand (`apt-get -y install`): what findings point at.
    pub fn head_span(&self) -> Span {
        match self.action {
            Some(action) => self.program.span.cover(action.span),
            None => self.program.span,
        }
    }

    /// A safe fix that writes ` option` right after the subcommand (`apt-get install -y`), when
    /// the subcommand is written as one plain word.
    pub fn option_fix(&self, option: &str) -> Option<Fix> {
        let action = self.action?;
        (action.span.len() == action.raw.len()).then(|| Fix {
            message: format!("add `{option}` to `{}`", self.display()),
            applicability: Applicability::Safe,
            edits: vec![Edit::insert(action.span.end, format!(" {option}"))],
        })
    }

    /// Words that are neither options nor option values (the subcommand first).
    pub fn positionals(&self) -> impl Iterator<Item = &'a ShellWord> + 'a {
        let takes_value = self.manager.options_with_values();
        let cargo = self.manager == Manager::Cargo;
        let mut skip_next = false;
        let mut after_dashes = false;
        self.args.iter().filter(move |word| {
            let text = word.text.as_str();
            if after_dashes {
                return true;
            }
            if std::mem::take(&mut skip_next) {
                return false;
            }
            if text == "--" {
                after_dashes = true;
                return false;
            }
            if text.starts_with('-') && text.len() > 1 {
                skip_next = takes_value.contains(&text);
                return false;
            }
            // `cargo +nightly build`.
            !(cargo && text.starts_with('+'))
        })
    }

    /// Positional words after the subcommand: packages, goals, targets.
    pub fn operands(&self) -> impl Iterator<Item = &'a ShellWord> + 'a {
        self.positionals().skip(1)
    }

    /// Whether an option is given: `short` also inside combined flags (`-qy`), `long` as
    /// `--name` or `--name=value`.
    pub fn has_flag(&self, short: Option<char>, long: &[&str]) -> bool {
        for word in self.args {
            let text = word.text.as_str();
            if text == "--" {
                return false;
            }
            if let Some(name) = text.strip_prefix("--") {
                let name = name.split_once('=').map_or(name, |(name, _)| name);
                if long.contains(&name) {
                    return true;
                }
            } else if let (Some(letters), Some(short)) = (text.strip_prefix('-'), short)
                && letters.starts_with(|c: char| c.is_ascii_alphabetic())
                && letters.contains(short)
            {
                return true;
            }
        }
        false
    }

    /// The value of an option given as `--name value`, `--name=value` or `-n value`.
    pub fn option_value(&self, names: &[&str]) -> Option<&'a str> {
        for (position, word) in self.args.iter().enumerate() {
            let text = word.text.as_str();
            if text == "--" {
                return None;
            }
            if names.contains(&text) {
                return self.args.get(position + 1).map(|value| value.text.as_str());
            }
            if let Some((name, value)) = text.split_once('=')
                && names.contains(&name)
            {
                return Some(value);
            }
        }
        None
    }

    /// The word holding an option's value (for pointing at it).
    pub fn option_value_word(&self, names: &[&str]) -> Option<&'a ShellWord> {
        for (position, word) in self.args.iter().enumerate() {
            let text = word.text.as_str();
            if text == "--" {
                return None;
            }
            if names.contains(&text) {
                return self.args.get(position + 1);
            }
            if text
                .split_once('=')
                .is_some_and(|(name, _)| names.contains(&name))
            {
                return Some(word);
            }
        }
        None
    }
}

/// Whether `invocation` uninstalls system packages (`apk del`, `apt-get purge|remove|autoremove`,
/// `dnf|yum|microdnf remove|erase|autoremove`).
pub(crate) fn is_package_removal(invocation: &Invocation) -> bool {
    match invocation.manager {
        Manager::Apt => invocation.is(&["purge", "remove", "autoremove"]),
        Manager::Apk => invocation.is(&["del"]),
        Manager::Yum | Manager::Dnf | Manager::Microdnf => {
            invocation.is(&["remove", "erase", "autoremove"])
        }
        _ => false,
    }
}

/// A package name without its version pin: `gcc=4:12.2` → `gcc`, `curl~8` → `curl`.
pub(crate) fn package_name(word: &str) -> &str {
    let end = word.find(['=', '~', '>', '<']).unwrap_or(word.len());
    &word[..end]
}

// ---------------------------------------------------------------------------------------------
// Cache directories.

/// Where a package manager keeps a cache, in the forms a mount target or `rm` argument may take.
pub(crate) struct CachePlace {
    /// What to suggest as a mount target when the RUN runs as root.
    pub suggested: &'static str,
    /// Absolute paths of the cache (any of them counts).
    pub paths: &'static [&'static str],
    /// Path endings that identify the cache under any home or prefix (`/.cache/pip` matches
    /// `$HOME/.cache/pip`, `/home/app/.cache/pip`, `~/.cache/pip`).
    pub endings: &'static [&'static str],
    /// Environment variables whose value is the cache directory.
    pub env: &'static [&'static str],
}

pub(crate) const APT_LISTS: CachePlace = CachePlace {
    suggested: "/var/lib/apt",
    paths: &["/var/lib/apt/lists"],
    endings: &[],
    env: &[],
};

pub(crate) const APT_ARCHIVES: CachePlace = CachePlace {
    suggested: "/var/cache/apt",
    paths: &["/var/cache/apt"],
    endings: &[],
    env: &[],
};

pub(crate) const ZYPP_CACHE: CachePlace = CachePlace {
    suggested: "/var/cache/zypp",
    paths: &["/var/cache/zypp"],
    endings: &[],
    env: &[],
};

pub(crate) const APK_CACHE: CachePlace = CachePlace {
    suggested: "/var/cache/apk",
    paths: &["/var/cache/apk", "/etc/apk/cache"],
    endings: &[],
    env: &[],
};

pub(crate) const YUM_CACHE: CachePlace = CachePlace {
    suggested: "/var/cache/yum",
    paths: &["/var/cache/yum", "/var/cache/dnf"],
    endings: &[],
    env: &[],
};

pub(crate) const DNF_CACHE: CachePlace = CachePlace {
    suggested: "/var/cache/dnf",
    paths: &["/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/yum"],
    endings: &[],
    env: &[],
};

pub(crate) const PIP_CACHE: CachePlace = CachePlace {
    suggested: "/root/.cache/pip",
    paths: &["/root/.cache/pip"],
    endings: &["/.cache/pip"],
    env: &["PIP_CACHE_DIR"],
};

pub(crate) const NPM_CACHE: CachePlace = CachePlace {
    suggested: "/root/.npm",
    paths: &["/root/.npm"],
    endings: &["/.npm"],
    env: &["npm_config_cache", "NPM_CONFIG_CACHE"],
};

pub(crate) const YARN_CACHE: CachePlace = CachePlace {
    suggested: "/usr/local/share/.cache/yarn",
    paths: &["/usr/local/share/.cache/yarn"],
    endings: &["/.cache/yarn", "/.yarn/cache", "/.yarn/berry/cache"],
    env: &["YARN_CACHE_FOLDER", "YARN_GLOBAL_FOLDER"],
};

pub(crate) const PNPM_STORE: CachePlace = CachePlace {
    suggested: "/root/.local/share/pnpm/store",
    paths: &["/root/.local/share/pnpm/store", "/pnpm/store"],
    endings: &["/pnpm/store", "/.pnpm-store", "/pnpm-store", "/.cache/pnpm"],
    env: &["PNPM_HOME", "npm_config_store_dir"],
};

pub(crate) const GO_BUILD_CACHE: CachePlace = CachePlace {
    suggested: "/root/.cache/go-build",
    paths: &["/root/.cache/go-build"],
    endings: &["/.cache/go-build", "/go-build"],
    env: &["GOCACHE"],
};

pub(crate) const GO_MODULE_CACHE: CachePlace = CachePlace {
    suggested: "/go/pkg/mod",
    paths: &["/go/pkg/mod"],
    endings: &["/pkg/mod"],
    env: &["GOMODCACHE"],
};

pub(crate) const CARGO_REGISTRY: CachePlace = CachePlace {
    suggested: "/usr/local/cargo/registry",
    paths: &["/usr/local/cargo/registry", "/root/.cargo/registry"],
    endings: &["/cargo/registry", "/.cargo/registry"],
    env: &[],
};

pub(crate) const MAVEN_REPOSITORY: CachePlace = CachePlace {
    suggested: "/root/.m2",
    paths: &["/root/.m2/repository"],
    endings: &["/.m2/repository", "/.m2"],
    env: &[],
};

pub(crate) const GRADLE_HOME: CachePlace = CachePlace {
    suggested: "/root/.gradle",
    paths: &["/root/.gradle/caches"],
    endings: &["/.gradle/caches", "/.gradle"],
    env: &["GRADLE_USER_HOME"],
};

/// `path` without trailing `/`, `/*`, `/.` or `/**`.
fn trim_path(path: &str) -> &str {
    let mut path = path.trim();
    loop {
        let trimmed = path
            .strip_suffix("/*")
            .or_else(|| path.strip_suffix("/."))
            .or_else(|| path.strip_suffix('/'))
            .or_else(|| path.strip_suffix("/**"))
            .unwrap_or(path);
        if trimmed.len() == path.len() {
            return path;
        }
        path = trimmed;
    }
}

/// Whether `dir` is `path` or one of its parent directories (never `/` itself).
fn is_path_or_parent(dir: &str, path: &str) -> bool {
    !dir.is_empty()
        && (dir == path
            || path
                .strip_prefix(dir)
                .is_some_and(|rest| rest.starts_with('/')))
}

/// Whether the directory `written` (a mount target or `rm` argument, as written) is the cache
/// directory of `place` or a parent of it. `env` gives the value of a variable at that point.
pub(crate) fn covers(
    written: &str,
    place: &CachePlace,
    env: &dyn Fn(&str) -> Option<String>,
) -> bool {
    let dir = trim_path(written);
    if dir.is_empty() || dir == "/" {
        return false;
    }
    if place.paths.iter().any(|path| is_path_or_parent(dir, path)) {
        return true;
    }
    // Endings match the directory itself or (for `/.cache` of `/.cache/pip`) a parent inside
    // the home directory; the home part is anything (`~`, `$HOME`, `/home/app`).
    for ending in place.endings {
        let mut suffix = *ending;
        loop {
            if dir.ends_with(suffix) || dir == &suffix[1..] {
                return true;
            }
            match suffix.rfind('/') {
                Some(at) if at > 0 => suffix = &suffix[..at],
                _ => break,
            }
        }
    }
    for name in place.env {
        if dir.contains('$')
            && (dir.contains(&format!("${name}")) || dir.contains(&format!("${{{name}}}")))
        {
            return true;
        }
        if let Some(value) = env(name) {
            let value = trim_path(&value);
            if !value.is_empty() && is_path_or_parent(dir, value) {
                return true;
            }
        }
    }
    false
}

/// Whether the directory `written` lies inside the cache directory of `place` (a mount on
/// `/go/pkg/mod/cache` or `/var/cache/apt/archives` keeps the part that matters).
pub(crate) fn inside(written: &str, place: &CachePlace) -> bool {
    let dir = trim_path(written);
    place.paths.iter().any(|path| {
        dir.strip_prefix(path)
            .is_some_and(|rest| rest.starts_with('/'))
    }) || place
        .endings
        .iter()
        .any(|ending| dir.contains(&format!("{ending}/")))
}

/// Whether a cache or tmpfs mount of `run` covers `place`: then nothing the manager caches stays
/// in the layer.
pub(crate) fn mount_covers(checker: &Checker, index: usize, run: &Run, place: &CachePlace) -> bool {
    run.mounts.iter().any(|mount| {
        matches!(mount.mount_type, MountType::Cache | MountType::Tmpfs)
            && mount.target().is_some_and(|target| {
                covers(target, place, &|name| env_value(checker, index, name))
            })
    })
}

/// Whether a command after position `after` deletes `place`: `rm -rf <dir>[/*]` or
/// `find <dir> … -delete`.
pub(crate) fn removes_after(commands: &[SimpleCommand], after: usize, place: &CachePlace) -> bool {
    let no_env = |_: &str| None;
    commands.iter().skip(after + 1).any(|command| {
        let argv = command.argv();
        let Some(program) = argv.first().map(|word| basename(&word.text)) else {
            return false;
        };
        let args = &argv[1..];
        match program {
            "rm" => args
                .iter()
                .filter(|word| !word.text.starts_with('-'))
                .any(|word| covers(&word.text, place, &no_env)),
            "find" => {
                args.first()
                    .is_some_and(|word| covers(&word.text, place, &no_env))
                    && args
                        .iter()
                        .any(|word| word.text == "-delete" || word.text == "rm")
            }
            _ => false,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// What a RUN sees: ENV/ARG values and the user.

/// The instructions of the stage of `index` and the stages it is built FROM, farthest first,
/// stopping before `index`.
pub(crate) fn preceding<'a>(
    checker: &Checker<'a>,
    index: usize,
) -> impl Iterator<Item = &'a Instruction> + use<'a> {
    let graph = checker.graph;
    let file = checker.file;
    let chain = graph
        .stage_of(index)
        .map(|stage| graph.ancestry(stage))
        .unwrap_or_default();
    chain.into_iter().rev().flat_map(move |stage| {
        let range = graph.stages[stage].instructions.clone();
        let end = range.end.min(index);
        file.instructions[range.start..end.max(range.start)].iter()
    })
}

fn unquote(text: &str) -> &str {
    let text = text.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            return inner;
        }
    }
    text
}

/// The value `ENV` (or an `ARG` default) gives `name` before instruction `index`, in its stage
/// or the stages it is built FROM. The text as written, quotes removed, not expanded.
pub(crate) fn env_value(checker: &Checker, index: usize, name: &str) -> Option<String> {
    let mut value = None;
    for instruction in preceding(checker, index) {
        match &instruction.kind {
            InstructionKind::Env(pairs) => {
                for pair in pairs.iter().filter(|pair| pair.key.text == name) {
                    value = Some(unquote(&pair.value.text));
                }
            }
            InstructionKind::Arg(declarations) => {
                for declaration in declarations.iter().filter(|d| d.name.text == name) {
                    if let Some(default) = &declaration.default {
                        value = Some(unquote(&default.text));
                    }
                }
            }
            _ => {}
        }
    }
    value.map(str::to_owned)
}

/// Whether the script sets `name` for the command at `position`: `NAME=x cmd`, `env NAME=x cmd`
/// or an earlier `export NAME=x`.
pub(crate) fn set_in_script(commands: &[SimpleCommand], position: usize, name: &str) -> bool {
    let assigns = |word: &ShellWord| {
        word.text
            .split_once('=')
            .is_some_and(|(key, value)| key == name && !value.is_empty())
    };
    let Some(command) = commands.get(position) else {
        return false;
    };
    if command.assignments.iter().any(assigns) {
        return true;
    }
    let argv_start = command.words.len() - command.argv().len();
    if command.words[..argv_start].iter().any(assigns) {
        return true;
    }
    commands[..position].iter().any(|earlier| {
        earlier.program() == Some("export") && earlier.arguments().iter().any(assigns)
    })
}

/// The `USER` in effect at instruction `index` (its stage or the stages it is built FROM), as
/// written; `None` when no USER is set (the base image's user, usually root).
pub(crate) fn user_before<'a>(checker: &Checker<'a>, index: usize) -> Option<&'a str> {
    preceding(checker, index)
        .filter_map(|instruction| match &instruction.kind {
            InstructionKind::User(word) => Some(word.text.as_str()),
            _ => None,
        })
        .last()
}

/// Whether a USER value names root (`root`, `0`, `root:root`, `0:0`).
pub(crate) fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name == "root" || name == "0"
}

/// Whether the RUN at `index` runs as a user other than root.
pub(crate) fn runs_as_non_root(checker: &Checker, index: usize) -> bool {
    user_before(checker, index).is_some_and(|user| !is_root(user))
}

/// The rules that flag an install whose download cache stays in a shipped layer (yum, dnf, npm,
/// yarn) differ only in these.
pub(crate) struct CacheLeft {
    /// Does this invocation install packages that fill the cache?
    pub installs: fn(&Invocation) -> bool,
    /// Does a later command of the RUN clean the cache (`yum clean all`, `npm cache clean`)?
    pub cleans_after: fn(&[SimpleCommand], usize) -> bool,
    pub cache: &'static CachePlace,
    /// The clean-up command to recommend for this invocation, e.g. `yum clean all`.
    pub cleanup: fn(&Invocation) -> &'static str,
    /// Whose cache it is, e.g. `yum's`.
    pub owner: &'static str,
}

/// Report the first install of each shipped RUN that leaves its cache behind: not cleaned after,
/// not removed with `rm`, not on a cache or tmpfs mount. One clean-up at the end of the RUN fixes
/// every install before it, hence one finding per RUN.
pub(crate) fn report_cache_left(checker: &mut Checker, rule: &CacheLeft) {
    let mut findings = Vec::new();
    for run in shell_runs(checker) {
        if !checker.in_final_image(run.index) {
            continue;
        }
        let left = invocations(run.commands).find(|(position, invocation)| {
            (rule.installs)(invocation)
                && !((rule.cleans_after)(run.commands, *position)
                    || removes_after(run.commands, *position, rule.cache)
                    || mount_covers(checker, run.index, run.run, rule.cache))
        });
        if let Some((_, invocation)) = left {
            let cleanup = (rule.cleanup)(&invocation);
            findings.push(
                Diagnostic::new(
                    invocation.head_span(),
                    format!(
                        "`{}` without `{cleanup}` leaves {} cache in the image",
                        invocation.display(),
                        rule.owner
                    ),
                )
                .help(format!("end this `RUN` with `&& {cleanup}`")),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}

/// The version-pinning rules differ only in these.
pub(crate) struct Pinning {
    /// The package words this invocation installs (none when it installs nothing by name, or
    /// pins everything another way, such as `pip install -r requirements.txt`).
    pub packages: for<'a> fn(&Invocation<'a>) -> Vec<&'a ShellWord>,
    /// Does this package word name a version (or a file, which has one)?
    pub pinned: fn(&str) -> bool,
    /// How to pin, for the help text: `<package>=<version>`.
    pub form: &'static str,
}

/// Subcommands of yum and dnf that ask before changing packages.
pub(crate) const CHANGES_PACKAGES: [&str; 10] = [
    "install",
    "groupinstall",
    "localinstall",
    "reinstall",
    "update",
    "upgrade",
    "downgrade",
    "remove",
    "erase",
    "autoremove",
];

/// Report every package-manager command (also in `ONBUILD` triggers) that asks for
/// confirmation, which a build cannot give: `prompts` picks the commands, `confirmed` tells
/// whether the command already answers yes, `flag` is what to add.
pub(crate) fn report_confirmation_prompts(
    checker: &mut Checker,
    prompts: fn(&Invocation) -> bool,
    confirmed: fn(&Invocation) -> bool,
    flag: &str,
) {
    let mut findings = Vec::new();
    for (_, _, run) in checker.runs() {
        let Some(shell) = &run.shell else { continue };
        for (_, invocation) in invocations(&shell.commands) {
            if prompts(&invocation) && !confirmed(&invocation) {
                let fix = invocation.option_fix(flag).filter(|_| flag == "-y");
                findings.push(
                    Diagnostic::new(
                        invocation.head_span(),
                        format!(
                            "`{}` asks for confirmation, and a build has no one to answer: \
                             it aborts",
                            invocation.display()
                        ),
                    )
                    .help(format!("add `{flag}`"))
                    .with_fix(fix),
                );
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}

/// Whether an rpm package word (`yum`/`dnf install`) names a version: `name-1.2.3`,
/// `name-1.2-3.el9` (after the first `-`, only version characters and at least one part that
/// starts with a digit), a `.rpm` file, a group (`@name`) or a capability (`name(x)`), which
/// carry no version of their own.
pub(crate) fn rpm_version_pinned(package: &str) -> bool {
    if package.ends_with(".rpm") || package.starts_with('@') || package.contains('(') {
        return true;
    }
    let Some((_, version)) = package.split_once('-') else {
        return false;
    };
    let parts: Vec<&str> = version.split('-').collect();
    parts.iter().all(|part| {
        part.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".~^_:+".contains(c))
    }) && parts
        .iter()
        .any(|part| part.starts_with(|c: char| c.is_ascii_digit()))
}

/// Report every install (also in `ONBUILD` triggers) that names a package without a version,
/// once per command, pointing at the first such package. Words built from variables
/// (`$PACKAGES`) are not judged: their value is unknown.
pub(crate) fn report_unpinned(checker: &mut Checker, rule: &Pinning) {
    let mut findings = Vec::new();
    for (_, _, run) in checker.runs() {
        let Some(shell) = &run.shell else { continue };
        for (_, invocation) in invocations(&shell.commands) {
            let unpinned: Vec<&ShellWord> = (rule.packages)(&invocation)
                .into_iter()
                .filter(|word| !word.text.contains('$') && !(rule.pinned)(&word.text))
                .collect();
            let Some(first) = unpinned.first() else {
                continue;
            };
            let names = unpinned
                .iter()
                .map(|word| format!("`{}`", word.text))
                .collect::<Vec<_>>()
                .join(", ");
            findings.push(
                Diagnostic::new(
                    first.span,
                    format!(
                        "`{}` installs {names} without a fixed version: each build may get a \
                         different one",
                        invocation.display()
                    ),
                )
                .help(format!("pin each package: `{}`", rule.form)),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_paths_parents_and_home_endings() {
        let none = |_: &str| None;
        assert!(covers("/var/lib/apt/lists/*", &APT_LISTS, &none));
        assert!(covers("/var/lib/apt", &APT_LISTS, &none));
        assert!(covers("/var/lib/apt/lists/", &APT_LISTS, &none));
        assert!(!covers("/var/lib/apt/lists/partial", &APT_LISTS, &none));
        assert!(!covers("/", &APT_LISTS, &none));
        assert!(covers("~/.cache/pip", &PIP_CACHE, &none));
        assert!(covers("$HOME/.cache", &PIP_CACHE, &none));
        assert!(covers("/home/app/.cache/pip", &PIP_CACHE, &none));
        assert!(!covers("/root/.cache/pypoetry", &PIP_CACHE, &none));
        assert!(covers("/root/.npm", &NPM_CACHE, &none));
        assert!(!covers("/app/node_modules", &NPM_CACHE, &none));
        let env = |name: &str| (name == "PIP_CACHE_DIR").then(|| "/pip-cache".to_owned());
        assert!(covers("/pip-cache", &PIP_CACHE, &env));
        assert!(covers("${PIP_CACHE_DIR}", &PIP_CACHE, &none));
    }

    #[test]
    fn invocations_skip_wrappers_and_option_values() {
        let file = drydock_dockerfile::parse(
            "FROM x\nRUN DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 install -y curl && python3 -m pip install --no-cache-dir -r req.txt flask && cargo +nightly build --release\n",
        );
        let InstructionKind::Run(run) = &file.instructions[1].kind else {
            panic!()
        };
        let commands = &run.shell.as_ref().unwrap().commands;
        let found: Vec<_> = invocations(commands).map(|(_, i)| i).collect();
        assert_eq!(found[0].manager, Manager::Apt);
        assert_eq!(found[0].action(), "install");
        assert_eq!(
            found[0]
                .operands()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>(),
            ["curl"]
        );
        assert_eq!(found[1].manager, Manager::Pip);
        assert_eq!(found[1].action(), "install");
        assert!(found[1].has_flag(None, &["no-cache-dir"]));
        assert_eq!(found[1].option_value(&["-r"]), Some("req.txt"));
        assert_eq!(
            found[1]
                .operands()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>(),
            ["flask"]
        );
        assert_eq!(found[2].action(), "build");
    }
}
