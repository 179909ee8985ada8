use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::{Finding, LineIndex, Location, Severity};

/// What a renderer needs to know about a rule that may appear in a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub code: Cow<'static, str>,
    pub name: Cow<'static, str>,
    /// One line: what the rule checks.
    pub summary: Cow<'static, str>,
    pub default_severity: Severity,
    pub hadolint: Option<Cow<'static, str>>,
    /// The rule's full documentation in Markdown (what, why, example, fix), when it has one;
    /// `drydock rule CODE` prints it.
    pub docs: Option<Cow<'static, str>>,
}

/// The texts of the files findings point into, already redacted of secrets, so that any renderer
/// may quote them.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: BTreeMap<String, SourceFile>,
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub text: String,
    pub index: LineIndex,
}

impl Sources {
    /// Add the text of `path`. The caller must have masked secrets in `text` already.
    pub fn insert(&mut self, path: impl Into<String>, text: String) {
        let index = LineIndex::new(&text);
        self.insert_indexed(path, text, index);
    }

    /// Like [`Sources::insert`], with the line index the caller already built for `text`.
    pub fn insert_indexed(&mut self, path: impl Into<String>, text: String, index: LineIndex) {
        self.files.insert(path.into(), SourceFile { text, index });
    }

    pub fn get(&self, path: &str) -> Option<&SourceFile> {
        self.files.get(path)
    }
}

/// Counts of findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    pub style: usize,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Self {
        let mut summary = Summary::default();
        for finding in findings {
            *summary.count_mut(finding.severity) += 1;
        }
        summary
    }

    pub fn count(&self, severity: Severity) -> usize {
        match severity {
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
            Severity::Style => self.style,
        }
    }

    fn count_mut(&mut self, severity: Severity) -> &mut usize {
        match severity {
            Severity::Error => &mut self.error,
            Severity::Warning => &mut self.warning,
            Severity::Info => &mut self.info,
            Severity::Style => &mut self.style,
        }
    }

    pub fn total(&self) -> usize {
        self.error + self.warning + self.info + self.style
    }
}

/// What a command examined.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    #[default]
    File,
    Image,
}

impl TargetKind {
    /// "1 file", "3 images".
    pub fn count(self, n: usize) -> String {
        let noun = match self {
            TargetKind::File => "file",
            TargetKind::Image => "image",
        };
        if n == 1 {
            format!("1 {noun}")
        } else {
            format!("{n} {noun}s")
        }
    }
}

/// The result of one command run: findings plus everything needed to render them.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub target_kind: TargetKind,
    /// What was examined: file paths or image references, in the order given.
    pub targets: Vec<String>,
    pub findings: Vec<Finding>,
    pub sources: Sources,
    /// Metadata of the rules that ran (at least of every rule a finding names).
    pub rules: Vec<RuleInfo>,
    /// Things the user must know about the run itself: checks skipped and why, inputs not read.
    pub notices: Vec<String>,
}

impl Report {
    /// Order findings by target, then position, then rule code, so output is deterministic.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            sort_key(&a.location)
                .cmp(&sort_key(&b.location))
                .then_with(|| a.code.cmp(&b.code))
        });
    }

    pub fn summary(&self) -> Summary {
        Summary::of(&self.findings)
    }

    /// The worst severity present, if any finding exists.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    pub fn rule(&self, code: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|rule| rule.code == code)
    }
}

fn sort_key(location: &Location) -> (u8, &str, usize, usize) {
    match location {
        Location::File(file) => (0, file.path.as_str(), file.span.start, file.span.end),
        Location::Config(config) => (1, config.field.as_str(), 0, 0),
        Location::Image(image) => (2, image.path.as_deref().unwrap_or(""), image.layer, 0),
    }
}
