//! Dockerfile linting: the rules (one file each under `rules/`) and the engine that selects them,
//! runs them over a parsed Dockerfile, applies suppression pragmas and severity overrides, and
//! turns their diagnostics into findings.

mod checker;
mod fix;
pub mod hadolint_config;
mod pragma;
mod rule;
pub mod rules;
mod selection;
pub mod shellcheck;

pub use checker::Checker;
pub use fix::{AppliedFix, FixMode, Fixed, apply};
pub use rule::{Diagnostic, Rule};
pub use selection::{Selection, SelectionFlags, is_known, is_shellcheck_code, selects};

use drydock_dockerfile::{GraphOptions, Instruction};
use drydock_findings::{FileLocation, Finding, LineIndex, Location, RuleInfo, Severity, Span};

use crate::pragma::{Dialect, Pragma, Scope};
pub use crate::shellcheck::ShellCheck;

/// Settings some rules read.
#[derive(Debug, Clone, Default)]
pub struct LintSettings {
    /// `--target`: the stage being built (the last one when `None`).
    pub target: Option<String>,
    /// Registries `FROM` may pull from; empty means any.
    pub trusted_registries: Vec<String>,
    /// Labels the image must carry, and the form of their values (hadolint's `label-schema`).
    pub label_schema: std::collections::BTreeMap<String, hadolint_config::LabelType>,
    /// Report labels that are not in `label_schema` (hadolint's `strict-labels`).
    pub strict_labels: bool,
    /// Digests of base images (`name:tag` as written in FROM → `sha256:…`), looked up in their
    /// registries by `--resolve-digests`: DD205 offers to pin them.
    pub digests: std::collections::BTreeMap<String, String>,
}

/// Lints Dockerfiles with a fixed selection of rules. Cheap to share across threads.
#[derive(Debug, Clone)]
pub struct Linter {
    rules: Vec<(&'static Rule, Severity)>,
    shellcheck_selection: selection::ShellCheckSelection,
    shellcheck: Option<ShellCheck>,
    honour_pragmas: bool,
    settings: LintSettings,
}

/// The outcome of linting one file.
#[derive(Debug, Clone)]
pub struct FileResult {
    pub findings: Vec<Finding>,
    /// The source with every secret value masked (same length, so spans still fit): the only
    /// form of the text any output may quote.
    pub display_source: String,
    /// Line starts of the source, which are also those of `display_source`.
    pub line_index: LineIndex,
    /// What went wrong around the rules (ShellCheck failed), one sentence each.
    pub notices: Vec<String>,
}

impl Linter {
    pub fn new(selection: &Selection, settings: LintSettings, honour_pragmas: bool) -> Self {
        Linter {
            rules: selection.rules().collect(),
            shellcheck_selection: selection.shellcheck().clone(),
            shellcheck: None,
            honour_pragmas,
            settings,
        }
    }

    /// Also run ShellCheck on RUN scripts (when the selection includes `SC` codes).
    pub fn with_shellcheck(mut self, shellcheck: Option<ShellCheck>) -> Self {
        self.shellcheck = shellcheck;
        self
    }

    /// Whether the selection asks for ShellCheck's checks.
    pub fn shellcheck_selected(&self) -> bool {
        self.shellcheck_selection.enabled
    }

    /// Metadata of the rules this linter runs, for renderers.
    pub fn rule_infos(&self) -> Vec<RuleInfo> {
        self.rules
            .iter()
            .map(|(rule, severity)| rule_info(rule, *severity))
            .collect()
    }

    /// Lint raw file contents: text that is not UTF-8 is reported as an `invalid-syntax` finding at
    /// the first bad byte, and the rest of the file (decoded lossily) is still linted.
    pub fn lint_bytes(&self, path: &str, bytes: &[u8]) -> FileResult {
        match std::str::from_utf8(bytes) {
            Ok(source) => self.lint(path, source),
            Err(error) => {
                let source = String::from_utf8_lossy(bytes);
                let mut result = self.lint(path, &source);
                let offset = error.valid_up_to();
                let span = Span::new(offset, offset);
                if let Some(&(rule, severity)) =
                    self.rules.iter().find(|(rule, _)| rule.code == "DD001")
                {
                    let index = LineIndex::new(&source);
                    result.findings.push(
                        Finding::new(
                            rule.code,
                            rule.name,
                            severity,
                            format!("the file is not valid UTF-8 (at byte {offset})"),
                            Location::File(FileLocation::new(path, span, &source, &index)),
                        )
                        .with_hadolint("DL1000"),
                    );
                }
                result
            }
        }
    }

