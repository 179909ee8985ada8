use drydock_dockerfile::SimpleCommand;
use drydock_findings::Severity;

use super::package_managers::{CacheLeft, Manager, YARN_CACHE, invocation, report_cache_left};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3060",
    name: "yarn-cache-left",
    summary: "`yarn install` without `yarn cache clean` leaves yarn's cache in the image",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: Some("DL3060"),
    docs: r#"## What it does
Reports `yarn install` (or a bare `yarn`) in a stage that ends up in the image being built when
the same `RUN` does not run `yarn cache clean` (or delete the cache directory) afterwards.

It stays quiet when a cache or tmpfs mount covers yarn's cache (`/usr/local/share/.cache/yarn`,
`~/.cache/yarn`, `.yarn/berry/cache`, or `YARN_CACHE_FOLDER`), and ignores build stages whose
files are not shipped (hadolint's DL3060 reports those too).

Each `RUN` is reported once, at its first install not followed by a clean-up.

## Why is this bad?
yarn keeps a copy of every downloaded package in its global cache, often as large as
`node_modules` itself, which the running container never reads.

## Example
```dockerfile
FROM node:22-slim
COPY package.json yarn.lock ./
RUN yarn install --frozen-lockfile
```

Use instead:
```dockerfile
FROM node:22-slim
COPY package.json yarn.lock ./
RUN yarn install --frozen-lockfile && yarn cache clean
```

## How to fix
End the `RUN` with `&& yarn cache clean`, or with BuildKit mount the cache:
`RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install --frozen-lockfile`.
"#,
    check,
};

fn cleans_after(commands: &[SimpleCommand], position: usize) -> bool {
    commands.iter().skip(position + 1).any(|command| {
        invocation(command).is_some_and(|found| {
            found.manager == Manager::Yarn
                && found.is(&["cache"])
                && found
                    .operands()
                    .next()
                    .is_some_and(|word| word.text == "clean")
        })
    })
}

fn check(checker: &mut Checker) {
    report_cache_left(
        checker,
        &CacheLeft {
            installs: |invocation| {
                invocation.manager == Manager::Yarn
                    && (invocation.action.is_none() || invocation.is(&["install"]))
            },
            cleans_after,
            cache: &YARN_CACHE,
            cleanup: |_| "yarn cache clean",
            owner: "yarn's",
        },
    );
}
