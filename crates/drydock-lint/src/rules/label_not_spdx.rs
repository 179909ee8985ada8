use drydock_findings::Severity;

use super::labels::report_invalid_values;
use crate::hadolint_config::LabelType;
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3054",
    name: "label-not-spdx",
    summary: "A label the schema types `spdx` is not an SPDX licence expression",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3054"),
    docs: r#"## What it does
When a label schema (`label-schema` in `.hadolint.yaml`) gives a label the type `spdx`, reports
a value of that label in the image being built that is not a valid SPDX licence expression made
of known licence identifiers (`MIT`, `Apache-2.0 OR MIT`, `GPL-2.0-only WITH
ClassPath-exception-2.0`). Empty values (see `label-empty`) and values from build arguments are not judged; without a
schema, the rule reports nothing.

## Why is this bad?
Licence scanners and compliance tools read `org.opencontainers.image.licenses` as an SPDX
expression; `Apache 2` or `GPL` cannot be matched to a licence.

## Example
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.licenses="Apache 2"
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.licenses="Apache-2.0"
```

## How to fix
Use the SPDX identifiers (https://spdx.org/licenses/), combined with `AND`, `OR`, `WITH`.
"#,
    check,
};

fn valid(value: &str) -> bool {
    spdx::Expression::parse(value).is_ok()
}

fn check(checker: &mut Checker) {
    report_invalid_values(
        checker,
        LabelType::Spdx,
        valid,
        "an SPDX licence expression",
    );
}
