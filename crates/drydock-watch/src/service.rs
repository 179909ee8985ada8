//! Runs the service: the HTTP server, the polling loop and the outbox.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};

use crate::config::WatchConfig;
use crate::metrics::Metrics;
use crate::outbox::Outbox;
use crate::security::SecurityUpdates;
use crate::server::{AppState, router};
use crate::store::{ImageRow, Store, StoreError};
use crate::watcher::{Watcher, client_config};

/// Why the service could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The registry client could not be built.
    #[error(transparent)]
    Registry(#[from] drydock_registry::Error),
    /// The listener could not be bound or served.
    #[error("{0}")]
    Io(String),
}

/// A number in [0, 1) for jitter.
fn random_fraction() -> f64 {
    let n = RandomState::new().hash_one(std::time::SystemTime::now());
    (n >> 11) as f64 / (1u64 << 53) as f64
}

/// Serves until `shutdown` completes: polls on the schedule (and at once on
/// start), checks references named by registry notifications, re-evaluates
/// pending security updates, and delivers the outbox.
pub async fn run(
    config: WatchConfig,
    security: Option<Arc<dyn SecurityUpdates>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServiceError> {
    let config = Arc::new(config);
    let store = Store::open(&config.database).await?;
    let metrics = Arc::new(Metrics::default());
    let wake = Arc::new(Notify::new());
    let watcher = Watcher::new(
        config.clone(),
        store.clone(),
        client_config(&config),
        security,
        metrics.clone(),
        wake.clone(),
    )?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| ServiceError::Io(format!("cannot listen on {}: {e}", config.listen)))?;
    tracing::info!(listen = %config.listen, images = config.images.len(), "drydock watch started");
    let (check_now, mut requests) = mpsc::channel::<Vec<String>>(64);

    let outbox = Outbox::new(config.clone(), store.clone(), metrics.clone());
    let outbox_wake = wake.clone();
    let outbox_task = tokio::spawn(async move { outbox.run(outbox_wake).await });

    let loop_config = config.clone();
    let poll_task = tokio::spawn(async move {
        if let Err(e) = watcher.poll(None).await {
            tracing::error!("poll: {e}");
        }
        if let Err(e) = watcher.evaluate_security().await {
            tracing::error!("security updates: {e}");
        }
        loop {
            let now = chrono::Utc::now();
            let poll_in = loop_config.schedule.delay_from(now, random_fraction());
            let security_in = loop_config
                .security_schedule
                .delay_from(now, random_fraction());
            tokio::select! {
                _ = tokio::time::sleep(poll_in) => {
                    if let Err(e) = watcher.poll(None).await {
                        tracing::error!("poll: {e}");
                    }
                }
                _ = tokio::time::sleep(security_in) => {
                    if let Err(e) = watcher.evaluate_security().await {
                        tracing::error!("security updates: {e}");
                    }
                }
                Some(mut refs) = requests.recv() => {
                    // Fold in whatever else arrived meanwhile.
                    while let Ok(more) = requests.try_recv() {
                        refs.extend(more);
                    }
                    refs.sort();
                    refs.dedup();
                    if let Err(e) = watcher.poll(Some(&refs)).await {
                        tracing::error!("poll: {e}");
                    }
                }
            }
        }
    });

    let app = router(AppState {
        config: config.clone(),
        store: store.clone(),
        metrics,
        check_now,
    });
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| ServiceError::Io(format!("serving: {e}")));
    poll_task.abort();
    outbox_task.abort();
    store.close().await;
    served
}

/// One pass without serving: poll every reference, re-evaluate security
/// updates, deliver what is due; returns the images' rows.
pub async fn run_once(
    config: WatchConfig,
    security: Option<Arc<dyn SecurityUpdates>>,
) -> Result<Vec<ImageRow>, ServiceError> {
    let config = Arc::new(config);
    let store = Store::open(&config.database).await?;
    let metrics = Arc::new(Metrics::default());
    let watcher = Watcher::new(
        config.clone(),
        store.clone(),
        client_config(&config),
        security,
        metrics.clone(),
        Arc::new(Notify::new()),
    )?;
    watcher.poll(None).await?;
    watcher.evaluate_security().await?;
    Outbox::new(config.clone(), store.clone(), metrics)
        .deliver_due()
        .await?;
    let rows = store.images().await?;
    store.close().await;
    Ok(rows)
}
