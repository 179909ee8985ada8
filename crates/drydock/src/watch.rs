//! `drydock watch`: the service that knows when images go stale (see docs/watch.md).

use std::process::ExitCode;

use anyhow::Context;
use drydock_config::Config;
use drydock_watch::WatchConfig;

use crate::cli::{Format, GlobalArgs, WatchArgs};

pub fn run(args: WatchArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let config = Config::discover(global.config.as_deref(), &cwd)?;
    let mut watch = WatchConfig::from_config(&config, |name| std::env::var(name).ok())?;
    if let Some(listen) = args.listen {
        watch.listen = listen;
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    if args.once {
        let rows = runtime.block_on(drydock_watch::run_once(watch, None))?;
        match global.format {
            Format::Json | Format::Sarif => {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            }
            Format::Human => {
                for r in &rows {
                    println!("{:<8} {}  {}", r.status, r.reference, r.status_reason);
                }
            }
        }
        let stale = rows.iter().any(|r| r.status == "stale");
        let failed = rows.iter().any(|r| r.status == "error");
        return Ok(if failed {
            ExitCode::from(2)
        } else if stale {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    runtime.block_on(drydock_watch::run(watch, None, shutdown_signal()))?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down");
}
