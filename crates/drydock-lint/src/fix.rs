//! Applying the fixes rules attach to their findings: text edits into the Dockerfile, applied
//! without overlap, pass after pass (re-linting the result each time) until nothing changes.
//!
//! A fix is only kept when the file it produces parses with no more syntax errors than before:
//! no fix may turn a file BuildKit accepts into one it rejects.

use drydock_findings::{Applicability, Edit, Finding};

use crate::Linter;

/// Passes after which fixing stops even if fixes remain (each pass re-lints the file).
const MAX_PASSES: usize = 10;

/// Which fixes to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixMode {
    /// Also apply fixes that change what the image does (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
}

impl FixMode {
    fn allows(self, applicability: Applicability) -> bool {
        applicability == Applicability::Safe || self.unsafe_fixes
    }
}

/// One fix that was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedFix {
    pub code: String,
    pub message: String,
    pub applicability: Applicability,
}

/// The outcome of fixing one file.
#[derive(Debug, Clone)]
pub struct Fixed {
    /// The text after every applicable fix.
    pub source: String,
    /// Fixes applied, in the order they were applied.
    pub applied: Vec<AppliedFix>,
    /// Fixes left out because the result would not have parsed.
    pub refused: Vec<AppliedFix>,
}

impl Fixed {
    pub fn changed(&self) -> bool {
        !self.applied.is_empty()
    }
}

impl Linter {
    /// Apply the fixes `mode` allows to `source` until none applies (at most [`MAX_PASSES`]
    /// passes), re-linting in between. ShellCheck is not run: it proposes no fixes.
    pub fn fix(&self, path: &str, source: &str, mode: FixMode) -> Fixed {
        let mut fixed = Fixed {
            source: source.to_owned(),
            applied: Vec::new(),
            refused: Vec::new(),
        };
        for _ in 0..MAX_PASSES {
            let findings = self.lint_rules(path, &fixed.source).findings;
            if !pass(&mut fixed, &findings, mode) {
                break;
            }
        }
        fixed
    }
}

/// Apply the fixes of `findings` (found in `fixed.source`) that `mode` allows and that do not
/// overlap, each only if the file still parses with it. Returns whether anything changed.
fn pass(fixed: &mut Fixed, findings: &[Finding], mode: FixMode) -> bool {
    let current = &fixed.source;
    let errors = drydock_dockerfile::parse(current).errors.len();
    let mut chosen: Vec<&Finding> = Vec::new();
    for finding in findings {
        let Some(fix) = &finding.fix else { continue };
        if !mode.allows(fix.applicability)
            || fix.edits.is_empty()
            || chosen.iter().any(|other| overlaps(other, finding))
        {
            continue;
        }
        let alone = apply(current, &fix.edits);
        if alone == *current {
            continue;
        }
        if drydock_dockerfile::parse(&alone).errors.len() > errors {
            let refusal = applied_fix(finding);
            if !fixed.refused.contains(&refusal) {
                fixed.refused.push(refusal);
            }
            continue;
        }
        chosen.push(finding);
    }
    if chosen.is_empty() {
        return false;
    }
    let edits: Vec<Edit> = chosen
        .iter()
        .flat_map(|finding| finding.fix.iter().flat_map(|fix| fix.edits.clone()))
        .collect();
    let mut next = apply(current, &edits);
    let mut used = chosen.len();
    // Each fix parses alone; should two together not, take the first only.
    if drydock_dockerfile::parse(&next).errors.len() > errors {
        next = apply(current, &chosen[0].fix.as_ref().expect("chosen").edits);
        used = 1;
    }
    fixed
        .applied
        .extend(chosen[..used].iter().map(|finding| applied_fix(finding)));
    fixed.source = next;
    true
}

fn applied_fix(finding: &Finding) -> AppliedFix {
    AppliedFix {
        code: finding.code.to_string(),
        message: finding
            .fix
            .as_ref()
            .map(|fix| fix.message.clone())
            .unwrap_or_default(),
        applicability: finding
            .fix
            .as_ref()
            .map_or(Applicability::Safe, |fix| fix.applicability),
    }
}

