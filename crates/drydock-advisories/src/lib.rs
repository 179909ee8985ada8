//! OSV advisories matched to an image's installed OS packages, offline.
//!
//! * [`Database::load`] reads OSV records from a directory, a zip archive
//!   (osv.dev's per-ecosystem `all.zip`, read member by member in memory,
//!   never extracted) or one JSON file. Each record is capped in size; a
//!   malformed one is an [`Error`] naming the file (`ARCHIVE:MEMBER` for zip
//!   members) and the JSON line and column. Withdrawn records are ignored,
//!   and so are ecosystems drydock does not match (counted in
//!   [`LoadStats`]).
//! * [`match_inventory`] maps the packages of a
//!   [`drydock_packages::Inventory`] to advisories: the image's
//!   `os-release` gives the ecosystem (`Debian:12`, `Ubuntu:22.04`,
//!   `Alpine:v3.19`); Debian and Ubuntu packages are looked up by source
//!   package and compared by source version, Alpine packages by origin and
//!   binary name; versions are ordered by [`drydock_packages::compare`].
//!   [`evaluate`] judges one `affected[]` entry: `ECOSYSTEM` ranges
//!   (`introduced`, `fixed`, `last_affected`, `limit`) and `versions`.
//! * [`findings`] turns matches into `DD701` (fixed version available,
//!   warning) and `DD702` (no fix yet, info) findings; [`report`] is the
//!   whole `drydock advisories` report.

mod error;
mod load;
mod matching;
mod osv;
mod range;
mod rules;

use drydock_findings::{Finding, ImageLocation, Location, Report, Severity, TargetKind};
use drydock_image::Image;
use drydock_packages::Inventory;

pub use error::{Error, Result};
pub use load::{Database, LoadOptions, LoadStats, ecosystem_key};
pub use matching::{
    AdvisoryMatch, Matches, image_ecosystem, inventory_ecosystems, match_inventory,
};
pub use osv::{Affected, Event, Package, Range, Record, parse_record};
pub use range::{InvalidRange, Skipped, Verdict, evaluate, evaluate_range};
pub use rules::{FIX_AVAILABLE, NO_FIX_YET, RULES};

/// One finding per match: `DD701` when a fixed version exists, else `DD702`.
/// Locations are the layer that installed the package.
pub fn findings(image: &Image, matches: &Matches) -> Vec<Finding> {
    matches
        .matches
        .iter()
        .map(|m| {
            let names = std::iter::once(m.id.as_str())
                .chain(m.aliases.iter().map(String::as_str).filter(|a| *a != m.id))
                .collect::<Vec<_>>();
            let title = match names.split_first() {
                Some((id, [])) => (*id).to_owned(),
                Some((id, aliases)) => format!("{id} ({})", aliases.join(", ")),
                None => m.id.clone(),
            };
            let binaries = if m.binaries.len() == 1 && m.binaries[0] == m.package {
                String::new()
            } else {
                format!(" (installed as {})", m.binaries.join(", "))
            };
            let subject = format!("{} {}{binaries}", m.package, m.installed);
            let summary = m
                .summary
                .as_deref()
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            let location = image_location(image, m.layer);
            match &m.fixed {
                Some(fixed) => Finding::new(
                    FIX_AVAILABLE.0,
                    FIX_AVAILABLE.1,
                    Severity::Warning,
                    format!("{subject} is affected by {title}, fixed in {fixed}{summary}"),
                    location,
                )
                .with_help(format!(
                    "rebuild so that {} {fixed} or later is installed: pull the newest base image \
                     and rebuild the layer that installs the package",
                    m.package
                )),
                None => Finding::new(
                    NO_FIX_YET.0,
                    NO_FIX_YET.1,
                    Severity::Info,
                    format!(
                        "{subject} is affected by {title}, no fix yet in {}{summary}",
                        m.ecosystem
                    ),
                    location,
                ),
            }
        })
        .collect()
}

fn image_location(image: &Image, layer: usize) -> Location {
    let l = image.layers.get(layer);
    Location::Image(ImageLocation {
        layer,
        diff_id: l
            .and_then(|l| l.diff_id.as_ref())
            .map(ToString::to_string)
            .unwrap_or_default(),
        created_by: l
            .and_then(|l| l.created_by())
            .map(|c| drydock_secrets::redact_text(c).into_owned()),
        path: None,
    })
}

/// Notices about what loading read and ignored.
pub fn load_notices(stats: &LoadStats) -> Vec<String> {
    let mut out = vec![format!(
        "OSV: {} records read ({} withdrawn, ignored), {} kept for matching",
        stats.records, stats.withdrawn, stats.kept
    )];
    if !stats.unsupported.is_empty() {
        let total: usize = stats.unsupported.values().sum();
        let list = stats
            .unsupported
            .iter()
            .map(|(k, n)| format!("{k} ({n})"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(format!(
            "OSV: ignored {total} records of ecosystems drydock does not match: {list}"
        ));
    }
    out
}

/// The `drydock advisories` report: the findings of matching `inventory`
/// (taken from `image`) against `db`, with notices about the data used.
pub fn report(image: &Image, inventory: &Inventory, db: &Database) -> Report {
    let matches = match_inventory(db, inventory);
    let mut notices = load_notices(&db.stats);
    notices.extend(matches.notices.iter().cloned());
    notices.push(format!(
        "{} installed packages checked, {} advisories apply ({} fixed, {} without a fix yet)",
        inventory.packages.len(),
        matches.matches.len(),
        matches.matches.iter().filter(|m| m.fixed.is_some()).count(),
        matches.matches.iter().filter(|m| m.fixed.is_none()).count(),
    ));
    let mut report = Report {
        target_kind: TargetKind::Image,
        targets: vec![image.source.clone()],
        findings: findings(image, &matches),
        rules: RULES.to_vec(),
        notices,
        ..Report::default()
    };
    report.sort();
    report
}
