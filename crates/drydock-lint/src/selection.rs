//! Which rules run, at which severity: rule defaults, then `.hadolint.yaml`, then `drydock.toml`,
//! then command-line flags.

use drydock_config::RulesConfig;
use drydock_findings::Severity;

use crate::hadolint_config::HadolintConfig;
use crate::rule::Rule;
use crate::rules::ALL;

/// Does `selector` (a code, a code prefix, a name, a hadolint code or `ALL`) pick `rule`?
pub fn selects(selector: &str, rule: &Rule) -> bool {
    selector == "ALL"
        || rule.code.starts_with(selector)
        || rule.name == selector
        || rule.hadolint == Some(selector)
}

/// Does `selector` pick any rule? Used to reject typos in configuration and flags.
pub fn is_known(selector: &str) -> bool {
    !selector.is_empty()
        && (is_shellcheck_code(selector) || ALL.iter().any(|rule| selects(selector, rule)))
}

/// `SC`, or `SC` and up to four digits: a ShellCheck code (`SC2086`) or a prefix of some.
pub fn is_shellcheck_code(selector: &str) -> bool {
    selector
        .strip_prefix("SC")
        .is_some_and(|digits| digits.len() <= 4 && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Which ShellCheck codes are reported, and how severe they are.
#[derive(Debug, Clone)]
pub(crate) struct ShellCheckSelection {
    /// Whether ShellCheck runs at all.
    pub(crate) enabled: bool,
    /// When not empty, only codes starting with one of these.
    only: Vec<String>,
    /// Codes (or prefixes) never reported.
    ignored: Vec<String>,
    /// Severity overrides, later ones winning.
    severity: Vec<(String, Severity)>,
}

impl ShellCheckSelection {
    /// The severity of a finding with `code` whose ShellCheck level is `default`, or `None` when
    /// the code is not selected.
    pub(crate) fn severity_of(&self, code: &str, default: Severity) -> Option<Severity> {
        let matches = |prefix: &String| code.starts_with(prefix.as_str());
        if !self.enabled
            || (!self.only.is_empty() && !self.only.iter().any(matches))
            || self.ignored.iter().any(matches)
        {
            return None;
        }
        Some(
            self.severity
                .iter()
                .rev()
                .find(|(prefix, _)| matches(prefix))
                .map_or(default, |(_, severity)| *severity),
        )
    }

    fn only(&mut self, selectors: &[&str]) {
        self.enabled = false;
        self.only.clear();
        self.enable(selectors);
    }

    fn enable(&mut self, selectors: &[&str]) {
        for &selector in selectors {
            if selector == "ALL" || selector == "SC" {
                self.enabled = true;
                self.only.clear();
            } else if is_shellcheck_code(selector) {
                if !self.enabled {
                    self.enabled = true;
                    self.only = vec![selector.to_string()];
                } else if !self.only.is_empty() {
                    self.only.push(selector.to_string());
                }
            }
        }
    }

    fn disable(&mut self, selectors: &[&str]) {
        for &selector in selectors {
            if selector == "ALL" || selector == "SC" {
                self.enabled = false;
            } else if is_shellcheck_code(selector) {
                self.ignored.push(selector.to_string());
            }
        }
    }
}

/// Rule selection given on the command line; each list is empty when the flag is absent.
#[derive(Debug, Clone, Default)]
pub struct SelectionFlags {
    pub select: Vec<String>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
}

/// The resolved set of rules and their severities, indexed like [`ALL`].
#[derive(Debug, Clone)]
pub struct Selection {
    enabled: Vec<bool>,
    severity: Vec<Severity>,
    shellcheck: ShellCheckSelection,
}

impl Selection {
    /// Every rule that is on by default, at its default severity.
    pub fn defaults() -> Self {
        Selection {
            enabled: ALL.iter().map(|rule| rule.enabled_by_default).collect(),
            severity: ALL.iter().map(|rule| rule.severity).collect(),
            shellcheck: ShellCheckSelection {
                enabled: true,
                only: Vec::new(),
                ignored: Vec::new(),
                severity: Vec::new(),
            },
        }
    }

    /// Which ShellCheck codes are selected.
    pub(crate) fn shellcheck(&self) -> &ShellCheckSelection {
        &self.shellcheck
    }

    /// Apply the layers in order of precedence. Selectors must already be validated.
    pub fn resolve(
        hadolint: Option<&HadolintConfig>,
        config: &RulesConfig,
        flags: &SelectionFlags,
    ) -> Self {
        let mut selection = Selection::defaults();
        if let Some(hadolint) = hadolint {
            selection.disable(hadolint.ignored.iter().map(String::as_str), true);
            for (code, severity) in hadolint.overrides.iter() {
                selection.set_severity(code, severity, true);
            }
        }
        if let Some(select) = &config.select {
            selection.only(select.iter().map(|s| s.get_ref().as_str()));
        }
        selection.enable(config.extend_select.iter().map(|s| s.get_ref().as_str()));
        selection.disable(config.ignore.iter().map(|s| s.get_ref().as_str()), false);
        for (selector, severity) in &config.severity {
            selection.set_severity(selector.get_ref(), *severity.get_ref(), false);
        }
        if !flags.select.is_empty() {
            selection.only(flags.select.iter().map(String::as_str));
        }
        selection.enable(flags.extend_select.iter().map(String::as_str));
        selection.disable(flags.ignore.iter().map(String::as_str), false);
        selection
    }

    /// The enabled rules with their effective severities.
    pub fn rules(&self) -> impl Iterator<Item = (&'static Rule, Severity)> + '_ {
        ALL.iter()
            .zip(&self.enabled)
            .zip(&self.severity)
            .filter(|((_, enabled), _)| **enabled)
            .map(|((rule, _), severity)| (*rule, *severity))
    }

    fn matching<'s>(
        selectors: impl IntoIterator<Item = &'s str>,
        hadolint_only: bool,
    ) -> Vec<usize> {
        let selectors: Vec<&str> = selectors.into_iter().collect();
        ALL.iter()
            .enumerate()
            .filter(|(_, rule)| {
                selectors.iter().any(|selector| {
                    if hadolint_only {
                        rule.hadolint == Some(*selector)
                    } else {
                        selects(selector, rule)
                    }
                })
            })
            .map(|(i, _)| i)
            .collect()
    }

    fn only<'s>(&mut self, selectors: impl IntoIterator<Item = &'s str>) {
        let selectors: Vec<&str> = selectors.into_iter().collect();
        self.enabled.iter_mut().for_each(|enabled| *enabled = false);
        self.shellcheck.only(&selectors);
        for i in Selection::matching(selectors, false) {
            self.enabled[i] = true;
        }
    }

    fn enable<'s>(&mut self, selectors: impl IntoIterator<Item = &'s str>) {
        let selectors: Vec<&str> = selectors.into_iter().collect();
        self.shellcheck.enable(&selectors);
        for i in Selection::matching(selectors, false) {
            self.enabled[i] = true;
        }
    }

    fn disable<'s>(&mut self, selectors: impl IntoIterator<Item = &'s str>, hadolint_only: bool) {
        let selectors: Vec<&str> = selectors.into_iter().collect();
        self.shellcheck.disable(&selectors);
        for i in Selection::matching(selectors, hadolint_only) {
            self.enabled[i] = false;
        }
    }

    fn set_severity(&mut self, selector: &str, severity: Severity, hadolint_only: bool) {
        if is_shellcheck_code(selector) {
            self.shellcheck
                .severity
                .push((selector.to_string(), severity));
        }
        for i in Selection::matching([selector], hadolint_only) {
            self.severity[i] = severity;
        }
    }
}
