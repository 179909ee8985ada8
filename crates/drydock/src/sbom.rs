//! `drydock sbom IMAGE`: the image's OS packages as a CycloneDX JSON SBOM.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use drydock_image::OpenOptions;

use crate::cli::{GlobalArgs, SbomArgs};

pub fn run(args: SbomArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let source = drydock_image::open_str(&args.image, &OpenOptions::default())
        .with_context(|| format!("cannot open {}", args.image))?;
    let inventory = drydock_packages::inventory(&*source)
        .with_context(|| format!("cannot list the packages of {}", args.image))?;
    tracing::info!(
        "{} packages in {:.2?}",
        inventory.packages.len(),
        started.elapsed()
    );
    if !global.quiet {
        for note in source.image().notes.iter().chain(&inventory.notes) {
            eprintln!("note: {note}");
        }
    }
    let mut json = drydock_packages::cyclonedx(source.image(), &inventory)?;
    json.push('\n');
    match &args.output {
        Some(path) => std::fs::write(path, json)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(json.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
