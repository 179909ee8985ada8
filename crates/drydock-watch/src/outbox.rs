//! Delivery of events from the durable outbox: at least once, with
//! exponential back-off, the same idempotency key on every attempt.
//!
//! Webhook requests are signed (see `docs/watch.md`):
//! `Drydock-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::Notify;

use crate::config::{NotifierKind, RebuildAction, WatchConfig};
use crate::metrics::Metrics;
use crate::store::{Delivery, Store, StoreError};
use crate::watcher::now_ms;

/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Drydock-Signature";
/// Header carrying the idempotency key (the same on every retry).
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Header carrying the event kind.
pub const EVENT_HEADER: &str = "Drydock-Event";

/// Longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// Timeout of one delivery request or command.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

/// Delivers due outbox rows.
pub struct Outbox {
    config: Arc<WatchConfig>,
    store: Store,
    http: reqwest::Client,
    metrics: Arc<Metrics>,
}

/// The value of [`SIGNATURE_HEADER`] for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Checks a [`SIGNATURE_HEADER`] value against `body`, rejecting
/// timestamps more than `tolerance` away from `now` (seconds). For
/// receivers written in Rust, and for drydock's tests.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance: i64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now - t).abs() > tolerance {
        return false;
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&v1).is_ok()
}

/// The idempotency key of a delivery: the event's key, plus the image for
/// rebuild triggers (one rebuild per image per event).
pub fn idempotency_key(d: &Delivery) -> String {
    if d.subject.is_empty() {
        d.event_key.clone()
    } else {
        let h = <Sha256 as sha2::Digest>::digest(format!("{}\0{}", d.event_key, d.subject));
        format!("{}-{}", d.event_key, hex::encode(&h[..4]))
    }
}

fn backoff(attempts: i64) -> Duration {
    let secs = 1u64 << attempts.clamp(0, 20);
    Duration::from_secs(secs).min(MAX_BACKOFF)
}

impl Outbox {
    /// An outbox deliverer.
    pub fn new(config: Arc<WatchConfig>, store: Store, metrics: Arc<Metrics>) -> Self {
        let http = reqwest::Client::builder()
            .user_agent(concat!("drydock-watch/", env!("CARGO_PKG_VERSION")))
            .timeout(DELIVERY_TIMEOUT)
            .build()
            .expect("static HTTP client settings");
        Self {
            config,
            store,
            http,
            metrics,
        }
    }

