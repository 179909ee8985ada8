use drydock_dockerfile::InstructionKind;
use drydock_findings::Severity;

use super::package_managers::preceding;
use super::security_helpers::variable_refs;
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3044",
    name: "env-self-reference",
    summary: "`ENV` uses a variable it defines itself",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL3044"),
    docs: r#"## What it does
Reports an `ENV` with several variables where one value refers to another variable defined in
the same `ENV`, when that variable had no value before (no earlier `ENV` or `ARG` of the stage
or the stages it is built `FROM`).

## Why is this bad?
Every value of an `ENV` is expanded with the variables as they were *before* the instruction:
in `ENV APP=/srv PATH=$APP/bin:$PATH`, `$APP` is still empty, so `PATH` gets `/bin:…`.

## Example
```dockerfile
FROM python:3.12-slim
ENV APP_HOME=/srv/app PYTHONPATH=$APP_HOME/lib
```

Use instead:
```dockerfile
FROM python:3.12-slim
ENV APP_HOME=/srv/app
ENV PYTHONPATH=$APP_HOME/lib
```

## How to fix
Define the variable in an earlier `ENV`.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let mut findings = Vec::new();
    for (index, instruction) in checker.file.instructions.iter().enumerate() {
        let InstructionKind::Env(pairs) = &instruction.kind else {
            continue;
        };
        if pairs.len() < 2 {
            continue;
        }
        let defined_before = |name: &str| {
            preceding(checker, index).any(|earlier| match &earlier.kind {
                InstructionKind::Env(pairs) => pairs.iter().any(|pair| pair.key.text == name),
                InstructionKind::Arg(declarations) => {
                    declarations.iter().any(|d| d.name.text == name)
                }
                _ => false,
            })
        };
        for (position, pair) in pairs.iter().enumerate() {
            for (name, _) in variable_refs(&pair.value.text) {
                let same_env = pairs
                    .iter()
                    .enumerate()
                    .any(|(other, defined)| other != position && defined.key.text == name);
                if same_env && !defined_before(name) {
                    findings.push(
                        Diagnostic::new(
                            pair.value.span,
                            format!(
                                "`${name}` is defined in this same `ENV`, so here it is still \
                                 empty"
                            ),
                        )
                        .help(format!("define `{name}` in an earlier `ENV`")),
                    );
                }
            }
        }
    }
    for finding in findings {
        checker.report(finding);
    }
}