    /// Lint the Dockerfile text `source`, reported under `path`: the rules, then ShellCheck
    /// (when configured with [`Linter::with_shellcheck`]).
    pub fn lint(&self, path: &str, source: &str) -> FileResult {
        self.lint_with(path, source, self.shellcheck.as_ref())
    }

    /// Lint with the rules only.
    pub(crate) fn lint_rules(&self, path: &str, source: &str) -> FileResult {
        self.lint_with(path, source, None)
    }

    fn lint_with(&self, path: &str, source: &str, shellcheck: Option<&ShellCheck>) -> FileResult {
        let file = drydock_dockerfile::parse(source);
        let graph = file.stage_graph(&GraphOptions {
            target: self.settings.target.clone(),
            build_args: Vec::new(),
        });
        let index = &file.line_index;
        let suppressions = if self.honour_pragmas {
            Suppressions::of(&file)
        } else {
            Suppressions::default()
        };
        let mut findings = Vec::new();
        let mut checker = Checker::new(&file, &graph, &self.settings);
        for &(rule, severity) in &self.rules {
            (rule.check)(&mut checker);
            for diagnostic in checker.take_diagnostics() {
                let span = Span::new(diagnostic.span.start, diagnostic.span.end);
                if suppressions.suppresses(
                    &|pragma| names_rule(pragma, rule),
                    &file,
                    &graph,
                    span.start,
                ) {
                    continue;
                }
                let mut finding = Finding::new(
                    rule.code,
                    rule.name,
                    severity,
                    diagnostic.message,
                    Location::File(FileLocation::new(path, span, source, index)),
                );
                finding.help = diagnostic.help;
                finding.fix = diagnostic.fix;
                finding.hadolint = rule.hadolint.map(Into::into);
                findings.push(finding);
            }
        }
        let mut notices = Vec::new();
        if let Some(shellcheck) = shellcheck.filter(|_| self.shellcheck_selection.enabled) {
            match shellcheck.check(&file) {
                Ok(found) => {
                    for finding in found {
                        let Some(severity) = self
                            .shellcheck_selection
                            .severity_of(&finding.code, finding.severity)
                        else {
                            continue;
                        };
                        let names = |pragma: &Pragma| names_shellcheck(pragma, &finding.code);
                        if suppressions.suppresses(&names, &file, &graph, finding.span.start) {
                            continue;
                        }
                        let reported = Finding::new(
                            finding.code.clone(),
                            "shellcheck",
                            severity,
                            finding.message,
                            Location::File(FileLocation::new(path, finding.span, source, index)),
                        )
                        .with_help(format!(
                            "see https://www.shellcheck.net/wiki/{}",
                            finding.code
                        ));
                        findings.push(reported);
                    }
                }
                Err(message) => notices.push(format!("{path}: {message}")),
            }
        }
        let mut secrets = checker.take_secrets();
        secrets.extend(
            drydock_secrets::Scanner::global()
                .scan(source.as_bytes())
                .into_iter()
                .map(|found| Span::new(found.range.start, found.range.end)),
        );
        FileResult {
            findings,
            display_source: mask(source, &secrets),
            line_index: file.line_index,
            notices,
        }
    }
}

/// The external base images of `source` that DD205 would report (a tag other than `latest`, no
/// digest) and that FROM writes literally: the references `--resolve-digests` looks up.
pub fn unpinned_bases(source: &str) -> Vec<String> {
    let file = drydock_dockerfile::parse(source);
    let graph = file.stage_graph(&GraphOptions::default());
    let settings = LintSettings::default();
    let checker = Checker::new(&file, &graph, &settings);
    rules::unpinned_bases(&checker)
}

/// `source` with every character inside `secrets` replaced by `*`s of the same byte length.
fn mask(source: &str, secrets: &[Span]) -> String {
    if secrets.is_empty() {
        return source.to_string();
    }
    let mut masked = String::with_capacity(source.len());
    for (offset, c) in source.char_indices() {
        if secrets
            .iter()
            .any(|span| span.start <= offset && offset < span.end)
            && c != '\n'
        {
            masked.extend(std::iter::repeat_n('*', c.len_utf8()));
        } else {
            masked.push(c);
        }
    }
    masked
}

fn rule_info(rule: &Rule, severity: Severity) -> RuleInfo {
    RuleInfo {
        code: rule.code.into(),
        name: rule.name.into(),
        summary: rule.summary.into(),
        default_severity: severity,
        hadolint: rule.hadolint.map(Into::into),
        docs: Some(rule.docs.into()),
    }
}

/// Which rules pragmas turn off where.
#[derive(Debug, Default)]
struct Suppressions {
    /// (byte range of the instruction — or unparsable line — after the comment, pragma).
    next: Vec<(Span, Pragma)>,
    /// (index of the stage's FROM instruction, pragma).
    stage: Vec<(usize, Pragma)>,
    file: Vec<Pragma>,
}

impl Suppressions {
    fn of(file: &drydock_dockerfile::Dockerfile) -> Self {
        let mut suppressions = Suppressions::default();
        for comment in &file.comments {
            let Some(pragma) = pragma::parse(comment.text(&file.source)) else {
                continue;
            };
            let next = file
                .instructions
                .partition_point(|instruction| instruction.span.start < comment.start);
            match pragma.scope {
                Scope::File => suppressions.file.push(pragma),
                Scope::NextInstruction => {
                    // What follows is an instruction or a line that failed to parse.
                    let instruction = file.instructions.get(next).map(|i| i.span);
                    let error = file
                        .errors
                        .iter()
                        .map(|e| e.span)
                        .filter(|span| span.start > comment.start)
                        .min();
                    let target = match (instruction, error) {
                        (Some(i), Some(e)) => Some(if e.start < i.start { e } else { i }),
                        (i, e) => i.or(e),
                    };
                    if let Some(target) = target {
                        suppressions.next.push((target, pragma));
                    }
                }
                Scope::Stage if file.instructions.get(next).is_some_and(is_from) => {
                    suppressions.stage.push((next, pragma));
                }
                // A stage pragma not followed by FROM does nothing, as in hadolint.
                Scope::Stage => {}
            }
        }
        suppressions
    }

