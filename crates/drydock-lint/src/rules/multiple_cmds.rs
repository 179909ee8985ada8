use drydock_dockerfile::Keyword;
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD4003",
    name: "multiple-cmds",
    summary: "A stage has more than one `CMD`",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL4003"),
    docs: r#"## What it does
Reports every `CMD` after the first in the same stage.

## Why is this bad?
Only the last `CMD` takes effect: the earlier ones are dead code that a reader may take for the
command the container runs.

## Example
```dockerfile
FROM python:3.12-slim
CMD ["python", "manage.py", "migrate"]
CMD ["gunicorn", "app:app"]
```

Use instead:
```dockerfile
FROM python:3.12-slim
CMD ["gunicorn", "app:app"]
```

## How to fix
Keep one `CMD`; to run several steps at start-up, use an entrypoint script.
"#,
    check,
};

fn check(checker: &mut Checker) {
    for instruction in checker.repeated_in_stage(Keyword::Cmd) {
        checker.report(
            Diagnostic::new(
                instruction.keyword_span,
                "a second `CMD` in this stage: only the last one takes effect",
            )
            .help("keep one `CMD` per stage"),
        );
    }
}
