//! Version ordering of the three package ecosystems behind one [`compare`].
//!
//! * Debian: the `debversion` crate (Debian Policy §5.6.12), after the checks
//!   dpkg itself treats as errors (empty parts, non-numeric epoch, spaces).
//! * RPM: the `rpm-version` crate (`rpmvercmp`, with `~` and `^`), after
//!   checking the `[epoch:]version[-release]` shape.
//! * APK: written here from the documented semantics (the Alpine `APKBUILD`
//!   reference for the `pkgver`/`pkgrel` grammar, and the version-comparison
//!   algorithm of the Gentoo Package Manager Specification §3.3 that apk
//!   follows), extended with apk's extra post-release suffixes.

use std::cmp::Ordering;
use std::str::FromStr;

use crate::Ecosystem;
use crate::error::VersionError;

/// Compares two versions of `ecosystem`. Versions that compare equal may
/// differ as strings (`1.0` and `0:1.0` in Debian, `1.0` and `1.00` in apk).
///
/// # Errors
/// When either string is not a valid version of the ecosystem.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match ecosystem {
        Ecosystem::Deb => Ok(debian(a)?.cmp(&debian(b)?)),
        Ecosystem::Rpm => {
            let (a, b) = (rpm(a)?, rpm(b)?);
            Ok(rpm_version::Evr::parse(a).cmp(&rpm_version::Evr::parse(b)))
        }
        Ecosystem::Apk => Ok(ApkVersion::parse(a)?.cmp(&ApkVersion::parse(b)?)),
    }
}

/// Checks that `version` is valid for `ecosystem` (the check [`compare`] makes).
///
/// # Errors
/// When it is not, saying why.
pub fn validate(ecosystem: Ecosystem, version: &str) -> Result<(), VersionError> {
    match ecosystem {
        Ecosystem::Deb => debian(version).map(drop),
        Ecosystem::Rpm => rpm(version).map(drop),
        Ecosystem::Apk => ApkVersion::parse(version).map(drop),
    }
}

fn invalid(ecosystem: Ecosystem, version: &str, message: &str) -> VersionError {
    VersionError {
        ecosystem,
        version: version.to_owned(),
        message: message.to_owned(),
    }
}

fn debian(v: &str) -> Result<debversion::Version, VersionError> {
    let bad = |m: &str| invalid(Ecosystem::Deb, v, m);
    if v.is_empty() {
        return Err(bad("empty"));
    }
    if v.contains(|c: char| c.is_ascii_whitespace()) {
        return Err(bad("contains whitespace"));
    }
    let rest = match v.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("the epoch (before `:`) is not a number"));
            }
            if rest.is_empty() {
                return Err(bad("nothing after the epoch"));
            }
            rest
        }
        None => v,
    };
    if rest.starts_with('-') {
        return Err(bad("the upstream version is empty"));
    }
    if rest.ends_with('-') {
        return Err(bad("the revision (after the last `-`) is empty"));
    }
    debversion::Version::from_str(v).map_err(|e| bad(&e.to_string()))
}

/// Checks the `[epoch:]version[-release]` shape; returns the string.
fn rpm(v: &str) -> Result<&str, VersionError> {
    let bad = |m: &str| invalid(Ecosystem::Rpm, v, m);
    if !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("only printable ASCII without spaces is allowed"));
    }
    let vr = match v.split_once(':') {
        Some((epoch, vr)) => {
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("the epoch (before `:`) is not a number"));
            }
            vr
        }
        None => v,
    };
    if vr.contains(':') {
        return Err(bad("more than one `:`"));
    }
    // Parts made only of separators are left out: rpm itself orders them
    // inconsistently (`1..` vs `1-+`).
    let meaningful = |part: &str| part.bytes().any(|b| b.is_ascii_alphanumeric());
    let (version, release) = vr.split_once('-').unwrap_or((vr, "x"));
    if !meaningful(version) {
        return Err(bad("the version has no letter or digit"));
    }
    if !meaningful(release) || release.contains('-') {
        return Err(bad(
            "the release (after `-`) must have a letter or digit and no `-`",
        ));
    }
    Ok(v)
}

