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
        let mut current = source.to_owned();
        let mut applied = Vec::new();
        let mut refused: Vec<AppliedFix> = Vec::new();
        for _ in 0..MAX_PASSES {
            let findings = self.lint_rules(path, &current).findings;
            let errors = drydock_dockerfile::parse(&current).errors.len();
            let mut chosen: Vec<&Finding> = Vec::new();
            for finding in &findings {
                let Some(fix) = &finding.fix else { continue };
                if !mode.allows(fix.applicability)
                    || fix.edits.is_empty()
                    || chosen.iter().any(|other| overlaps(other, finding))
                {
                    continue;
                }
                let alone = apply(&current, &fix.edits);
                if alone == current {
                    continue;
                }
                if drydock_dockerfile::parse(&alone).errors.len() > errors {
                    let refusal = applied_fix(finding);
                    if !refused.contains(&refusal) {
                        refused.push(refusal);
                    }
                    continue;
                }
                chosen.push(finding);
            }
            if chosen.is_empty() {
                break;
            }
            let edits: Vec<Edit> = chosen
                .iter()
                .flat_map(|finding| finding.fix.iter().flat_map(|fix| fix.edits.clone()))
                .collect();
            let mut next = apply(&current, &edits);
            let mut used = chosen.len();
            // Each fix parses alone; should two together not, take the first only.
            if drydock_dockerfile::parse(&next).errors.len() > errors {
                next = apply(&current, &chosen[0].fix.as_ref().expect("chosen").edits);
                used = 1;
            }
            applied.extend(chosen[..used].iter().map(|finding| applied_fix(finding)));
            current = next;
        }
        Fixed {
            source: current,
            applied,
            refused,
        }
    }
}

fn applied_fix(finding: &Finding) -> AppliedFix {
    AppliedFix {
        code: finding.code.to_string(),
        message: finding
            .fix
            .as_ref()
            .map(|fix| fix.message.clone())
            .unwrap_or_default(),
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
