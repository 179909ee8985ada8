//! `drydock scan IMAGE`: open the image, scan it, report.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use drydock_findings::Severity;
use drydock_scan::ScanOptions;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{GlobalArgs, ScanArgs};
use crate::output::Output;

pub fn run(args: ScanArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<ExitCode> {
    let mut options = ScanOptions {
        max_age: args.max_age,
        ..ScanOptions::default()
    };
    options.open.platform = args.platform.parse()?;
    let bar = (!global.quiet && std::io::stderr().is_terminal()).then(|| progress_bar(&args.image));
    if let Some(bar) = &bar {
        options.progress = Some(bar.feed());
    }
    tracing::info!("scanning {}", args.image);
    let started = Instant::now();
    let result = drydock_scan::scan(&args.image, &options);
    if let Some(bar) = &bar {
        bar.bar.finish_and_clear();
    }
    let report = result.with_context(|| format!("cannot scan {}", args.image))?;
    tracing::info!("scanned in {:.2?}", started.elapsed());
    output.report(&report, Some(Severity::Warning))
}

/// A spinner with the bytes walked so far, on stderr, shown only once a scan has taken more than
/// a second (a quick scan should not flash one).
struct ScanProgress {
    bar: ProgressBar,
    started: Instant,
    shown: Arc<AtomicBool>,
}

fn progress_bar(image: &str) -> ScanProgress {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} scanning {msg}: {bytes} of files walked ({binary_bytes_per_sec})",
        )
        .expect("valid template"),
    );
    bar.set_message(image.to_owned());
    ScanProgress {
        bar,
        started: Instant::now(),
        shown: Arc::new(AtomicBool::new(false)),
    }
}

impl ScanProgress {
    fn feed(&self) -> drydock_scan::Progress {
        let (bar, started, shown) = (self.bar.clone(), self.started, self.shown.clone());
        Arc::new(move |bytes| {
            bar.inc(bytes);
            if started.elapsed() > Duration::from_secs(1) && !shown.swap(true, Ordering::Relaxed) {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_millis(120));
            }
        })
    }
}
