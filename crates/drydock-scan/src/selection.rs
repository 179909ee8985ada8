//! Which scan rules report, at which severity: rule defaults, then `[scan]` of
//! `drydock.toml`, then `--select` / `--ignore`.

use std::collections::BTreeMap;

use drydock_findings::{RuleInfo, Severity};

use crate::rules::RULES;

/// Does `selector` (a code, a code prefix such as `DD51`, a rule name or `ALL`) pick `rule`?
pub fn selects(selector: &str, rule: &RuleInfo) -> bool {
    selector == "ALL" || rule.code.starts_with(selector) || rule.name == selector
}

/// Does `selector` pick any scan rule? Used to reject typos in configuration and flags.
pub fn is_known(selector: &str) -> bool {
    !selector.is_empty() && RULES.iter().any(|rule| selects(selector, rule))
}

/// The resolved set of scan rules and their severities, indexed like [`RULES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSelection {
    enabled: Vec<bool>,
    severity: Vec<Severity>,
}

impl Default for RuleSelection {
    /// Every scan rule, at its default severity.
    fn default() -> Self {
        RuleSelection {
            enabled: vec![true; RULES.len()],
            severity: RULES.iter().map(|r| r.default_severity).collect(),
        }
    }
}

/// One layer of selection (configuration file or command line); selectors must be validated
/// with [`is_known`] first.
#[derive(Debug, Clone, Default)]
pub struct SelectionLayer<'a> {
    /// Run only these rules (`None`: keep the current set).
    pub select: Option<Vec<&'a str>>,
    /// Never run these; wins over `select`.
    pub ignore: Vec<&'a str>,
    /// Severity overrides by selector.
    pub severity: BTreeMap<&'a str, Severity>,
}

impl RuleSelection {
    /// Applies `layers` in order of precedence, lowest first.
    pub fn resolve(layers: &[SelectionLayer<'_>]) -> Self {
        let mut selection = RuleSelection::default();
        for layer in layers {
            if let Some(select) = &layer.select {
                for (i, rule) in RULES.iter().enumerate() {
                    selection.enabled[i] = select.iter().any(|s| selects(s, rule));
                }
            }
            for (i, rule) in RULES.iter().enumerate() {
                if layer.ignore.iter().any(|s| selects(s, rule)) {
                    selection.enabled[i] = false;
                }
                for (selector, severity) in &layer.severity {
                    if selects(selector, rule) {
                        selection.severity[i] = *severity;
                    }
                }
            }
        }
        selection
    }

    /// Is the rule with this code selected?
    pub fn enabled(&self, code: &str) -> bool {
        self.index(code).is_some_and(|i| self.enabled[i])
    }

    /// The severity findings of this rule are reported at.
    pub fn severity(&self, code: &str) -> Option<Severity> {
        self.index(code).map(|i| self.severity[i])
    }

    /// The rules that will not report, in code order.
    pub fn disabled(&self) -> impl Iterator<Item = &'static RuleInfo> + '_ {
        RULES
            .iter()
            .zip(&self.enabled)
            .filter(|(_, on)| !**on)
            .map(|(rule, _)| rule)
    }

    /// The selected rules at their effective severities, for the report's rule table.
    pub fn rule_infos(&self) -> Vec<RuleInfo> {
        RULES
            .iter()
            .zip(&self.enabled)
            .zip(&self.severity)
            .filter(|((_, on), _)| **on)
            .map(|((rule, _), severity)| RuleInfo {
                default_severity: *severity,
                ..rule.clone()
            })
            .collect()
    }

    fn index(&self, code: &str) -> Option<usize> {
        RULES.iter().position(|r| r.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_names_and_all_are_known() {
        assert!(is_known("DD5"));
        assert!(is_known("DD501"));
        assert!(is_known("secret-in-layer-file"));
        assert!(is_known("ALL"));
        assert!(!is_known("DD101"));
        assert!(!is_known(""));
        assert!(!is_known("secret"));
    }

    #[test]
    fn later_layers_win_and_ignore_beats_select() {
        let config = SelectionLayer {
            select: Some(vec!["DD50", "DD511"]),
            ignore: vec!["DD503"],
            severity: BTreeMap::from([("DD511", Severity::Error)]),
        };
        let flags = SelectionLayer {
            ignore: vec!["secret-in-config"],
            ..SelectionLayer::default()
        };
        let s = RuleSelection::resolve(&[config, flags]);
        assert!(s.enabled("DD501"));
        assert!(!s.enabled("DD502"));
        assert!(!s.enabled("DD503"));
        assert!(s.enabled("DD511"));
        assert!(!s.enabled("DD512"));
        assert_eq!(s.severity("DD511"), Some(Severity::Error));
        assert_eq!(s.severity("DD501"), Some(Severity::Error));
        let infos = s.rule_infos();
        assert_eq!(
            infos.iter().map(|r| r.code.as_ref()).collect::<Vec<_>>(),
            ["DD501", "DD511"]
        );
        assert_eq!(infos[1].default_severity, Severity::Error);
        assert!(s.disabled().any(|r| r.code == "DD512"));
    }
}
