//! The decision: given what the last build recorded and what upstream looks
//! like now, build nothing, rebuild from the first affected step of each
//! affected stage, or rebuild everything.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::record::{BuildRecord, Refresh, StageBase};
use crate::steps::Step;

/// A package of the last image with a newer version available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageFix {
    /// Binary package name.
    pub name: String,
    /// Version in the last image.
    pub installed: String,
    /// Version available.
    pub fixed: String,
    /// Whether a security suite offers it.
    pub security: bool,
}

/// Fixes for the packages one step installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepFixes {
    /// Stage index.
    pub stage: usize,
    /// Instruction index of the step.
    pub instruction: usize,
    /// 1-based line.
    pub line: usize,
    /// The step's text.
    pub step: String,
    /// The packages.
    pub packages: Vec<PackageFix>,
}

/// Everything the decision depends on.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The record of the last image built under the tag; `None` with the
    /// reason when there is none.
    pub previous: Result<&'a BuildRecord, String>,
    /// [`crate::context::digest`] now.
    pub context: &'a str,
    /// The bases now (one per stage built on an external image).
    pub bases: &'a [StageBase],
    /// The steps of the stages built now.
    pub steps: &'a [Step],
    /// Fixes attributed to steps (already filtered by the refresh policy).
    pub fixes: &'a [StepFixes],
    /// Seconds since the last full rebuild, if one is recorded.
    pub since_full_rebuild: Option<i64>,
    /// The backstop: rebuild everything when the last full rebuild is older.
    pub full_rebuild_every: Option<i64>,
    /// `--no-cache`.
    pub force_full: bool,
}

/// Why something is (re)built, or why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reason {
    /// No usable record of a previous build.
    FirstBuild {
        /// Why there is no record.
        detail: String,
    },
    /// The Dockerfile, context files, build arguments, target or platform changed.
    ContextChanged,
    /// A stage's base reference now resolves to another digest.
    BaseMoved {
        /// Stage index.
        stage: usize,
        /// Stage name.
        name: Option<String>,
        /// The reference.
        base: String,
        /// Digest at the last build (`None`: the stage's base changed reference).
        from: Option<String>,
        /// Digest now.
        to: String,
    },
    /// Packages a step installed have newer versions.
    Fixes(StepFixes),
    /// The backstop full rebuild is due.
    Backstop {
        /// Seconds since the last full rebuild (`None`: never).
        since: Option<i64>,
        /// The policy, in seconds.
        every: i64,
    },
    /// `--no-cache` was asked for.
    Forced,
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Nothing changed: no build.
    Fresh,
    /// A cached build; refresh points force the affected steps.
    Build,
    /// `--pull --no-cache`.
    FullRebuild,
}

/// The decision and its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// What to do.
    pub action: Action,
    /// Why (empty for [`Action::Fresh`]).
    pub reasons: Vec<Reason>,
    /// The refresh points the build declares (kept from earlier builds and
    /// new ones), to be recorded on the new image.
    pub refresh: Vec<Refresh>,
}

/// Decides.
pub fn decide(facts: &Facts<'_>) -> Plan {
    let mut reasons = Vec::new();
    if facts.force_full {
        reasons.push(Reason::Forced);
    }
    if let Some(every) = facts.full_rebuild_every
        && facts.since_full_rebuild.is_none_or(|since| since >= every)
    {
        reasons.push(Reason::Backstop {
            since: facts.since_full_rebuild,
            every,
        });
    }
    if !reasons.is_empty() {
        return Plan {
            action: Action::FullRebuild,
            reasons,
            refresh: Vec::new(),
        };
    }
    let previous = match &facts.previous {
        Ok(p) => *p,
        Err(detail) => {
            return Plan {
                action: Action::Build,
                reasons: vec![Reason::FirstBuild {
                    detail: detail.clone(),
                }],
                refresh: Vec::new(),
            };
        }
    };
    if previous.context != facts.context {
        reasons.push(Reason::ContextChanged);
    }
    for now in facts.bases {
        let before = previous.base_of(now.stage, &now.base);
        if before.is_none_or(|b| b.digest != now.digest) {
            reasons.push(Reason::BaseMoved {
                stage: now.stage,
                name: now.name.clone(),
                base: now.base.clone(),
                from: before.map(|b| b.digest.clone()),
                to: now.digest.clone(),
            });
        }
    }
    let refresh = refresh_points(previous, facts);
    reasons.extend(facts.fixes.iter().cloned().map(Reason::Fixes));
    Plan {
        action: if reasons.is_empty() {
            Action::Fresh
        } else {
            Action::Build
        },
        reasons,
        refresh,
    }
}

