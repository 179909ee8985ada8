use drydock_dockerfile::SimpleCommand;
use drydock_findings::Severity;

use super::package_managers::{
    Manager, PIP_CACHE, env_value, invocation, invocations, mount_covers, removes_after,
    set_in_script, shell_runs,
};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3042",
    name: "pip-cache-left",
    summary: "`pip install` without `--no-cache-dir` leaves pip's cache in the image",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3042"),
    docs: r#"## What it does
Reports `pip install` (`pip3`, `python -m pip`) without `--no-cache-dir` in a stage that ends up
in the image being built. It does not fire when:

- `PIP_NO_CACHE_DIR` is set by `ENV` or an `ARG` default (in the stage or one it is built
  `FROM`), before the command in the script (`PIP_NO_CACHE_DIR=1 pip …`, `export …`), or pip is
  configured with `pip config set global.no-cache-dir …`; pip disables its cache for any valid
  value, even `false`, so any non-empty value counts;
- a cache or tmpfs mount covers `~/.cache/pip` (or `PIP_CACHE_DIR`);
- the same `RUN` deletes the cache afterwards (`rm -rf /root/.cache/pip`, `pip cache purge`);
- the stage is a build stage whose files are not shipped (hadolint's DL3042 fires there too).

`pip install --upgrade pip` is reported like any other install: it caches the pip wheel too.

## Why is this bad?
pip keeps every downloaded wheel and HTTP response in `~/.cache/pip`, often tens to hundreds of
megabytes that the running container never reads.

## Example
```dockerfile
FROM python:3.12-slim
COPY requirements.txt .
RUN pip install -r requirements.txt
```

Use instead:
```dockerfile
FROM python:3.12-slim
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
```

## How to fix
Add `--no-cache-dir`, set `ENV PIP_NO_CACHE_DIR=1` once, or with BuildKit mount the cache:
`RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt`.

## Fix
Safe (`drydock lint --fix`): adds `--no-cache-dir` after `install`.
"#,
    check,
};

/// `pip config set global.no-cache-dir …` anywhere before `position`.
fn configured_off(commands: &[SimpleCommand], position: usize) -> bool {
    commands[..position].iter().any(|command| {
        invocation(command).is_some_and(|found| {
            found.manager == Manager::Pip
                && found.is(&["config"])
                && found
                    .operands()
                    .any(|word| word.text.ends_with(".no-cache-dir"))
        })
    })
}

/// `pip cache purge` / `pip cache remove` after `position`.
fn purges_after(commands: &[SimpleCommand], position: usize) -> bool {
    commands.iter().skip(position + 1).any(|command| {
        invocation(command).is_some_and(|found| {
            found.manager == Manager::Pip
                && found.is(&["cache"])
                && found
                    .operands()
                    .next()
                    .is_some_and(|word| word.text == "purge" || word.text == "remove")
        })
    })
}

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    // Whether an earlier RUN configured pip without a cache, per stage.
    let mut config_stages: Vec<usize> = Vec::new();
    for run in shell_runs(checker) {
        let stage = checker.graph.stage_of(run.index);
        if configured_off(run.commands, run.commands.len())
            && let Some(stage) = stage
        {
            config_stages.push(stage);
        }
        if !checker.in_final_image(run.index) {
            continue;
        }
        let chain = stage.map(|s| checker.graph.ancestry(s)).unwrap_or_default();
        if chain.iter().any(|s| config_stages.contains(s)) {
            continue;
        }
        for (position, invocation) in invocations(run.commands) {
            if invocation.manager != Manager::Pip
                || !invocation.is(&["install"])
                // pip (optparse) accepts unambiguous abbreviations such as `--no-cache`.
                || invocation.has_flag(
                    None,
                    &["no-cache-dir", "no-cache-di", "no-cache-d", "no-cache-", "no-cache"],
                )
            {
                continue;
            }
            let disabled = |value: Option<String>| value.is_some_and(|v| !v.is_empty());
            if set_in_script(run.commands, position, "PIP_NO_CACHE_DIR")
                || disabled(env_value(checker, run.index, "PIP_NO_CACHE_DIR"))
                || configured_off(run.commands, position)
                || removes_after(run.commands, position, &PIP_CACHE)
                || purges_after(run.commands, position)
                || mount_covers(checker, run.index, run.run, &PIP_CACHE)
            {
                continue;
            }
            let message = format!(
                "`{}` without `--no-cache-dir` leaves pip's download cache in the image",
                invocation.display()
            );
            findings.push(
                Diagnostic::new(invocation.head_span(), message)
                    .help("add `--no-cache-dir`, or set `ENV PIP_NO_CACHE_DIR=1` before it")
                    .with_fix(invocation.option_fix("--no-cache-dir")),
            );
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
