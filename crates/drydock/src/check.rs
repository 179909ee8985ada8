//! `drydock check IMAGE`: the rebuild verdict.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use drydock_check::{CheckOptions, Inputs};
use drydock_findings::Severity;

use crate::advisories::{advisories_report, open};
use crate::cli::{CheckArgs, GlobalArgs};
use crate::output::Output;

pub fn run(args: CheckArgs, _global: &GlobalArgs, output: &Output) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let source = open(&args.image, &args.platform)?;
    let advisories = match &args.osv {
        Some(osv) => Some(advisories_report(&*source, &args.image, osv)?),
        None => None,
    };
    let opts = CheckOptions {
        candidates: args.bases,
        max_age: args.max_age,
        ..CheckOptions::default()
    };
    // This build computes no pending updates: the verdict says they were not checked.
    let inputs = Inputs {
        pending_security: None,
        advisories: advisories.as_ref(),
    };
    let outcome = drydock_check::check(source.image(), &opts, inputs)
        .with_context(|| format!("cannot check {}", args.image))?;
    tracing::info!("checked in {:.2?}", started.elapsed());
    output.report(&outcome.report, Some(Severity::Warning))
}
