//! `drydock scan IMAGE`: open the image, scan it, report.

use std::process::ExitCode;

use anyhow::Context;
use drydock_findings::Severity;
use drydock_scan::ScanOptions;

use crate::cli::{GlobalArgs, ScanArgs};
use crate::output::Output;

pub fn run(args: ScanArgs, _global: &GlobalArgs, output: &Output) -> anyhow::Result<ExitCode> {
    let options = ScanOptions {
        max_age: args.max_age,
        ..ScanOptions::default()
    };
    tracing::info!("scanning {}", args.image);
    let started = std::time::Instant::now();
    let report = drydock_scan::scan(&args.image, &options)
        .with_context(|| format!("cannot scan {}", args.image))?;
    tracing::info!("scanned in {:.2?}", started.elapsed());
    output.report(&report, Some(Severity::Warning))
}
