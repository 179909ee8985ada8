//! Installed packages → advisories: the image's distribution picks the OSV
//! ecosystem, each package is looked up by the name its distribution files
//! advisories under, and its version is evaluated with that distribution's
//! ordering.

use std::collections::{BTreeMap, BTreeSet};

use drydock_packages::{Distro, Ecosystem, Inventory, Package, validate};

use crate::load::Database;
use crate::range::{Verdict, evaluate};

/// One advisory that applies to one source package of the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryMatch {
    /// The record id (`DSA-5678-1`, `DEBIAN-CVE-2024-0001`).
    pub id: String,
    /// Its aliases (`CVE-2024-0001`).
    pub aliases: Vec<String>,
    /// Its summary, when it has one (control characters removed, shortened).
    pub summary: Option<String>,
    /// The ecosystem it was matched in (`Debian:12`).
    pub ecosystem: String,
    /// The package name the advisory names (the source package for Debian
    /// and Ubuntu, the origin or the binary name for Alpine).
    pub package: String,
    /// The installed binary packages it concerns, sorted.
    pub binaries: Vec<String>,
    /// The version compared (the source version for Debian and Ubuntu).
    pub installed: String,
    /// The fixed version, `None` when no fix is known yet.
    pub fixed: Option<String>,
    /// The lowest layer that installed one of the binaries.
    pub layer: usize,
}

/// The result of matching an inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matches {
    /// Sorted by package, then advisory id.
    pub matches: Vec<AdvisoryMatch>,
    /// What could not be matched and why.
    pub notices: Vec<String>,
}

/// Longest summary kept, in characters.
const MAX_SUMMARY_CHARS: usize = 160;

/// The OSV ecosystem key (see [`ecosystem_key`](crate::ecosystem_key)) for
/// packages of `ecosystem` on `distro`, or why there is none.
pub fn image_ecosystem(distro: Option<&Distro>, ecosystem: Ecosystem) -> Result<String, String> {
    let Some(distro) = distro else {
        return Err(
            "the image has no os-release file, so its distribution release is unknown".into(),
        );
    };
    let release = distro.version_id.as_deref();
    let name = distro.pretty_name.as_deref().unwrap_or(&distro.id);
    match (ecosystem, distro.id.as_str(), release) {
        (Ecosystem::Deb, "debian", Some(v)) => Ok(format!("Debian:{v}")),
        (Ecosystem::Deb, "ubuntu", Some(v)) => Ok(format!("Ubuntu:{v}")),
        (Ecosystem::Apk, "alpine", Some(v)) => {
            let mut parts = v.split('.');
            match (parts.next(), parts.next()) {
                (Some(major), Some(minor)) => Ok(format!("Alpine:v{major}.{minor}")),
                _ => Err(format!(
                    "cannot tell the Alpine branch from VERSION_ID {v:?}"
                )),
            }
        }
        (Ecosystem::Deb | Ecosystem::Apk, "debian" | "ubuntu" | "alpine", None) => Err(format!(
            "{name} has no VERSION_ID (a testing or rolling release); OSV files advisories by release"
        )),
        _ => Err(format!(
            "OSV advisories for {ecosystem} packages on {name} are not matched (drydock matches \
             Debian, Ubuntu and Alpine)"
        )),
    }
}

/// The ecosystem keys an inventory's packages would be matched in: what to
/// load ([`LoadOptions::ecosystems`](crate::LoadOptions::ecosystems)).
pub fn inventory_ecosystems(inventory: &Inventory) -> BTreeSet<String> {
    let present: BTreeSet<Ecosystem> = inventory.packages.iter().map(|p| p.ecosystem).collect();
    present
        .into_iter()
        .filter_map(|e| image_ecosystem(inventory.distro.as_ref(), e).ok())
        .collect()
}

/// The names an advisory for `package` may be filed under: Debian and
/// Ubuntu file by source package; Alpine by aports origin, which is also the
/// name of the main binary package, so both the origin and the binary name
/// are looked up.
fn lookup_names(package: &Package) -> Vec<&str> {
    match package.ecosystem {
        Ecosystem::Apk if package.name != package.source_name => {
            vec![&package.source_name, &package.name]
        }
        Ecosystem::Apk => vec![&package.name],
        _ => vec![&package.source_name],
    }
}

/// The version advisories are compared with: Debian and Ubuntu record fixed
/// versions of the source package (binNMUs add `+bN` only to binaries).
fn compared_version(package: &Package) -> &str {
    match package.ecosystem {
        Ecosystem::Deb => &package.source_version,
        _ => &package.version,
    }
}

