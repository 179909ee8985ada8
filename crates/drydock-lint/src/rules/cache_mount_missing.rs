use drydock_findings::Severity;

use super::package_managers::{
    APK_CACHE, APT_ARCHIVES, CARGO_REGISTRY, CachePlace, DNF_CACHE, GO_BUILD_CACHE,
    GO_MODULE_CACHE, GRADLE_HOME, Invocation, MAVEN_REPOSITORY, Manager, NPM_CACHE, PIP_CACHE,
    PNPM_STORE, YARN_CACHE, YUM_CACHE, covers, env_value, inside, invocations, runs_as_non_root,
    shell_runs, user_before,
};
use crate::{Checker, Diagnostic, Rule};
use drydock_dockerfile::{Mount, MountType};

pub const RULE: Rule = Rule {
    code: "DD102",
    name: "cache-mount-missing",
    summary: "A package manager downloads into a cache that a BuildKit cache mount would keep",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
In files built with BuildKit (a `# syntax=` directive, or BuildKit features such as
`RUN --mount` or heredocs already in use), reports a `RUN` that runs a package manager without a
`--mount=type=cache` on its download cache:

| Command | Cache mount target |
|---|---|
| `apt-get install` | `/var/cache/apt` (and `/var/lib/apt`) |
| `apk add` (without `--no-cache`) | `/var/cache/apk` (or `/etc/apk/cache`) |
| `dnf`/`yum install` | `/var/cache/dnf`, `/var/cache/yum` |
| `pip install` | `/root/.cache/pip` (`PIP_CACHE_DIR` if set) |
| `npm ci`/`install` | `/root/.npm` |
| `yarn install` | `/usr/local/share/.cache/yarn` |
| `pnpm install` | the pnpm store |
| `go build`, `go mod download` | `/root/.cache/go-build`, `/go/pkg/mod` |
| `cargo build` | `/usr/local/cargo/registry` |
| `mvn` | `/root/.m2` |
| `gradle` | `/root/.gradle` |

Any cache or tmpfs mount on the directory, a parent or a part of it (`/go/pkg/mod/cache`) counts, and so does a target written with
`~`, `$HOME` or another user's home. Each missing cache is reported once per `RUN`. `apk add
--no-cache` is not reported (an explicit choice, and apk downloads are small), while
`pip install --no-cache-dir` is (wheels are large, and the flag usually only keeps the cache out
of the image, which a cache mount does too). It does not fire in files that do not use BuildKit:
cache mounts need it, so adopt `# syntax=docker/dockerfile:1` first.

## Why is this bad?
Without a cache mount, every rebuild of the layer downloads every package again. A cache mount
keeps the downloads on the builder between builds without putting them in the image, so the
rebuild is fast and the image stays small.

## Example
```dockerfile
# syntax=docker/dockerfile:1
FROM python:3.12-slim
COPY requirements.txt .
RUN pip install -r requirements.txt
```

Use instead:
```dockerfile
# syntax=docker/dockerfile:1
FROM python:3.12-slim
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
```

## How to fix
Add the suggested `--mount=type=cache,target=…` to the `RUN`. Drop `--no-cache-dir` from that
command, since the cache no longer ends up in the image. For apt on Debian/Ubuntu images
also delete `/etc/apt/apt.conf.d/docker-clean` (it empties the cache after each install) and use
`sharing=locked`; for dnf set `keepcache=True`. For a non-root `USER`, mount on that user's home
and set `uid=`.
"#,
    check,
};

/// The caches a command downloads into, with the mount to suggest for each.
fn caches(invocation: &Invocation) -> &'static [&'static CachePlace] {
    match invocation.manager {
        Manager::Apt if invocation.is(&["install", "upgrade", "dist-upgrade", "full-upgrade"]) => {
            &[&APT_ARCHIVES]
        }
        // `--no-cache` is an explicit choice, and apk downloads are small.
        Manager::Apk
            if invocation.is(&["add", "upgrade"]) && !invocation.has_flag(None, &["no-cache"]) =>
        {
            &[&APK_CACHE]
        }
        Manager::Dnf if invocation.is(&["install", "upgrade", "update", "reinstall"]) => {
            &[&DNF_CACHE]
        }
        Manager::Yum if invocation.is(&["install", "upgrade", "update", "reinstall"]) => {
            &[&YUM_CACHE]
        }
        Manager::Pip if invocation.is(&["install", "download", "wheel"]) => &[&PIP_CACHE],
        Manager::Npm if invocation.is(&["ci", "install", "i", "clean-install", "add"]) => {
            &[&NPM_CACHE]
        }
        Manager::Yarn if invocation.action.is_none() || invocation.is(&["install", "add"]) => {
            &[&YARN_CACHE]
        }
        Manager::Pnpm if invocation.is(&["install", "i", "add", "fetch"]) => &[&PNPM_STORE],
        Manager::Go if invocation.is(&["build", "install", "test"]) => {
            &[&GO_BUILD_CACHE, &GO_MODULE_CACHE]
        }
        Manager::Go
            if invocation.is(&["mod"])
                && invocation
                    .operands()
                    .next()
                    .is_some_and(|word| word.text == "download") =>
        {
            &[&GO_MODULE_CACHE]
        }
        Manager::Cargo if invocation.is(&["build", "fetch", "install", "test"]) => {
            &[&CARGO_REGISTRY]
        }
        Manager::Maven if invocation.action.is_some() => &[&MAVEN_REPOSITORY],
        Manager::Gradle if invocation.action.is_some() => &[&GRADLE_HOME],
        _ => &[],
    }
}