/// apk suffixes by rank: pre-releases, then (between them and the rest) the
/// release itself, then post-release suffixes.
const APK_SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
/// Rank of "no further suffix": after `_rc`, before `_cvs`.
const APK_RELEASE_RANK: usize = 4;

/// `digits{.digits}[letter]{_suffix[digits]}[-rdigits]`, borrowed.
#[derive(Debug)]
struct ApkVersion<'a> {
    numbers: Vec<&'a str>,
    letter: Option<u8>,
    /// (rank, number) with rank ≥ [`APK_RELEASE_RANK`] shifted by one.
    suffixes: Vec<(usize, &'a str)>,
    revision: &'a str,
}

impl<'a> ApkVersion<'a> {
    fn parse(v: &'a str) -> Result<Self, VersionError> {
        let bad = |m: &str| invalid(Ecosystem::Apk, v, m);
        let (main, revision) = match v.split_once("-r") {
            Some((main, rev)) if !rev.is_empty() && rev.bytes().all(|b| b.is_ascii_digit()) => {
                (main, rev)
            }
            Some(_) => return Err(bad("the revision must be `-r` followed by digits")),
            None => (v, ""),
        };
        let (head, suffix_text) = main.split_once('_').unwrap_or((main, ""));
        let (numbers_text, letter) = match head.as_bytes().last() {
            Some(&l) if l.is_ascii_lowercase() => (&head[..head.len() - 1], Some(l)),
            _ => (head, None),
        };
        let numbers: Vec<&str> = numbers_text.split('.').collect();
        if numbers
            .iter()
            .any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad(
                "expected digits separated by `.`, an optional letter, `_suffix`es and `-rN`",
            ));
        }
        let mut suffixes = Vec::new();
        if main.contains('_') {
            for part in suffix_text.split('_') {
                let name_len = part.bytes().take_while(u8::is_ascii_lowercase).count();
                let (name, number) = part.split_at(name_len);
                let rank = APK_SUFFIXES
                    .iter()
                    .position(|s| *s == name)
                    .ok_or_else(|| bad(&format!("unknown suffix `_{name}`")))?;
                if !number.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad(&format!("suffix `_{part}` must end in digits only")));
                }
                let rank = if rank >= APK_RELEASE_RANK {
                    rank + 1
                } else {
                    rank
                };
                suffixes.push((rank, number));
            }
        }
        Ok(Self {
            numbers,
            letter,
            suffixes,
            revision,
        })
    }
}

/// Compares digit strings as unbounded integers.
fn cmp_numeric(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A number after the first: with a leading zero on either side, both are
/// compared as strings without trailing zeros (`1.05 < 1.5`, `1.0 = 1.00`).
fn cmp_fraction(a: &str, b: &str) -> Ordering {
    if a.starts_with('0') || b.starts_with('0') {
        a.trim_end_matches('0').cmp(b.trim_end_matches('0'))
    } else {
        cmp_numeric(a, b)
    }
}

impl Ord for ApkVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let numbers = cmp_numeric(self.numbers[0], other.numbers[0]).then_with(|| {
            let pairs = self.numbers[1..].iter().zip(&other.numbers[1..]);
            pairs
                .map(|(a, b)| cmp_fraction(a, b))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| self.numbers.len().cmp(&other.numbers.len()))
        });
        numbers
            .then_with(|| self.letter.cmp(&other.letter))
            .then_with(|| {
                let n = self.suffixes.len().max(other.suffixes.len());
                let end = (APK_RELEASE_RANK, "");
                (0..n)
                    .map(|i| {
                        let a = self.suffixes.get(i).unwrap_or(&end);
                        let b = other.suffixes.get(i).unwrap_or(&end);
                        a.0.cmp(&b.0).then_with(|| cmp_numeric(a.1, b.1))
                    })
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            })
            .then_with(|| cmp_numeric(self.revision, other.revision))
    }
}

