//! Whether a version is affected: OSV `ECOSYSTEM` ranges (`introduced`,
//! `fixed`, `last_affected`, `limit`) and enumerated `versions`, compared
//! with the distribution's own ordering ([`drydock_packages::compare`]).
//!
//! A range is evaluated the way the OSV schema describes: its events are
//! sorted by version (`introduced: "0"` first; on equal versions
//! `introduced` before the others, so `introduced X, fixed X` is empty),
//! then walked in order — an `introduced` at or below the version makes it
//! affected, a `fixed` at or below or a `last_affected` below makes it not
//! affected. A version at or above every `limit` is outside the range.

use std::cmp::Ordering;

use drydock_packages::{Ecosystem, VersionError, compare, validate};

use crate::osv::{Affected, Event, Range};

/// The outcome for one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not affected.
    NotAffected,
    /// Affected; `fixed` is the first fixed version above it, `None` when no
    /// fix is known (an open range, `last_affected`, or only `versions`).
    Affected {
        /// The version to upgrade to.
        fixed: Option<String>,
    },
}

/// What evaluating an [`Affected`] entry skipped: ranges or listed versions
/// that are not valid versions of the ecosystem, and ranges of other types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Ranges with a version the ecosystem's rules reject.
    pub invalid_ranges: usize,
    /// `SEMVER` and `GIT` ranges (distributions publish `ECOSYSTEM` ones).
    pub other_ranges: usize,
}

/// A range that cannot be judged: one of its event versions is not a valid
/// version of the ecosystem. Displays as `events[INDEX].FIELD: REASON`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("events[{event}].{field}: {source}")]
pub struct InvalidRange {
    /// 0-based index of the event in the range's `events`.
    pub event: usize,
    /// The event's field: `introduced`, `fixed`, `last_affected` or `limit`.
    pub field: &'static str,
    /// Why the version is not valid.
    #[source]
    pub source: VersionError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    // Declaration order is the tie-break order for equal versions.
    Introduced,
    LastAffected,
    Fixed,
    Limit,
}

impl Kind {
    fn field(self) -> &'static str {
        match self {
            Kind::Introduced => "introduced",
            Kind::LastAffected => "last_affected",
            Kind::Fixed => "fixed",
            Kind::Limit => "limit",
        }
    }
}

struct Point<'a> {
    /// Index of the event in the range.
    event: usize,
    kind: Kind,
    version: &'a str,
    /// `introduced: "0"`: below every version.
    zero: bool,
}

fn points(events: &[Event]) -> Vec<Point<'_>> {
    let mut out = Vec::with_capacity(events.len());
    for (event, e) in events.iter().enumerate() {
        let fields = [
            (Kind::Introduced, &e.introduced),
            (Kind::Fixed, &e.fixed),
            (Kind::LastAffected, &e.last_affected),
            (Kind::Limit, &e.limit),
        ];
        for (kind, value) in fields {
            if let Some(v) = value {
                out.push(Point {
                    event,
                    kind,
                    version: v,
                    zero: kind == Kind::Introduced && v == "0",
                });
            }
        }
    }
    out
}

/// Evaluates one `ECOSYSTEM` range.
///
/// # Errors
/// [`InvalidRange`] (naming the first bad event) when one of the range's
/// versions is not valid for `ecosystem`: the range cannot be judged.
pub fn evaluate_range(
    ecosystem: Ecosystem,
    version: &str,
    range: &Range,
) -> Result<Verdict, InvalidRange> {
    let mut points = points(&range.events);
    for p in points.iter().filter(|p| !p.zero) {
        validate(ecosystem, p.version).map_err(|source| InvalidRange {
            event: p.event,
            field: p.kind.field(),
            source,
        })?;
    }
    // Every version is valid now, so `compare` cannot fail; `Equal` keeps the
    // sort total anyway.
    let cmp = |a: &str, b: &str| compare(ecosystem, a, b).unwrap_or(Ordering::Equal);
    points.sort_by(|a, b| match (a.zero, b.zero) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => cmp(a.version, b.version).then(a.kind.cmp(&b.kind)),
    });
    let limits: Vec<&Point> = points.iter().filter(|p| p.kind == Kind::Limit).collect();
    if !limits.is_empty()
        && limits
            .iter()
            .all(|l| cmp(version, l.version) != Ordering::Less)
    {
        return Ok(Verdict::NotAffected);
    }
    let mut affected = false;
    for p in &points {
        let at_or_below = p.zero || cmp(p.version, version) != Ordering::Greater;
        match p.kind {
            Kind::Introduced if at_or_below => affected = true,
            Kind::Fixed if at_or_below => affected = false,
            Kind::LastAffected if cmp(p.version, version) == Ordering::Less => affected = false,
            _ => {}
        }
    }
    if !affected {
        return Ok(Verdict::NotAffected);
    }
    // The event that ends the stretch the version is in.
    let end = points.iter().find(|p| {
        matches!(p.kind, Kind::Fixed | Kind::LastAffected)
            && cmp(p.version, version) == Ordering::Greater
    });
    let fixed = match end {
        Some(p) if p.kind == Kind::Fixed => Some(p.version.to_owned()),
        _ => None,
    };
    Ok(Verdict::Affected { fixed })
}

