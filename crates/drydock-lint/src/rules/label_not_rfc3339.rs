use drydock_findings::Severity;

use super::labels::report_invalid_values;
use crate::hadolint_config::LabelType;
use crate::{Checker, Rule};

pub const RULE: Rule = Rule {
    code: "DD3053",
    name: "label-not-rfc3339",
    summary: "A label the schema types `rfc3339` is not an RFC 3339 time",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: Some("DL3053"),
    docs: r#"## What it does
When a label schema (`label-schema` in `.hadolint.yaml`) gives a label the type `rfc3339`,
reports a value of that label in the image being built that is not an RFC 3339 date and time
(`2026-11-23T10:00:00Z`, `2026-11-23T10:00:00.5+01:00`). Empty values (see `label-empty`) and values from build arguments are not judged; without a
schema, the rule reports nothing.

## Why is this bad?
`org.opencontainers.image.created` and similar labels are compared and sorted by tools; a date
in another format (`23/11/2026`, a Unix timestamp) is read as garbage or not at all.

## Example
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.created="2026-11-23 10:00"
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
LABEL org.opencontainers.image.created="2026-11-23T10:00:00Z"
```

## How to fix
Write the time as `YYYY-MM-DDTHH:MM:SSZ` (`date -u +%Y-%m-%dT%H:%M:%SZ` prints it).
"#,
    check,
};

/// `digits` ASCII digits at the start of `text`, as a number, and the rest.
fn number(text: &str, digits: usize) -> Option<(u32, &str)> {
    let head = text.get(..digits)?;
    head.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| (head.parse().ok(), &text[digits..]))
        .and_then(|(value, rest)| value.map(|v| (v, rest)))
}

fn valid(value: &str) -> bool {
    let parse = || -> Option<()> {
        let (_, rest) = number(value, 4)?;
        let (month, rest) = number(rest.strip_prefix('-')?, 2)?;
        let (day, rest) = number(rest.strip_prefix('-')?, 2)?;
        let rest = rest.strip_prefix(['T', 't'])?;
        let (hour, rest) = number(rest, 2)?;
        let (minute, rest) = number(rest.strip_prefix(':')?, 2)?;
        let (second, mut rest) = number(rest.strip_prefix(':')?, 2)?;
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            (digits > 0).then_some(())?;
            rest = &fraction[digits..];
        }
        let offset_ok = match rest {
            "Z" | "z" => true,
            _ => {
                let sign = rest.strip_prefix(['+', '-'])?;
                let (offset_hour, sign) = number(sign, 2)?;
                let (offset_minute, end) = number(sign.strip_prefix(':')?, 2)?;
                end.is_empty() && offset_hour < 24 && offset_minute < 60
            }
        };
        let ranges = (1..=12).contains(&month)
            && (1..=31).contains(&day)
            && hour < 24
            && minute < 60
            && second <= 60;
        (offset_ok && ranges).then_some(())
    };
    parse().is_some()
}

fn check(checker: &mut Checker) {
    report_invalid_values(
        checker,
        LabelType::Rfc3339,
        valid,
        "an RFC 3339 date and time",
    );
}