impl PartialOrd for ApkVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ApkVersion<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for ApkVersion<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use Ecosystem::*;

    fn ord(e: Ecosystem, a: &str, b: &str) -> Ordering {
        compare(e, a, b).unwrap_or_else(|err| panic!("{err}"))
    }

    /// Each list is strictly increasing; every pair is checked both ways.
    fn increasing(e: Ecosystem, list: &[&str]) {
        for (i, a) in list.iter().enumerate() {
            for (j, b) in list.iter().enumerate() {
                assert_eq!(ord(e, a, b), i.cmp(&j), "{e}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn debian_order_from_policy() {
        increasing(
            Deb,
            &[
                "0.9~beta1",
                "1.0~rc1",
                "1.0",
                "1.0-1~bpo12+1",
                "1.0-1",
                "1.0-1+b1",
                "1.0-1+deb12u1",
                "1.0-9",
                "1.0a",
                "1.0+deb12u1",
                "1.0.1",
                "1.10",
                "2.0",
                "1:0.9",
            ],
        );
        assert_eq!(ord(Deb, "1.0", "0:1.0"), Ordering::Equal);
        assert_eq!(ord(Deb, "1.0", "1.0-0"), Ordering::Equal);
        assert_eq!(ord(Deb, "1.01", "1.1"), Ordering::Equal);
    }

    #[test]
    fn rpm_order_from_rpmvercmp() {
        increasing(
            Rpm,
            &[
                "1.0~rc1",
                "1.0",
                "1.0^git1",
                "1.0a",
                "1.0.1",
                "1.10-1",
                "1.10-1.el9",
                "1.10-2",
                "2.0",
                "1:0.9",
            ],
        );
        assert_eq!(ord(Rpm, "1.0-1", "0:1.0-1"), Ordering::Equal);
        assert_eq!(ord(Rpm, "1.01", "1.1"), Ordering::Equal);
    }

    #[test]
    fn apk_order_from_documented_rules() {
        increasing(
            Apk,
            &[
                "0.9",
                "1.2_alpha",
                "1.2_alpha2",
                "1.2_beta1",
                "1.2_pre1",
                "1.2_rc1",
                "1.2_rc1-r3",
                "1.2",
                "1.2-r1",
                "1.2-r2",
                "1.2-r10",
                "1.2_cvs1",
                "1.2_svn",
                "1.2_git20240101",
                "1.2_hg1",
                "1.2_p1_rc1",
                "1.2_p1",
                "1.2_p1_p1",
                "1.2_p2",
                "1.2a",
                "1.2b_alpha",
                "1.2b",
                "1.2.0",
                "1.2.05",
                "1.2.1",
                "1.2.9",
                "1.2.10",
                "1.10",
                "10",
            ],
        );
        assert_eq!(ord(Apk, "1.2", "1.2-r0"), Ordering::Equal);
        assert_eq!(ord(Apk, "1.0", "1.00"), Ordering::Equal);
        assert_eq!(ord(Apk, "1.2_p", "1.2_p0"), Ordering::Equal);
        assert_eq!(ord(Apk, "01.2", "1.2"), Ordering::Equal);
        // Huge numbers compare without overflow.
        assert_eq!(
            ord(
                Apk,
                "99999999999999999999999999",
                "100000000000000000000000000"
            ),
            Ordering::Less
        );
    }

    #[test]
    fn invalid_versions_are_errors() {
        for (e, v) in [
            (Deb, ""),
            (Deb, "1.0 1"),
            (Deb, "a:1.0"),
            (Deb, "1:"),
            (Deb, "1.0-"),
            (Deb, "-1"),
            (Deb, "1.0_1"),
            (Deb, "99999999999:1.0"),
            (Rpm, ""),
            (Rpm, "x:1.0"),
            (Rpm, "1.0-"),
            (Rpm, "1.0-+"),
            (Rpm, "..-1"),
            (Rpm, "1.0-1-2"),
            (Rpm, "1:2:3"),
            (Rpm, "1.0 "),
            (Rpm, "ü"),
            (Apk, ""),
            (Apk, "1.2_foo"),
            (Apk, "1.2-1"),
            (Apk, "1.2-r"),
            (Apk, "1..2"),
            (Apk, ".1"),
            (Apk, "1.2A"),
            (Apk, "1.2_rc1a"),
            (Apk, "a"),
            (Apk, "1.2ab"),
        ] {
            let err = compare(e, v, "1").unwrap_err();
            assert_eq!(err.version, v);
            assert!(compare(e, "1", v).is_err(), "{e} {v:?}");
            assert!(validate(e, v).is_err(), "{e} {v:?}");
        }
    }
}
