use drydock_dockerfile::SimpleCommand;
use drydock_findings::Severity;

use super::package_managers::{CacheLeft, Manager, NPM_CACHE, invocation, report_cache_left};
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD105",
    name: "npm-cache-left",
    summary: "`npm install`/`npm ci` leaves npm's cache in the image",
    severity: Severity::Info,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports `npm ci` or `npm install` in a stage that ends up in the image being built when the same
`RUN` does not run `npm cache clean --force` (or delete `~/.npm`) afterwards.

It stays quiet when a cache or tmpfs mount covers `/root/.npm` (or another user's `~/.npm`, or
`npm_config_cache`), and ignores build stages whose files are not shipped.

Each `RUN` is reported once, at its first install not followed by a clean-up.

## Why is this bad?
npm keeps every downloaded tarball in `~/.npm/_cacache`, often as large as `node_modules`
itself, which the running container never reads.

## Example
```dockerfile
FROM node:22-slim
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
```

Use instead:
```dockerfile
FROM node:22-slim
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
```

## How to fix
End the `RUN` with `&& npm cache clean --force`, or with BuildKit mount the cache:
`RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev`.
"#,
    check,
};

fn cleans_after(commands: &[SimpleCommand], position: usize) -> bool {
    commands.iter().skip(position + 1).any(|command| {
        invocation(command).is_some_and(|found| {
            found.manager == Manager::Npm
                && found.is(&["cache"])
                && found
                    .operands()
                    .next()
                    .is_some_and(|word| word.text == "clean" || word.text == "clear")
        })
    })
}

fn check(checker: &mut Checker) {
    report_cache_left(
        checker,
        &CacheLeft {
            installs: |invocation| {
                invocation.manager == Manager::Npm
                    && invocation.is(&["install", "i", "ci", "clean-install", "add", "isntall"])
            },
            cleans_after,
            cache: &NPM_CACHE,
            cleanup: |_| "npm cache clean --force",
            owner: "npm's",
        },
    );
}