/// Matches every package of `inventory` against `db`.
pub fn match_inventory(db: &Database, inventory: &Inventory) -> Matches {
    let mut notices = Vec::new();
    let mut keys: BTreeMap<Ecosystem, Option<String>> = BTreeMap::new();
    // (package name, compared version, advisory id) → match.
    let mut found: BTreeMap<(String, String, String), AdvisoryMatch> = BTreeMap::new();
    let mut invalid_installed = 0usize;
    let mut invalid_ranges = 0usize;
    for package in &inventory.packages {
        let key = keys.entry(package.ecosystem).or_insert_with(|| {
            match image_ecosystem(inventory.distro.as_ref(), package.ecosystem) {
                Ok(key) => {
                    if !db.stats.ecosystems.contains_key(&key) {
                        notices.push(no_records_notice(db, &key));
                    }
                    Some(key)
                }
                Err(why) => {
                    notices.push(why);
                    None
                }
            }
        });
        let Some(key) = key.as_deref() else {
            continue;
        };
        let version = compared_version(package);
        if validate(package.ecosystem, version).is_err() {
            invalid_installed += 1;
            continue;
        }
        for name in lookup_names(package) {
            for (record, affected) in db.lookup(key, name) {
                let (verdict, skipped) =
                    evaluate(package.ecosystem, version, &record.affected[affected]);
                invalid_ranges += skipped.invalid_ranges;
                let Verdict::Affected { fixed } = verdict else {
                    continue;
                };
                let entry = found
                    .entry((name.to_owned(), version.to_owned(), record.id.clone()))
                    .or_insert_with(|| AdvisoryMatch {
                        id: record.id.clone(),
                        aliases: record.aliases.clone(),
                        summary: record.summary.as_deref().and_then(clean_summary),
                        ecosystem: key.to_owned(),
                        package: name.to_owned(),
                        binaries: Vec::new(),
                        installed: version.to_owned(),
                        fixed,
                        layer: package.layer,
                    });
                entry.layer = entry.layer.min(package.layer);
                if !entry.binaries.contains(&package.name) {
                    entry.binaries.push(package.name.clone());
                    entry.binaries.sort();
                }
            }
        }
    }
    if invalid_installed > 0 {
        notices.push(format!(
            "{invalid_installed} installed packages have versions their distribution's rules \
             reject and were not matched"
        ));
    }
    if invalid_ranges > 0 {
        notices.push(format!(
            "{invalid_ranges} advisory ranges with versions invalid for their ecosystem were skipped"
        ));
    }
    Matches {
        matches: found.into_values().collect(),
        notices,
    }
}

fn no_records_notice(db: &Database, key: &str) -> String {
    let family = key.split(':').next().unwrap_or(key);
    let same_family: Vec<&str> = db
        .stats
        .ecosystems
        .keys()
        .filter(|k| k.split(':').next() == Some(family))
        .map(String::as_str)
        .collect();
    if same_family.is_empty() {
        format!("the OSV data has no records for {key}: its packages were not checked")
    } else {
        format!(
            "the OSV data has no records for {key} (only for {}): its packages were not checked",
            same_family.join(", ")
        )
    }
}

/// A summary fit to print: one line, no control characters, at most
/// [`MAX_SUMMARY_CHARS`] characters.
fn clean_summary(text: &str) -> Option<String> {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.chars().count() <= MAX_SUMMARY_CHARS {
        return Some(trimmed);
    }
    let mut short: String = trimmed.chars().take(MAX_SUMMARY_CHARS - 1).collect();
    short.push('…');
    Some(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_one_short_line() {
        assert_eq!(
            clean_summary("a\n\tb\u{1b}[31m  c").as_deref(),
            Some("a b [31m c")
        );
        assert_eq!(clean_summary(" \n "), None);
        let long = "x".repeat(500);
        assert_eq!(
            clean_summary(&long).unwrap().chars().count(),
            MAX_SUMMARY_CHARS
        );
    }

    #[test]
    fn ecosystems_of_distributions() {
        let d = |text: &str| Distro::parse(text);
        let debian = d("ID=debian\nVERSION_ID=\"12\"\n");
        assert_eq!(
            image_ecosystem(Some(&debian), Ecosystem::Deb),
            Ok("Debian:12".into())
        );
        let alpine = d("ID=alpine\nVERSION_ID=3.19.1\n");
        assert_eq!(
            image_ecosystem(Some(&alpine), Ecosystem::Apk),
            Ok("Alpine:v3.19".into())
        );
        let ubuntu = d("ID=ubuntu\nVERSION_ID=\"22.04\"\n");
        assert_eq!(
            image_ecosystem(Some(&ubuntu), Ecosystem::Deb),
            Ok("Ubuntu:22.04".into())
        );
        let sid = d("ID=debian\nVERSION_CODENAME=trixie\n");
        assert!(
            image_ecosystem(Some(&sid), Ecosystem::Deb)
                .unwrap_err()
                .contains("VERSION_ID")
        );
        let fedora = d("ID=fedora\nVERSION_ID=40\n");
        assert!(image_ecosystem(Some(&fedora), Ecosystem::Rpm).is_err());
        assert!(image_ecosystem(None, Ecosystem::Deb).is_err());
    }
}
