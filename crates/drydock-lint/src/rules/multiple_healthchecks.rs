use drydock_dockerfile::Keyword;
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3012",
    name: "multiple-healthchecks",
    summary: "A stage has more than one `HEALTHCHECK`",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL3012"),
    docs: r#"## What it does
Reports every `HEALTHCHECK` after the first in the same stage.

## Why is this bad?
Only the last `HEALTHCHECK` of an image takes effect: the earlier ones are dead code that a
reader may take for the check in use.

## Example
```dockerfile
FROM nginx:1.27
HEALTHCHECK CMD curl -f http://localhost/ || exit 1
HEALTHCHECK CMD curl -f http://localhost/health || exit 1
```

Use instead:
```dockerfile
FROM nginx:1.27
HEALTHCHECK CMD curl -f http://localhost/health || exit 1
```

## How to fix
Keep one `HEALTHCHECK` per stage.
"#,
    check,
};

fn check(checker: &mut Checker) {
    for instruction in checker.repeated_in_stage(Keyword::Healthcheck) {
        checker.report(
            Diagnostic::new(
                instruction.keyword_span,
                "a second `HEALTHCHECK` in this stage: only the last one takes effect",
            )
            .help("keep one `HEALTHCHECK` per stage"),
        );
    }
}
