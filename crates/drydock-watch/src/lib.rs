//! `drydock watch`: a service that knows when images go stale.
//!
//! It tracks images in registries and the bases they are built on (from the
//! image's `org.opencontainers.image.base.*` labels/annotations, the
//! Dockerfile's final `FROM`, or the configuration), finds out when a base
//! moves — by polling (`HEAD` on manifests, one request per reference per
//! cycle when nothing changed) and from registry push notifications — and
//! re-evaluates pending security updates through the [`SecurityUpdates`]
//! seam. Changes become events, stored with their deliveries in one
//! transaction; a durable outbox delivers signed JSON webhooks, Slack
//! messages and rebuild triggers at least once. A JSON API, Prometheus
//! metrics and a server-rendered dashboard show the fleet.
//!
//! See `docs/watch.md` for the configuration and the webhook format.

pub mod config;
pub mod metrics;
pub mod outbox;
pub mod security;
pub mod server;
pub mod service;
pub mod store;
pub mod watcher;

pub use config::WatchConfig;
pub use security::{PackageFix, SecurityUpdates};
pub use service::{ServiceError, run, run_once};
pub use store::Store;
pub use watcher::Watcher;
