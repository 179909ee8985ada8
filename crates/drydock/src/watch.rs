//! `drydock watch`: the service that knows when images go stale (see docs/watch.md).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use drydock_config::Config;
use drydock_image::{OpenOptions, PlatformSpec, RegistrySource};
use drydock_registry::{ClientConfig, Reference};
use drydock_updates::{FetchOptions, Mirror, Options};
use drydock_watch::security::PendingFuture;
use drydock_watch::{PackageFix, SecurityUpdates, WatchConfig};

use crate::cli::{Format, GlobalArgs, WatchArgs};

pub fn run(args: WatchArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let config = Config::discover(global.config.as_deref(), &cwd)?;
    let mut watch = WatchConfig::from_config(&config, |name| std::env::var(name).ok())?;
    if let Some(listen) = args.listen {
        watch.listen = listen;
    }
    let security: Arc<dyn SecurityUpdates> = Arc::new(UpdatesEngine::new(&watch)?);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    if args.once {
        let rows = runtime.block_on(drydock_watch::run_once(watch, Some(security)))?;
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
    runtime.block_on(drydock_watch::run(watch, Some(security), shutdown_signal()))?;
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

/// Pending security updates of a tracked image: drydock's updates engine
/// over the image read from its registry (watch's credentials and platform),
/// with the package sources the image itself declares (through the
/// configured `mirrors`).
#[derive(Clone)]
struct UpdatesEngine {
    client: ClientConfig,
    platform: PlatformSpec,
    fetch: FetchOptions,
}

impl UpdatesEngine {
    fn new(watch: &WatchConfig) -> anyhow::Result<Self> {
        let mirrors = watch
            .mirrors
            .iter()
            .map(|m| m.parse::<Mirror>())
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| anyhow::anyhow!("[watch] mirrors: {e}"))?;
        Ok(Self {
            client: drydock_watch::watcher::client_config(watch),
            platform: PlatformSpec {
                os: watch.platform.os.clone(),
                architecture: watch.platform.architecture.clone(),
                variant: watch.platform.variant.clone(),
            },
            fetch: FetchOptions {
                mirrors,
                index_dir: None,
                cache_dir: Some(watch.data_dir.join("updates-cache")),
                timeout: None,
            },
        })
    }

    /// Blocking: opens `reference` pinned to `digest` and lists its pending
    /// security updates.
    fn pending_blocking(&self, reference: &str, digest: &str) -> anyhow::Result<Vec<PackageFix>> {
        let pinned = Reference::parse(reference)?.with_digest(
            digest
                .parse()
                .map_err(|e| anyhow::anyhow!("bad digest {digest}: {e}"))?,
        );
        let open = OpenOptions {
            platform: self.platform.clone(),
            ..OpenOptions::default()
        };
        let source = RegistrySource::open_with(&pinned.to_string(), &open, self.client.clone())
            .with_context(|| format!("cannot open {pinned}"))?;
        let options = Options {
            fetch: self.fetch.clone(),
            security_only: true,
        };
        let updates = drydock_updates::pending_updates(&source, &options)
            .with_context(|| format!("cannot list the pending updates of {pinned}"))?;
        Ok(updates
            .updates
            .into_iter()
            .filter(|u| u.security)
            .map(|u| PackageFix {
                package: u.name,
                installed: u.installed_version,
                fixed: u.fixed_version,
                advisories: u.advisories,
            })
            .collect())
    }
}

impl SecurityUpdates for UpdatesEngine {
    fn pending<'a>(&'a self, reference: &'a str, digest: &'a str) -> PendingFuture<'a> {
        Box::pin(async move {
            let engine = self.clone();
            let (reference, digest) = (reference.to_owned(), digest.to_owned());
            tokio::task::spawn_blocking(move || engine.pending_blocking(&reference, &digest))
                .await
                .map_err(|e| format!("the updates engine stopped: {e}"))?
                .map_err(|e| format!("{e:#}"))
        })
    }
}
