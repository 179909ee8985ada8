//! `drydock advisories IMAGE --osv PATH`: installed packages matched against OSV advisories.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use drydock_advisories::{Database, LoadOptions, inventory_ecosystems};
use drydock_findings::{Report, Severity};
use drydock_image::{ImageSource, OpenOptions};

use crate::cli::{AdvisoriesArgs, GlobalArgs};
use crate::output::Output;

pub fn run(
    args: AdvisoriesArgs,
    _global: &GlobalArgs,
    output: &Output,
) -> anyhow::Result<ExitCode> {
    let source = open(&args.image, &args.platform)?;
    let report = advisories_report(&*source, &args.image, &args.osv)?;
    output.report(&report, Some(Severity::Warning))
}

/// Opens `image` for the platform `platform` (`os/arch[/variant]`).
pub fn open(image: &str, platform: &str) -> anyhow::Result<Box<dyn ImageSource>> {
    let opts = OpenOptions {
        platform: platform.parse()?,
        ..OpenOptions::default()
    };
    drydock_image::open_str(image, &opts).with_context(|| format!("cannot open {image}"))
}

/// Lists the image's packages, loads the OSV records of its ecosystems from `osv` and matches them.
pub fn advisories_report(
    source: &dyn ImageSource,
    image: &str,
    osv: &Path,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let inventory = drydock_packages::inventory(source)
        .with_context(|| format!("cannot list the packages of {image}"))?;
    tracing::info!(
        "{} packages in {:.2?}",
        inventory.packages.len(),
        started.elapsed()
    );
    let started = Instant::now();
    let opts = LoadOptions {
        ecosystems: Some(inventory_ecosystems(&inventory)),
        ..LoadOptions::default()
    };
    let db = Database::load(osv, &opts)
        .with_context(|| format!("cannot load OSV records from {}", osv.display()))?;
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(
        "{} OSV records ({} kept) in {secs:.2}s ({:.0} records/s)",
        db.stats.records,
        db.stats.kept,
        db.stats.records as f64 / secs.max(1e-9)
    );
    let mut report = drydock_advisories::report(source.image(), &inventory, &db);
    report.notices.extend(inventory.notes.iter().cloned());
    Ok(report)
}
