//! Counters for `/metrics` (Prometheus text format).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Process-wide counters and gauges.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Polling cycles run.
    pub polls: AtomicU64,
    /// Reference checks that failed.
    pub poll_errors: AtomicU64,
    /// References checked.
    pub references_checked: AtomicU64,
    /// Duration of the last cycle (ms).
    pub last_poll_ms: AtomicU64,
    /// When the last cycle ran (Unix ms).
    pub last_poll_at: AtomicI64,
    /// Registry notification envelopes accepted.
    pub notifications_received: AtomicU64,
    /// Registry notification events skipped as duplicates.
    pub notifications_duplicate: AtomicU64,
    /// Outbox deliveries that succeeded.
    pub deliveries: AtomicU64,
    /// Outbox delivery attempts that failed.
    pub delivery_failures: AtomicU64,
}

impl Metrics {
    /// Renders the counters plus the per-status image counts and the outbox backlog.
    pub fn render(&self, images_by_status: &[(String, usize)], outbox_pending: i64) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            );
        };
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        metric(
            "drydock_watch_polls_total",
            "counter",
            "Polling cycles run.",
            get(&self.polls),
        );
        metric(
            "drydock_watch_poll_errors_total",
            "counter",
            "Reference checks that failed.",
            get(&self.poll_errors),
        );
        metric(
            "drydock_watch_references_checked_total",
            "counter",
            "References checked.",
            get(&self.references_checked),
        );
        metric(
            "drydock_watch_last_poll_duration_seconds",
            "gauge",
            "Duration of the last polling cycle.",
            format!(
                "{:.3}",
                self.last_poll_ms.load(Ordering::Relaxed) as f64 / 1000.0
            ),
        );
        metric(
            "drydock_watch_last_poll_timestamp_seconds",
            "gauge",
            "When the last polling cycle ran.",
            (self.last_poll_at.load(Ordering::Relaxed) / 1000).to_string(),
        );
        metric(
            "drydock_watch_registry_notifications_total",
            "counter",
            "Registry notification envelopes accepted.",
            get(&self.notifications_received),
        );
        metric(
            "drydock_watch_registry_notifications_duplicate_total",
            "counter",
            "Registry notification events ignored as already seen.",
            get(&self.notifications_duplicate),
        );
        metric(
            "drydock_watch_deliveries_total",
            "counter",
            "Notifications and rebuild triggers delivered.",
            get(&self.deliveries),
        );
        metric(
            "drydock_watch_delivery_failures_total",
            "counter",
            "Delivery attempts that failed (retried later).",
            get(&self.delivery_failures),
        );
        metric(
            "drydock_watch_outbox_pending",
            "gauge",
            "Deliveries not yet done.",
            outbox_pending.to_string(),
        );
        out.push_str("# HELP drydock_watch_images Tracked images by status.\n# TYPE drydock_watch_images gauge\n");
        for status in ["fresh", "stale", "error", "unknown"] {
            let n = images_by_status
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            let _ = writeln!(out, "drydock_watch_images{{status=\"{status}\"}} {n}");
        }
        out
    }
}
