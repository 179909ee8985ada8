//! The findings model shared by every drydock command.
//!
//! A [`Finding`] says which rule fired, how severe it is, what is wrong, where, and optionally how
//! to fix it. Locations are one of a Dockerfile span, a place inside an image layer, or a field of
//! the image configuration. A [`Report`] bundles findings with the sources they point into and the
//! metadata of the rules that ran, which is everything a renderer needs.

mod location;
mod report;
mod severity;

pub use location::{ConfigLocation, FileLocation, ImageLocation, LineIndex, Location, Span};
pub use report::{Report, RuleInfo, SourceFile, Sources, Summary, TargetKind};
pub use severity::{ParseSeverityError, Severity};

use std::borrow::Cow;

/// One problem found by a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable rule code, e.g. `DD101` or `DL3008`-equivalent `DD3008`.
    pub code: Cow<'static, str>,
    /// Stable kebab-case rule name, e.g. `apt-lists-left-behind`.
    pub name: Cow<'static, str>,
    pub severity: Severity,
    /// What is wrong, in one sentence. Must never contain a raw secret.
    pub message: String,
    /// How to fix it, when there is more to say than the message.
    pub help: Option<String>,
    /// The equivalent hadolint code, when there is one (`DL3008`).
    pub hadolint: Option<Cow<'static, str>>,
    pub location: Location,
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn new(
        code: impl Into<Cow<'static, str>>,
        name: impl Into<Cow<'static, str>>,
        severity: Severity,
        message: impl Into<String>,
        location: Location,
    ) -> Self {
        Finding {
            code: code.into(),
            name: name.into(),
            severity,
            message: message.into(),
            help: None,
            hadolint: None,
            location,
            fix: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_hadolint(mut self, code: impl Into<Cow<'static, str>>) -> Self {
        self.hadolint = Some(code.into());
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }
}

/// Whether applying a fix keeps the meaning of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// The result builds the same image, only better (`--fix`).
    Safe,
    /// The result behaves differently and needs a human look (`--fix --unsafe-fixes`).
    Unsafe,
}

/// A repair for a finding: byte-range edits into the finding's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, imperative: "Add `--no-install-recommends`".
    pub message: String,
    pub applicability: Applicability,
    /// Non-overlapping edits, in any order.
    pub edits: Vec<Edit>,
}

/// Replace the bytes of `span` with `replacement` (an insertion when the span is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

impl Edit {
    pub fn replace(span: Span, replacement: impl Into<String>) -> Self {
        Edit {
            span,
            replacement: replacement.into(),
        }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Self {
        Edit::replace(Span::new(at, at), text)
    }

    pub fn delete(span: Span) -> Self {
        Edit::replace(span, String::new())
    }
}
