//! `drydock scan IMAGE`: open the image, scan it, report.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use drydock_config::Config;
use drydock_findings::Severity;
use drydock_scan::{RuleSelection, ScanOptions, SecretAllowList, SelectionLayer, is_known};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{GlobalArgs, ScanArgs};
use crate::output::Output;

pub fn run(args: ScanArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let config = Config::discover(global.config.as_deref(), &cwd)?;
    let mut options = settings(&config, &args)?;
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

/// Scan options from `[scan]` of drydock.toml, overridden by the command line.
fn settings(config: &Config, args: &ScanArgs) -> anyhow::Result<ScanOptions> {
    if let Some(path) = &config.path {
        tracing::info!("configuration: {}", path.display());
    }
    config.validate_scan_selectors(is_known)?;
    for (flag, selectors) in [("--select", &args.select), ("--ignore", &args.ignore)] {
        if let Some(unknown) = selectors.iter().find(|s| !is_known(s)) {
            bail!("unknown scan rule `{unknown}` in {flag} (see `drydock rules` for the list)");
        }
    }
    let scan = &config.scan;
    let from_config = SelectionLayer {
        select: scan
            .select
            .as_ref()
            .map(|s| s.iter().map(|s| s.get_ref().as_str()).collect()),
        ignore: scan.ignore.iter().map(|s| s.get_ref().as_str()).collect(),
        severity: scan
            .severity
            .iter()
            .map(|(k, v)| (k.get_ref().as_str(), *v.get_ref()))
            .collect(),
    };
    let from_flags = SelectionLayer {
        select: (!args.select.is_empty()).then(|| args.select.iter().map(String::as_str).collect()),
        ignore: args.ignore.iter().map(String::as_str).collect(),
        ..SelectionLayer::default()
    };
    let max_age = match (&args.max_age, &scan.max_age) {
        (Some(age), _) => Some(*age),
        (None, Some(text)) => Some(
            drydock_scan::parse_age(text.get_ref()).map_err(|e| config.error_at(text.span(), e))?,
        ),
        (None, None) => None,
    };
    for pattern in &scan.secret_allow_paths {
        SecretAllowList::new(std::slice::from_ref(pattern.get_ref()))
            .map_err(|e| config.error_at(pattern.span(), e))?;
    }
    let patterns: Vec<String> = scan
        .secret_allow_paths
        .iter()
        .map(|p| p.get_ref().clone())
        .collect();
    Ok(ScanOptions {
        max_age,
        rules: RuleSelection::resolve(&[from_config, from_flags]),
        secret_allow: SecretAllowList::new(&patterns).map_err(anyhow::Error::msg)?,
        ..ScanOptions::default()
    })
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
