//! `drydock updates IMAGE`: pending OS package updates from the image's own sources.

use std::process::ExitCode;

use anyhow::Context;
use drydock_findings::Severity;
use drydock_image::OpenOptions;
use drydock_updates::Options;

use crate::cli::UpdatesArgs;
use crate::output::Output;

pub fn run(args: UpdatesArgs, output: &Output) -> anyhow::Result<ExitCode> {
    let open = OpenOptions {
        platform: args.platform.parse()?,
        ..OpenOptions::default()
    };
    let source = drydock_image::open_str(&args.image, &open)
        .with_context(|| format!("cannot open {}", args.image))?;
    let options = Options {
        fetch: args.indexes.fetch_options(),
        security_only: args.security_only,
    };
    let started = std::time::Instant::now();
    let updates = drydock_updates::pending_updates(&*source, &options)
        .with_context(|| format!("cannot list the pending updates of {}", args.image))?;
    tracing::info!(
        "{} pending updates in {:.2?}",
        updates.updates.len(),
        started.elapsed()
    );
    let report = drydock_updates::report(source.image(), &updates);
    output.report(&report, Some(Severity::Warning))
}