    /// Delivers until `wake` stops being notified… forever: each round
    /// sends what is due, then waits for new work or the next retry.
    pub async fn run(&self, wake: Arc<Notify>) {
        loop {
            match self.deliver_due().await {
                Ok(_) => {}
                Err(e) => tracing::error!("outbox: {e}"),
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    /// Attempts every due row once; returns how many were delivered.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let mut delivered = 0;
        loop {
            let due = self.store.due(now_ms(), 32).await?;
            if due.is_empty() {
                return Ok(delivered);
            }
            let mut progressed = false;
            for d in &due {
                match self.deliver(d).await {
                    Ok(()) => {
                        self.store.delivered(d.id, now_ms()).await?;
                        self.metrics.deliveries.fetch_add(1, Ordering::Relaxed);
                        delivered += 1;
                        progressed = true;
                    }
                    Err(e) => {
                        let next = now_ms() + backoff(d.attempts).as_millis() as i64;
                        tracing::warn!(target = %d.target, key = %d.event_key, attempt = d.attempts + 1, "delivery failed: {e}");
                        self.metrics
                            .delivery_failures
                            .fetch_add(1, Ordering::Relaxed);
                        self.store.failed(d.id, next, &e).await?;
                    }
                }
            }
            if !progressed {
                return Ok(delivered);
            }
        }
    }

    async fn deliver(&self, d: &Delivery) -> Result<(), String> {
        let key = idempotency_key(d);
        let event: Value =
            serde_json::from_str(&d.payload).map_err(|e| format!("bad payload: {e}"))?;
        let kind = event["kind"].as_str().unwrap_or("event").to_owned();
        if let Some(name) = d.target.strip_prefix("rebuild:") {
            let trigger = self
                .config
                .rebuilds
                .iter()
                .find(|t| t.name == name)
                .ok_or_else(|| format!("no [[watch.rebuild]] named {name:?} any more"))?;
            let mut body = event.clone();
            body["image"] = json!(d.subject);
            body["idempotency_key"] = json!(key);
            let body = body.to_string();
            return match &trigger.action {
                RebuildAction::Http { url, token } => {
                    let mut req = self
                        .http
                        .post(url)
                        .header("Content-Type", "application/json")
                        .header(IDEMPOTENCY_HEADER, &key)
                        .header(EVENT_HEADER, &kind);
                    if let Some(t) = token {
                        req = req.bearer_auth(t);
                    }
                    send(req.body(body)).await
                }
                RebuildAction::Command { argv, dir } => {
                    run_command(argv, dir, &d.subject, &kind, &key, &body).await
                }
            };
        }
        let notifier = self
            .config
            .notifiers
            .iter()
            .find(|n| n.name == d.target)
            .ok_or_else(|| format!("no [[watch.notify]] named {:?} any more", d.target))?;
        match &notifier.kind {
            NotifierKind::Webhook { secret } => {
                let body = d.payload.clone().into_bytes();
                let signature = sign(secret, now_ms() / 1000, &body);
                send(
                    self.http
                        .post(&notifier.url)
                        .header("Content-Type", "application/json")
                        .header(SIGNATURE_HEADER, signature)
                        .header(IDEMPOTENCY_HEADER, &key)
                        .header(EVENT_HEADER, &kind)
                        .body(body),
                )
                .await
            }
            NotifierKind::Slack => {
                send(
                    self.http
                        .post(&notifier.url)
                        .header("Content-Type", "application/json")
                        .header(IDEMPOTENCY_HEADER, &key)
                        .body(slack_message(&event).to_string()),
                )
                .await
            }
        }
    }
}

async fn send(req: reqwest::RequestBuilder) -> Result<(), String> {
    let resp = req.send().await.map_err(|e| e.without_url().to_string())?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", resp.status().as_u16()))
    }
}

async fn run_command(
    argv: &[String],
    dir: &std::path::Path,
    image: &str,
    kind: &str,
    key: &str,
    body: &str,
) -> Result<(), String> {
    let mut cmd = tokio::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(dir)
        .env("DRYDOCK_IMAGE", image)
        .env("DRYDOCK_EVENT", kind)
        .env("DRYDOCK_IDEMPOTENCY_KEY", key)
        .env("DRYDOCK_EVENT_JSON", body)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let status = tokio::time::timeout(COMMAND_TIMEOUT, cmd.status())
        .await
        .map_err(|_| format!("{} timed out", argv[0]))?
        .map_err(|e| format!("cannot run {}: {e}", argv[0]))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} exited with {status}", argv[0]))
    }
}

/// A Slack incoming-webhook message for `event`.
pub fn slack_message(event: &Value) -> Value {
    let mut lines = vec![format!(
        "*drydock watch*: {}",
        event["summary"].as_str().unwrap_or("")
    )];
    if let (Some(old), Some(new)) = (event["old_digest"].as_str(), event["new_digest"].as_str())
        && old != new
    {
        lines.push(format!("`{old}` → `{new}`"));
    }
    for image in event["images"].as_array().into_iter().flatten() {
        let mut line = format!(
            "• `{}`: {}",
            image["reference"].as_str().unwrap_or("?"),
            image["reason"].as_str().unwrap_or("")
        );
        if let Some(age) = image["age_days"].as_i64() {
            line.push_str(&format!(", {age} days old"));
        }
        lines.push(line);
    }
    for (list, label) in [("fixed_packages", "fixed: "), ("packages_with_fixes", "")] {
        for fix in event[list].as_array().into_iter().flatten() {
            lines.push(format!(
                "• {label}{} {} → {}",
                fix["package"].as_str().unwrap_or("?"),
                fix["installed"].as_str().unwrap_or("?"),
                fix["fixed"].as_str().unwrap_or("?")
            ));
        }
    }
    json!({ "text": lines.join("\n") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trip_and_replay_window() {
        let h = sign("k", 1_700_000_000, b"{}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert!(verify("k", &h, b"{}", 1_700_000_100, 300));
        assert!(!verify("k", &h, b"{ }", 1_700_000_100, 300));
        assert!(!verify("other", &h, b"{}", 1_700_000_100, 300));
        assert!(!verify("k", &h, b"{}", 1_700_000_400, 300));
    }

    #[test]
    fn signature_matches_an_independent_hmac() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