/// Evaluates an `affected[]` entry: its `ECOSYSTEM` ranges and its
/// `versions` list. When several ranges match, the highest fix wins (the
/// version must leave all of them), and any match without a fix makes the
/// whole verdict unfixed.
pub fn evaluate(ecosystem: Ecosystem, version: &str, affected: &Affected) -> (Verdict, Skipped) {
    let mut skipped = Skipped::default();
    let mut hit = false;
    let mut unfixed = false;
    let mut highest: Option<&str> = None;
    let mut owned_fixes: Vec<String> = Vec::new();
    for range in &affected.ranges {
        if range.kind != "ECOSYSTEM" {
            skipped.other_ranges += 1;
            continue;
        }
        match evaluate_range(ecosystem, version, range) {
            Err(_) => skipped.invalid_ranges += 1,
            Ok(Verdict::NotAffected) => {}
            Ok(Verdict::Affected { fixed: None }) => {
                hit = true;
                unfixed = true;
            }
            Ok(Verdict::Affected { fixed: Some(f) }) => {
                hit = true;
                owned_fixes.push(f);
            }
        }
    }
    for f in &owned_fixes {
        let higher = highest.is_none_or(|h| {
            compare(ecosystem, f, h).unwrap_or(Ordering::Equal) == Ordering::Greater
        });
        if higher {
            highest = Some(f);
        }
    }
    if !hit {
        let listed = affected.versions.iter().any(|v| {
            v == version || compare(ecosystem, v, version).is_ok_and(|o| o == Ordering::Equal)
        });
        if listed {
            return (Verdict::Affected { fixed: None }, skipped);
        }
        return (Verdict::NotAffected, skipped);
    }
    let fixed = if unfixed {
        None
    } else {
        highest.map(str::to_owned)
    };
    (Verdict::Affected { fixed }, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, v: &str) -> Event {
        let mut e = Event {
            introduced: None,
            fixed: None,
            last_affected: None,
            limit: None,
        };
        let slot = match kind {
            "i" => &mut e.introduced,
            "f" => &mut e.fixed,
            "l" => &mut e.last_affected,
            _ => &mut e.limit,
        };
        *slot = Some(v.to_owned());
        e
    }

    fn range(events: &[(&str, &str)]) -> Range {
        Range {
            kind: "ECOSYSTEM".into(),
            events: events.iter().map(|(k, v)| ev(k, v)).collect(),
        }
    }

    fn deb(version: &str, events: &[(&str, &str)]) -> Verdict {
        evaluate_range(Ecosystem::Deb, version, &range(events)).unwrap()
    }

    fn fixed(v: &str) -> Verdict {
        Verdict::Affected {
            fixed: Some(v.into()),
        }
    }

    const UNFIXED: Verdict = Verdict::Affected { fixed: None };
    use Verdict::NotAffected as NO;

    #[test]
    fn introduced_zero_covers_everything_below_the_fix() {
        let r = [("i", "0"), ("f", "1.2-3")];
        assert_eq!(deb("0", &r), fixed("1.2-3"));
        assert_eq!(deb("1:0.1-1", &r), NO, "an epoch is above the fix");
        assert_eq!(deb("1.2-2", &r), fixed("1.2-3"));
        assert_eq!(deb("1.2-3~deb12u1", &r), fixed("1.2-3"), "~ sorts below");
        assert_eq!(deb("1.2-3", &r), NO, "the fixed version itself is clean");
        assert_eq!(deb("1.2-3+deb12u1", &r), NO);
        // Events may come in any order.
        assert_eq!(deb("1.0-1", &[("f", "1.2-3"), ("i", "0")]), fixed("1.2-3"));
    }

    #[test]
    fn open_ranges_have_no_fix() {
        assert_eq!(deb("2.0-1", &[("i", "0")]), UNFIXED);
        assert_eq!(deb("2.0-1", &[("i", "1.5-1")]), UNFIXED);
        assert_eq!(deb("1.4-9", &[("i", "1.5-1")]), NO);
        assert_eq!(
            deb("1.5-1", &[("i", "1.5-1")]),
            UNFIXED,
            "introduced is inclusive"
        );
    }

    #[test]
    fn last_affected_is_inclusive_and_unfixed() {
        let r = [("i", "1.0-1"), ("l", "1.4-2")];
        assert_eq!(deb("0.9-1", &r), NO);
        assert_eq!(deb("1.0-1", &r), UNFIXED);
        assert_eq!(deb("1.4-2", &r), UNFIXED);
        assert_eq!(deb("1.4-2+b1", &r), NO);
    }

    #[test]
    fn several_stretches_in_one_range() {
        // Introduced, fixed, reintroduced (a regression), fixed again.
        let r = [
            ("i", "1.0-1"),
            ("f", "1.2-1"),
            ("i", "2.0-1"),
            ("f", "2.3-1"),
        ];
        assert_eq!(deb("0.5-1", &r), NO);
        assert_eq!(deb("1.1-1", &r), fixed("1.2-1"));
        assert_eq!(deb("1.5-1", &r), NO, "between the stretches");
        assert_eq!(deb("2.1-1", &r), fixed("2.3-1"));
        assert_eq!(deb("2.3-1", &r), NO);
    }

    #[test]
    fn equal_introduced_and_fixed_is_an_empty_range() {
        assert_eq!(deb("1.0-1", &[("i", "1.0-1"), ("f", "1.0-1")]), NO);
        assert_eq!(deb("1.0-1", &[("f", "1.0-1"), ("i", "1.0-1")]), NO);
    }

    #[test]
    fn limit_bounds_the_range() {
        let r = [("i", "0"), ("l", "3.0-1"), ("m", "2.0-1")];
        assert_eq!(deb("1.0-1", &r), UNFIXED);
        assert_eq!(deb("2.0-1", &r), NO);
    }

    #[test]
    fn invalid_versions_make_a_range_unjudgeable() {
        let r = range(&[("i", "0"), ("i", "1.0-1"), ("f", "not a version")]);
        let e = evaluate_range(Ecosystem::Deb, "1.0-1", &r).unwrap_err();
        assert_eq!((e.event, e.field), (2, "fixed"));
        assert_eq!(e.source.version, "not a version");
        let text = e.to_string();
        assert!(
            text.starts_with("events[2].fixed: invalid deb version \"not a version\""),
            "{text}"
        );
    }

    #[test]
    fn apk_ordering_is_used_for_alpine() {
        let r = range(&[("i", "0"), ("f", "1.2.4_p1-r0")]);
        let v = |s| evaluate_range(Ecosystem::Apk, s, &r).unwrap();
        assert_eq!(
            v("1.2.4-r9"),
            fixed("1.2.4_p1-r0"),
            "_p sorts after the release"
        );
        assert_eq!(v("1.2.4_p1-r0"), NO);
        assert_eq!(v("1.2.10-r0"), NO, "numeric, not lexical");
    }

    fn affected(ranges: Vec<Range>, versions: &[&str]) -> Affected {
        Affected {
            package: None,
            ranges,
            versions: versions.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn several_ranges_and_version_lists() {
        let two = affected(
            vec![
                range(&[("i", "0"), ("f", "1.5-1")]),
                range(&[("i", "1.0-1"), ("f", "1.7-1")]),
            ],
            &[],
        );
        assert_eq!(
            evaluate(Ecosystem::Deb, "1.2-1", &two).0,
            fixed("1.7-1"),
            "the highest fix leaves both ranges"
        );
        assert_eq!(evaluate(Ecosystem::Deb, "1.6-1", &two).0, fixed("1.7-1"));
        assert_eq!(evaluate(Ecosystem::Deb, "1.7-1", &two).0, NO);
        let open = affected(
            vec![
                range(&[("i", "0"), ("f", "1.5-1")]),
                range(&[("i", "1.0-1")]),
            ],
            &[],
        );
        assert_eq!(evaluate(Ecosystem::Deb, "1.2-1", &open).0, UNFIXED);
        let listed = affected(vec![], &["1.0-1", "1:1.1-1"]);
        assert_eq!(evaluate(Ecosystem::Deb, "0:1.0-1", &listed).0, UNFIXED);
        assert_eq!(evaluate(Ecosystem::Deb, "1.1-1", &listed).0, NO);
        let git = Range {
            kind: "GIT".into(),
            events: vec![ev("i", "0")],
        };
        let mixed = affected(vec![git, range(&[("i", "0"), ("f", "x y")])], &[]);
        let (v, s) = evaluate(Ecosystem::Deb, "1.0-1", &mixed);
        assert_eq!(v, NO);
        assert_eq!(
            s,
            Skipped {
                invalid_ranges: 1,
                other_ranges: 1
            }
        );
    }
}