    /// Whether a pragma for which `names_rule` holds covers `offset`.
    fn suppresses(
        &self,
        names_rule: &dyn Fn(&Pragma) -> bool,
        file: &drydock_dockerfile::Dockerfile,
        graph: &drydock_dockerfile::StageGraph,
        offset: usize,
    ) -> bool {
        if self.file.iter().any(names_rule) {
            return true;
        }
        if self
            .next
            .iter()
            .any(|(span, pragma)| span.start <= offset && offset <= span.end && names_rule(pragma))
        {
            return true;
        }
        let Some(instruction) = instruction_at(file, offset) else {
            return false;
        };
        let stage_start = graph
            .stage_of(instruction)
            .map(|stage| graph.stages[stage].instructions.start);
        self.stage
            .iter()
            .any(|(from, pragma)| Some(*from) == stage_start && names_rule(pragma))
    }
}

/// Whether `pragma` names `rule`.
fn names_rule(pragma: &Pragma, rule: &Rule) -> bool {
    pragma.codes.iter().any(|code| match pragma.dialect {
        Dialect::Drydock => selects(code, rule),
        Dialect::Hadolint => rule.hadolint == Some(code.as_str()),
    })
}

/// Whether `pragma` names the ShellCheck code `code` (`SC2086`; drydock pragmas also take a
/// prefix such as `SC2`).
fn names_shellcheck(pragma: &Pragma, code: &str) -> bool {
    pragma.codes.iter().any(|written| match pragma.dialect {
        Dialect::Drydock => {
            written == "ALL" || (written.starts_with("SC") && code.starts_with(written.as_str()))
        }
        Dialect::Hadolint => written == code,
    })
}

fn is_from(instruction: &Instruction) -> bool {
    instruction.keyword == drydock_dockerfile::Keyword::From
}

/// The index of the instruction whose span contains `offset`.
fn instruction_at(file: &drydock_dockerfile::Dockerfile, offset: usize) -> Option<usize> {
    let after = file
        .instructions
        .partition_point(|instruction| instruction.span.start <= offset);
    let index = after.checked_sub(1)?;
    (offset <= file.instructions[index].span.end).then_some(index)
}
