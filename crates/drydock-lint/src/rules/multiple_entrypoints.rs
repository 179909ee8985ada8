use drydock_dockerfile::Keyword;
use drydock_findings::Severity;

use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD4004",
    name: "multiple-entrypoints",
    summary: "A stage has more than one `ENTRYPOINT`",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL4004"),
    docs: r#"## What it does
Reports every `ENTRYPOINT` after the first in the same stage.

## Why is this bad?
Only the last `ENTRYPOINT` takes effect (and it resets `CMD` inherited from the base image):
the earlier ones are dead code that a reader may take for the program the container runs.

## Example
```dockerfile
FROM debian:bookworm-slim
ENTRYPOINT ["/usr/local/bin/setup.sh"]
ENTRYPOINT ["/usr/local/bin/server"]
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
ENTRYPOINT ["/usr/local/bin/server"]
```

## How to fix
Keep one `ENTRYPOINT`; to run a set-up step first, have the entrypoint script `exec` the
server.
"#,
    check,
};

fn check(checker: &mut Checker) {
    for instruction in checker.repeated_in_stage(Keyword::Entrypoint) {
        checker.report(
            Diagnostic::new(
                instruction.keyword_span,
                "a second `ENTRYPOINT` in this stage: only the last one takes effect",
            )
            .help("keep one `ENTRYPOINT` per stage"),
        );
    }
}
