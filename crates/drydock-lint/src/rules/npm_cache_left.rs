use drydock_dockerfile::SimpleCommand;
use drydock_findings::Severity;

use super::package_managers::{
    Manager, NPM_CACHE, invocation, invocations, mount_covers, removes_after, shell_runs,
};
use crate::{Checker, Diagnostic, Rule};

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
    let mut findings = Vec::new();
    for run in shell_runs(checker) {
        if !checker.in_final_image(run.index) {
            continue;
        }
        for (position, invocation) in invocations(run.commands) {
            if invocation.manager != Manager::Npm
                || !invocation.is(&["install", "i", "ci", "clean-install", "add", "isntall"])
            {
                continue;
            }
            if cleans_after(run.commands, position)
                || removes_after(run.commands, position, &NPM_CACHE)
                || mount_covers(checker, run.index, run.run, &NPM_CACHE)
            {
                continue;
            }
            findings.push(
                Diagnostic::new(
                    invocation.head_span(),
                    format!(
                        "`{}` without `npm cache clean --force` leaves npm's cache in the image",
                        invocation.display()
                    ),
                )
                .help("end this `RUN` with `&& npm cache clean --force`"),
            );
            // One clean-up at the end of the RUN fixes every install before it.
            break;
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
