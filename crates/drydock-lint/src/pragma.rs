//! Inline suppression comments.
//!
//! drydock's own forms, and hadolint's (honoured for rules that carry a hadolint code):
//!
//! - `# drydock: ignore=DD101,apt-lists-left` — the next instruction;
//! - `# drydock: stage ignore=DD101` — the stage whose `FROM` follows the comment;
//! - `# drydock: global ignore=DD101` — the whole file;
//! - `# hadolint ignore=DL3008,SC2086`, `# hadolint stage ignore=…`, `# hadolint global ignore=…`.
//!
//! Anything after a second `#` on the line is a free-text reason.

/// How far a pragma reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    NextInstruction,
    Stage,
    File,
}

/// Whose codes a pragma lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// drydock codes, names, or hadolint codes.
    Drydock,
    /// hadolint codes only (`DL…`, `SC…`).
    Hadolint,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pragma {
    pub dialect: Dialect,
    pub scope: Scope,
    pub codes: Vec<String>,
}

/// Parse the text of a comment line (with or without its leading `#`) as a pragma.
pub fn parse(comment: &str) -> Option<Pragma> {
    let text = comment.trim_start().strip_prefix('#')?.trim_start();
    let (dialect, rest) = if let Some(rest) = text.strip_prefix("drydock:") {
        (Dialect::Drydock, rest)
    } else if let Some(rest) = text.strip_prefix("hadolint ") {
        (Dialect::Hadolint, rest)
    } else {
        return None;
    };
    // A second `#` starts a reason.
    let rest = rest.split('#').next().unwrap_or_default().trim();
    let (scope, rest) = if let Some(rest) = rest.strip_prefix("global ") {
        (Scope::File, rest.trim_start())
    } else if let Some(rest) = rest.strip_prefix("stage ") {
        (Scope::Stage, rest.trim_start())
    } else {
        (Scope::NextInstruction, rest)
    };
    let list = rest
        .strip_prefix("ignore")?
        .trim_start()
        .strip_prefix('=')?;
    let codes: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(str::to_string)
        .collect();
    (!codes.is_empty()).then_some(Pragma {
        dialect,
        scope,
        codes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(dialect: Dialect, scope: Scope, codes: &[&str]) -> Option<Pragma> {
        Some(Pragma {
            dialect,
            scope,
            codes: codes.iter().map(|c| c.to_string()).collect(),
        })
    }

    #[test]
    fn drydock_forms() {
        assert_eq!(
            parse("# drydock: ignore=DD101, apt-lists-left"),
            pragma(
                Dialect::Drydock,
                Scope::NextInstruction,
                &["DD101", "apt-lists-left"]
            )
        );
        assert_eq!(
            parse("#drydock: stage ignore=DD101"),
            pragma(Dialect::Drydock, Scope::Stage, &["DD101"])
        );
        assert_eq!(
            parse("# drydock: global ignore=DL3008 # the base pins it"),
            pragma(Dialect::Drydock, Scope::File, &["DL3008"])
        );
    }

    #[test]
    fn hadolint_forms() {
        assert_eq!(
            parse("# hadolint ignore=DL3008,SC2086"),
            pragma(
                Dialect::Hadolint,
                Scope::NextInstruction,
                &["DL3008", "SC2086"]
            )
        );
        assert_eq!(
            parse("# hadolint global ignore=DL3059"),
            pragma(Dialect::Hadolint, Scope::File, &["DL3059"])
        );
        assert_eq!(
            parse("  # hadolint stage ignore=DL3002"),
            pragma(Dialect::Hadolint, Scope::Stage, &["DL3002"])
        );
    }

    #[test]
    fn ordinary_comments_are_not_pragmas() {
        assert_eq!(parse("# install curl"), None);
        assert_eq!(parse("# hadolint shell=powershell"), None);
        assert_eq!(parse("# drydock: ignore="), None);
        assert_eq!(parse("# drydock ignore=DD101"), None);
        assert_eq!(parse("RUN x"), None);
    }
}