/// Earlier refresh points whose step still exists, moved to an earlier
/// step and given a new token where new fixes arrived; one per stage.
fn refresh_points(previous: &BuildRecord, facts: &Facts<'_>) -> Vec<Refresh> {
    let position = |stage: usize, text: &str| {
        facts
            .steps
            .iter()
            .position(|s| s.stage == stage && s.text == text)
    };
    let mut points: Vec<Refresh> = previous
        .refresh
        .iter()
        .filter(|r| position(r.stage, &r.step).is_some())
        .cloned()
        .collect();
    for fixes in facts.fixes {
        let mut hasher = Sha256::new();
        let existing = points.iter().position(|r| r.stage == fixes.stage);
        if let Some(i) = existing {
            hasher.update(points[i].token.as_bytes());
        }
        for p in &fixes.packages {
            hasher.update(format!("{}={}\n", p.name, p.fixed).as_bytes());
        }
        let token = hex::encode(&hasher.finalize()[..8]);
        match existing {
            Some(i) => {
                let here = position(fixes.stage, &fixes.step);
                if here < position(fixes.stage, &points[i].step) {
                    points[i].step = fixes.step.clone();
                }
                points[i].token = token;
            }
            None => points.push(Refresh {
                stage: fixes.stage,
                step: fixes.step.clone(),
                token,
            }),
        }
    }
    points.sort_by_key(|r| (r.stage, position(r.stage, &r.step)));
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::VERSION;

    fn step(stage: usize, instruction: usize, text: &str) -> Step {
        Step {
            stage,
            instruction,
            line: instruction + 1,
            text: text.into(),
            history_command: None,
        }
    }

    fn base(stage: usize, digest: &str) -> StageBase {
        StageBase {
            stage,
            name: None,
            base: format!("127.0.0.1:5000/base{stage}:1"),
            digest: digest.into(),
        }
    }

    fn record(bases: Vec<StageBase>, refresh: Vec<Refresh>) -> BuildRecord {
        BuildRecord {
            version: VERSION,
            context: "ctx".into(),
            stages: bases,
            refresh,
            full_rebuild: None,
        }
    }

    fn fixes(stage: usize, instruction: usize, text: &str, fixed: &str) -> StepFixes {
        StepFixes {
            stage,
            instruction,
            line: instruction + 1,
            step: text.into(),
            packages: vec![PackageFix {
                name: "demo".into(),
                installed: "1.0-1".into(),
                fixed: fixed.into(),
                security: true,
            }],
        }
    }

    fn facts<'a>(
        previous: &'a BuildRecord,
        bases: &'a [StageBase],
        steps: &'a [Step],
        fixes: &'a [StepFixes],
    ) -> Facts<'a> {
        Facts {
            previous: Ok(previous),
            context: "ctx",
            bases,
            steps,
            fixes,
            since_full_rebuild: Some(3600),
            full_rebuild_every: None,
            force_full: false,
        }
    }

    #[test]
    fn nothing_changed_is_fresh_and_keeps_refresh_points() {
        let steps = [step(0, 1, "RUN a"), step(1, 3, "RUN apt-get install demo")];
        let bases = [base(0, "sha256:a"), base(1, "sha256:b")];
        let kept = Refresh {
            stage: 1,
            step: "RUN apt-get install demo".into(),
            token: "t1".into(),
        };
        let gone = Refresh {
            stage: 0,
            step: "RUN removed".into(),
            token: "t0".into(),
        };
        let previous = record(bases.to_vec(), vec![kept.clone(), gone]);
        let plan = decide(&facts(&previous, &bases, &steps, &[]));
        assert_eq!(plan.action, Action::Fresh);
        assert!(plan.reasons.is_empty());
        assert_eq!(
            plan.refresh,
            vec![kept],
            "a refresh point of a removed step is dropped"
        );
    }

    #[test]
    fn moved_base_and_changed_context_rebuild() {
        let steps = [step(0, 1, "RUN a")];
        let previous = record(vec![base(0, "sha256:old")], vec![]);
        let now = [base(0, "sha256:new")];
        let mut f = facts(&previous, &now, &steps, &[]);
        f.context = "other";
        let plan = decide(&f);
        assert_eq!(plan.action, Action::Build);
        assert_eq!(plan.reasons[0], Reason::ContextChanged);
        assert!(matches!(
            &plan.reasons[1],
            Reason::BaseMoved { from: Some(from), to, .. } if from == "sha256:old" && to == "sha256:new"
        ));
    }

    #[test]
    fn fixes_place_one_refresh_point_per_stage_at_the_earliest_step() {
        let steps = [
            step(1, 3, "RUN apt-get install a"),
            step(1, 4, "RUN apt-get install b"),
        ];
        let bases = [base(1, "sha256:b")];
        let previous = record(
            bases.to_vec(),
            vec![Refresh {
                stage: 1,
                step: "RUN apt-get install b".into(),
                token: "old".into(),
            }],
        );
        let new = [fixes(1, 3, "RUN apt-get install a", "1.0-2")];
        let plan = decide(&facts(&previous, &bases, &steps, &new));
        assert_eq!(plan.action, Action::Build);
        assert_eq!(plan.refresh.len(), 1);
        assert_eq!(plan.refresh[0].step, "RUN apt-get install a");
        assert_ne!(plan.refresh[0].token, "old");
        // the same fixes again give the same token (a retried build reuses its cache)
        let again = decide(&facts(&previous, &bases, &steps, &new));
        assert_eq!(again.refresh, plan.refresh);
        // other fixes, another token
        let other = [fixes(1, 3, "RUN apt-get install a", "1.0-3")];
        assert_ne!(
            decide(&facts(&previous, &bases, &steps, &other)).refresh[0].token,
            plan.refresh[0].token
        );
    }

    #[test]
    fn backstop_first_build_and_force() {
        let steps = [step(0, 1, "RUN a")];
        let bases = [base(0, "sha256:a")];
        let previous = record(bases.to_vec(), vec![]);
        let mut f = facts(&previous, &bases, &steps, &[]);
        f.full_rebuild_every = Some(7 * 86400);
        assert_eq!(
            decide(&f).action,
            Action::Fresh,
            "last full rebuild an hour ago"
        );
        f.since_full_rebuild = Some(8 * 86400);
        let plan = decide(&f);
        assert_eq!(plan.action, Action::FullRebuild);
        assert!(
            plan.refresh.is_empty(),
            "a full rebuild needs no refresh points"
        );
        f.since_full_rebuild = None;
        assert_eq!(
            decide(&f).action,
            Action::FullRebuild,
            "never fully rebuilt"
        );
        f.full_rebuild_every = None;
        f.force_full = true;
        assert_eq!(decide(&f).reasons, vec![Reason::Forced]);
        f.force_full = false;
        f.previous = Err("no image tagged app:1".into());
        assert!(matches!(decide(&f).reasons[0], Reason::FirstBuild { .. }));
    }
}
