//! What a lint rule is, and the checker it reports through.

use drydock_findings::{Fix, Severity, Span};

/// A lint rule: stable identity, documentation, and the check itself.
///
/// Each rule lives in its own file under `src/rules/`, with its documentation (what it checks,
/// why, a bad and a good example, how to fix) in [`Rule::docs`], a fixture under
/// `tests/fixtures/` and a snapshot of its findings.
pub struct Rule {
    /// Stable code, never reused: `DD101`.
    pub code: &'static str,
    /// Stable kebab-case name: `manifest-copy-after-install`.
    pub name: &'static str,
    /// One line: what the rule checks.
    pub summary: &'static str,
    pub severity: Severity,
    /// Off-by-default rules run only when selected (`extend-select`).
    pub enabled_by_default: bool,
    /// The hadolint rule this one stands in for, so hadolint pragmas and config apply to it.
    pub hadolint: Option<&'static str>,
    /// Markdown: what, why, example, fix.
    pub docs: &'static str,
    pub check: fn(&mut crate::Checker<'_>),
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("code", &self.code)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// One finding of a rule, before configuration (severity overrides, pragmas) is applied.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
            help: None,
            fix: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// Attach `fix` when there is one.
    pub fn with_fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }
}