/// Whether two findings' fixes touch the same bytes (insertions at the same offset count, so the
/// order of inserted texts never depends on the order of rules).
fn overlaps(a: &Finding, b: &Finding) -> bool {
    let (Some(a), Some(b)) = (&a.fix, &b.fix) else {
        return false;
    };
    a.edits.iter().any(|x| {
        b.edits.iter().any(|y| {
            (x.span.start < y.span.end && y.span.start < x.span.end)
                || x.span.start == y.span.start
                || x.span.end == y.span.end
                || (x.span.is_empty() && x.span.start == y.span.end)
                || (y.span.is_empty() && y.span.start == x.span.end)
        })
    })
}

/// `source` with `edits` applied. Edits must not overlap each other; an edit whose span does not
/// fit the text or splits a character is skipped.
pub fn apply(source: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|edit| (edit.span.start, edit.span.end));
    let mut out = String::with_capacity(source.len() + 64);
    let mut at = 0;
    for edit in sorted {
        let (start, end) = (edit.span.start, edit.span.end);
        if start < at
            || end < start
            || end > source.len()
            || !source.is_char_boundary(start)
            || !source.is_char_boundary(end)
        {
            continue;
        }
        out.push_str(&source[at..start]);
        out.push_str(&edit.replacement);
        at = end;
    }
    out.push_str(&source[at..]);
    out
}

#[cfg(test)]
mod tests {
    use drydock_findings::Span;

    use super::*;

    #[test]
    fn edits_apply_in_offset_order() {
        let edits = [
            Edit::insert(12, " -y"),
            Edit::replace(Span::new(0, 4), "from"),
            Edit::delete(Span::new(4, 5)),
        ];
        assert_eq!(apply("FROM a\nRUN x", &edits), "froma\nRUN x -y");
    }

    fn finding(code: &'static str, applicability: Applicability, edits: Vec<Edit>) -> Finding {
        let location = drydock_findings::Location::Config(drydock_findings::ConfigLocation {
            field: String::new(),
        });
        Finding::new(code, "test", drydock_findings::Severity::Info, "", location).with_fix(
            drydock_findings::Fix {
                message: code.into(),
                applicability,
                edits,
            },
        )
    }

    #[test]
    fn a_fix_that_breaks_parsing_is_refused_and_the_others_applied() {
        let mut fixed = Fixed {
            source: "FROM a\nCMD x\n".into(),
            applied: Vec::new(),
            refused: Vec::new(),
        };
        let findings = [
            // `FRM` is no instruction: BuildKit would reject the file.
            finding(
                "BREAK",
                Applicability::Safe,
                vec![Edit::replace(Span::new(0, 4), "FRM")],
            ),
            finding(
                "OK",
                Applicability::Safe,
                vec![Edit::replace(Span::new(11, 12), "y")],
            ),
            finding(
                "UNSAFE",
                Applicability::Unsafe,
                vec![Edit::insert(13, "USER 1\n")],
            ),
        ];
        let safe = FixMode {
            unsafe_fixes: false,
        };
        assert!(pass(&mut fixed, &findings, safe));
        assert_eq!(fixed.source, "FROM a\nCMD y\n");
        assert_eq!(fixed.applied.len(), 1);
        assert_eq!(fixed.refused.len(), 1);
        assert_eq!(fixed.refused[0].code, "BREAK");
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_pass() {
        let mut fixed = Fixed {
            source: "FROM a\nCMD x\n".into(),
            applied: Vec::new(),
            refused: Vec::new(),
        };
        let findings = [
            finding("A", Applicability::Safe, vec![Edit::insert(12, " 1")]),
            finding("B", Applicability::Safe, vec![Edit::insert(12, " 2")]),
        ];
        assert!(pass(&mut fixed, &findings, FixMode { unsafe_fixes: true }));
        assert_eq!(fixed.source, "FROM a\nCMD x 1\n");
    }

    #[test]
    fn overlapping_or_out_of_range_edits_are_skipped() {
        let edits = [
            Edit::replace(Span::new(0, 3), "x"),
            Edit::replace(Span::new(2, 4), "y"),
            Edit::insert(99, "z"),
        ];
        assert_eq!(apply("abcd", &edits), "xd");
    }
}