/// Whether `mount` (any type but a secret/ssh) is placed on `place`.
fn mount_on(checker: &Checker, index: usize, mount: &Mount, place: &CachePlace) -> bool {
    matches!(
        mount.mount_type,
        MountType::Cache | MountType::Tmpfs | MountType::Bind
    ) && mount.target().is_some_and(|target| {
        covers(target, place, &|name| env_value(checker, index, name)) || inside(target, place)
    })
}

fn suggestion(checker: &Checker, index: usize, place: &CachePlace, user: Option<&str>) -> String {
    if let Some(value) = place
        .env
        .iter()
        .find_map(|name| env_value(checker, index, name))
        .filter(|value| value.starts_with('/'))
    {
        return value;
    }
    match (place.suggested.strip_prefix("/root/"), user) {
        (Some(rest), Some(user)) => {
            let name = user.split(':').next().unwrap_or(user);
            if !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                && !name.bytes().all(|b| b.is_ascii_digit())
            {
                format!("/home/{name}/{rest}")
            } else {
                format!("<home of {user}>/{rest}")
            }
        }
        _ => place.suggested.to_owned(),
    }
}

fn check(checker: &mut Checker) {
    if !checker.uses_buildkit() {
        return;
    }
    let mut findings = Vec::new();
    for run in shell_runs(checker) {
        // Each missing cache is reported once per RUN, at its first command.
        let mut reported: Vec<&CachePlace> = Vec::new();
        for (_, invocation) in invocations(run.commands) {
            let places = caches(&invocation);
            if places.is_empty() {
                continue;
            }
            let missing: Vec<&CachePlace> = places
                .iter()
                .copied()
                .filter(|place| {
                    !reported.iter().any(|done| std::ptr::eq(*done, *place))
                        && !run
                            .run
                            .mounts
                            .iter()
                            .any(|mount| mount_on(checker, run.index, mount, place))
                })
                .collect();
            reported.extend(&missing);
            if missing.is_empty() {
                continue;
            }
            let non_root = runs_as_non_root(checker, run.index);
            let user = user_before(checker, run.index).filter(|_| non_root);
            let targets: Vec<String> = missing
                .iter()
                .map(|place| suggestion(checker, run.index, place, user))
                .collect();
            let mounts = targets
                .iter()
                .map(|target| {
                    let sharing = if invocation.manager == Manager::Apt {
                        ",sharing=locked"
                    } else {
                        ""
                    };
                    format!("`--mount=type=cache,target={target}{sharing}`")
                })
                .collect::<Vec<_>>()
                .join(" and ");
            let head = invocation.display();
            let message = format!(
                "`{head}` starts from an empty cache whenever this layer is rebuilt; a cache mount on {} would keep it between builds",
                if targets.len() == 1 {
                    format!("`{}`", targets[0])
                } else {
                    targets
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                }
            );
            let mut help = format!("add {mounts} to this `RUN`");
            match invocation.manager {
                Manager::Apt => help.push_str(
                    " (plus `--mount=type=cache,target=/var/lib/apt,sharing=locked`, and remove `/etc/apt/apt.conf.d/docker-clean` so downloads are kept)",
                ),
                Manager::Pip if invocation.has_flag(None, &["no-cache-dir"]) => {
                    help.push_str(" and drop `--no-cache-dir`");
                }
                Manager::Dnf | Manager::Yum => {
                    help.push_str(" and pass `--setopt=keepcache=True` so packages are kept");
                }
                _ => {}
            }
            if non_root {
                help.push_str(", with `uid=` set to the `USER`'s numeric id");
            }
            findings.push(Diagnostic::new(invocation.head_span(), message).help(help));
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
