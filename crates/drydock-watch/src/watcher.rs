//! Polling and evaluation: which digests moved, which images went stale,
//! which events to record and deliver.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use drydock_registry::{Client, ClientConfig, Credentials, Reference};
use futures::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tokio::sync::Notify;

use crate::config::{ImageConfig, WatchConfig};
use crate::metrics::Metrics;
use crate::security::{PackageFix, SecurityUpdates};
use crate::store::{Change, ImageRow, NewEvent, RefState, Store, StoreError};

/// Label/annotation naming the base image.
pub const BASE_NAME_LABEL: &str = "org.opencontainers.image.base.name";
/// Label/annotation with the base image's digest.
pub const BASE_DIGEST_LABEL: &str = "org.opencontainers.image.base.digest";

/// Checks references and records what changed.
pub struct Watcher {
    config: Arc<WatchConfig>,
    store: Store,
    client: Client,
    security: Option<Arc<dyn SecurityUpdates>>,
    metrics: Arc<Metrics>,
    outbox: Arc<Notify>,
    dockerfile_bases: HashMap<String, Reference>,
    /// The last failed security re-evaluation per image (cleared by a
    /// successful one), shown as the image's `error` status.
    security_errors: std::sync::Mutex<HashMap<String, String>>,
}

/// What one check of a reference found.
#[derive(Debug)]
enum Observation {
    /// `HEAD` returned the stored digest.
    Unchanged,
    /// The tag points elsewhere (or was never seen).
    Changed {
        digest: String,
        image_digest: String,
        facts: Option<ImageFacts>,
    },
    /// The check failed; nothing is concluded.
    Failed(String),
}

/// What an image's config and manifest say about it.
#[derive(Debug, Clone, Default)]
struct ImageFacts {
    created: Option<i64>,
    base_name: Option<String>,
    base_digest: Option<String>,
}

/// Summary of one polling cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// References checked.
    pub checked: usize,
    /// References whose image changed.
    pub changed: usize,
    /// References whose check failed.
    pub failed: usize,
    /// Events recorded.
    pub events: usize,
}

/// The registry client settings watch uses: short retries, so a cycle is
/// not held up for minutes by one bad registry.
pub fn client_config(config: &WatchConfig) -> ClientConfig {
    ClientConfig {
        credentials: Credentials::DockerConfig(config.docker_config.clone()),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(15),
        read_timeout: Duration::from_secs(15),
        max_retries: 2,
        initial_backoff: Duration::from_millis(250),
        max_retry_after: Duration::from_secs(30),
        max_concurrent_requests: config.concurrency,
        ..ClientConfig::default()
    }
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Watcher {
    /// A watcher; reads each image's Dockerfile once to find its base.
    pub fn new(
        config: Arc<WatchConfig>,
        store: Store,
        client_config: ClientConfig,
        security: Option<Arc<dyn SecurityUpdates>>,
        metrics: Arc<Metrics>,
        outbox: Arc<Notify>,
    ) -> Result<Self, drydock_registry::Error> {
        let mut dockerfile_bases = HashMap::new();
        for image in &config.images {
            if let Some(path) = &image.dockerfile {
                match dockerfile_base(path) {
                    Ok(Some(base)) => {
                        dockerfile_bases.insert(image.reference.to_string(), base);
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(image = %image.name, "{e}"),
                }
            }
        }
        Ok(Self {
            client: Client::new(client_config)?,
            config,
            store,
            security,
            metrics,
            outbox,
            dockerfile_bases,
            security_errors: std::sync::Mutex::default(),
        })
    }

    /// Runs one cycle over every reference, or over those in `only`
    /// (references as written by [`Reference`]'s `Display`).
    pub async fn poll(&self, only: Option<&[String]>) -> Result<CycleReport, StoreError> {
        let started = Instant::now();
        let now = now_ms();
        let mut state: HashMap<String, RefState> = self
            .store
            .refs()
            .await?
            .into_iter()
            .map(|r| (r.reference.clone(), r))
            .collect();
        let rows: HashMap<String, ImageRow> = self
            .store
            .images()
            .await?
            .into_iter()
            .map(|r| (r.reference.clone(), r))
            .collect();
        let wanted = |r: &String| only.is_none_or(|o| o.contains(r));

        // Phase 1: images and the bases already known.
        let mut targets = BTreeSet::new();
        for image in &self.config.images {
            let r = image.reference.to_string();
            if let Some(base) = self.known_base(image, rows.get(&r)) {
                targets.insert((base.0, false));
            }
            targets.insert((r, true));
        }
        targets.retain(|(r, _)| wanted(r));
        let mut observations = self.observe_all(&targets, &state).await;
        // Phase 2: bases first learnt from an image's labels this cycle.
        let mut more = BTreeSet::new();
        for (_, obs) in &observations {
            if let Observation::Changed {
                facts:
                    Some(ImageFacts {
                        base_name: Some(b), ..
                    }),
                ..
            } = obs
                && let Ok(base) = Reference::parse(b)
            {
                let tag = tag_reference(&base).to_string();
                if !targets.iter().any(|(t, _)| *t == tag) {
                    more.insert((tag, false));
                }
            }
        }
        if !more.is_empty() {
            observations.extend(self.observe_all(&more, &state).await);
        }

        let mut report = CycleReport {
            checked: observations.len(),
            ..CycleReport::default()
        };
        let mut unchanged = Vec::new();
        let mut change = Change::default();
        let mut moved = Vec::new();
        let mut facts_by_ref = HashMap::new();
        for (reference, obs) in observations {
            match obs {
                Observation::Unchanged => {
                    if let Some(s) = state.get_mut(&reference) {
                        s.checked_at = Some(now);
                        s.error = None;
                        s.error_at = None;
                    }
                    unchanged.push(reference);
                }
                Observation::Failed(error) => {
                    report.failed += 1;
                    self.metrics.poll_errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%reference, "check failed: {error}");
                    self.store.record_error(&reference, &error, now).await?;
                    let s = state.entry(reference.clone()).or_default();
                    s.reference = reference;
                    s.error = Some(error);
                    s.error_at = Some(now);
                }
                Observation::Changed {
                    digest,
                    image_digest,
                    facts,
                } => {
                    let prev = state.get(&reference).cloned().unwrap_or_default();
                    let image_changed = prev.image_digest.as_deref() != Some(image_digest.as_str());
                    if image_changed {
                        report.changed += 1;
                        if let Some(old) = prev.image_digest.clone() {
                            moved.push((reference.clone(), old, image_digest.clone()));
                        }
                    }
                    if let Some(f) = facts {
                        facts_by_ref.insert(reference.clone(), f);
                    }
                    let new = RefState {
                        reference: reference.clone(),
                        digest: Some(digest),
                        image_digest: Some(image_digest),
                        checked_at: Some(now),
                        changed_at: if image_changed {
                            Some(now)
                        } else {
                            prev.changed_at
                        },
                        error: None,
                        error_at: None,
                    };
                    change.refs.push(new.clone());
                    state.insert(reference, new);
                }
            }
        }

        // Image rows: base, what it was built on, age.
        let mut new_rows: BTreeMap<String, ImageRow> = BTreeMap::new();
        for image in &self.config.images {
            let r = image.reference.to_string();
            let mut row = rows.get(&r).cloned().unwrap_or_else(|| ImageRow {
                reference: r.clone(),
                status: "unknown".into(),
                ..ImageRow::default()
            });
            if let Some(facts) = facts_by_ref.get(&r) {
                row.created_at = facts.created;
                let (base, source, pinned) = self.derive_base(image, Some(facts));
                row.base = base.as_ref().map(|b| tag_reference(b).to_string());
                row.base_source = source.map(str::to_owned);
                row.built_on = facts.base_digest.clone().or(pinned).or_else(|| {
                    row.base
                        .as_ref()
                        .and_then(|b| state.get(b))
                        .and_then(|s| s.image_digest.clone())
                });
            } else if row.base.is_none()
                && let (Some(base), source, _) = self.derive_base(image, None)
            {
                row.base = Some(tag_reference(&base).to_string());
                row.base_source = source.map(str::to_owned);
            }
            if row.built_on.is_none()
                && let Some(b) = &row.base
                && let Some(d) = state.get(b).and_then(|s| s.image_digest.clone())
            {
                // No label: the base as first seen is the baseline.
                row.built_on = Some(d);
            }
            new_rows.insert(r, row);
        }
        let rebuilt = self.rebuilt_fixes(&moved, &mut new_rows, now).await;
        let security_errors = self.security_errors();
        for row in new_rows.values_mut() {
            evaluate(row, &state, &self.config, &security_errors, now);
        }

        // Events.
        for (reference, old, new) in moved {
            let affected: Vec<&ImageRow> = new_rows
                .values()
                .filter(|row| {
                    row.base.as_deref() == Some(reference.as_str()) && base_moved(row, &state)
                })
                .collect();
            let is_base = new_rows
                .values()
                .any(|row| row.base.as_deref() == Some(reference.as_str()));
            if is_base {
                change.events.push(self.event(
                    "base-updated",
                    &reference,
                    Some(&old),
                    Some(&new),
                    &affected,
                    &[],
                    &[],
                    now,
                ));
            }
            if let Some(row) = new_rows.get(&reference) {
                let (fixed, pending) = rebuilt.get(&reference).cloned().unwrap_or_default();
                change.events.push(self.event(
                    "image-updated",
                    &reference,
                    Some(&old),
                    Some(&new),
                    &[row],
                    &pending,
                    &fixed,
                    now,
                ));
            }
        }
        report.events = change.events.len();
        change.images = new_rows.into_values().collect();
        self.store.apply(&change).await?;
        self.store.mark_checked(&unchanged, now).await?;
        if report.events > 0 {
            self.outbox.notify_one();
        }
        let m = &self.metrics;
        m.polls.fetch_add(1, Ordering::Relaxed);
        m.references_checked
            .fetch_add(report.checked as u64, Ordering::Relaxed);
        m.last_poll_ms
            .store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
        m.last_poll_at.store(now, Ordering::Relaxed);
        tracing::info!(?report, elapsed = ?started.elapsed(), "poll cycle");
        Ok(report)
    }

    /// Asks the [`SecurityUpdates`] source about every image and records an
    /// event when an image's pending fixes change. Without a source: nothing.
    pub async fn evaluate_security(&self) -> Result<usize, StoreError> {
        let Some(source) = &self.security else {
            return Ok(0);
        };
        let now = now_ms();
        let state: HashMap<String, RefState> = self
            .store
            .refs()
            .await?
            .into_iter()
            .map(|r| (r.reference.clone(), r))
            .collect();
        let mut change = Change::default();
        for mut row in self.store.images().await? {
            let Some(digest) = state
                .get(&row.reference)
                .and_then(|s| s.image_digest.clone())
            else {
                continue;
            };
            let mut fixes = match source.pending(&row.reference, &digest).await {
                Ok(f) => {
                    self.set_security_error(&row.reference, None);
                    f
                }
                Err(e) => {
                    tracing::warn!(image = %row.reference, "pending security updates: {e}");
                    self.set_security_error(&row.reference, Some(e));
                    row.security_checked = Some(now);
                    evaluate(&mut row, &state, &self.config, &self.security_errors(), now);
                    change.images.push(row);
                    continue;
                }
            };
            fixes.sort();
            let before: Vec<PackageFix> = row
                .pending_fixes
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default();
            row.security_checked = Some(now);
            row.pending_fixes = Some(serde_json::to_string(&fixes).unwrap_or_default());
            evaluate(&mut row, &state, &self.config, &self.security_errors(), now);
            if fixes != before && !fixes.is_empty() {
                change.events.push(self.event(
                    "security-updates",
                    &row.reference,
                    Some(&digest),
                    Some(&digest),
                    &[&row],
                    &fixes,
                    &[],
                    now,
                ));
            }
            change.images.push(row);
        }
        let events = change.events.len();
        self.store.apply(&change).await?;
        if events > 0 {
            self.outbox.notify_one();
        }
        Ok(events)
    }

    /// For each tracked image that moved (`(reference, old, new)`) and whose old image's pending
    /// security fixes were evaluated: the new image's pending fixes (stored on its row) and the
    /// packages the move fixed (pending before, not any more), as `(fixed, still pending)`.
    async fn rebuilt_fixes(
        &self,
        moved: &[(String, String, String)],
        rows: &mut BTreeMap<String, ImageRow>,
        now: i64,
    ) -> HashMap<String, (Vec<PackageFix>, Vec<PackageFix>)> {
        let mut rebuilt = HashMap::new();
        let Some(source) = &self.security else {
            return rebuilt;
        };
        for (reference, _, new) in moved {
            let Some(row) = rows.get_mut(reference) else {
                continue;
            };
            let Some(before) = row
                .pending_fixes
                .as_deref()
                .and_then(|j| serde_json::from_str::<Vec<PackageFix>>(j).ok())
            else {
                continue;
            };
            match source.pending(reference, new).await {
                Ok(mut after) => {
                    after.sort();
                    let fixed = before
                        .into_iter()
                        .filter(|b| !after.iter().any(|a| a.package == b.package))
                        .collect();
                    self.set_security_error(reference, None);
                    row.security_checked = Some(now);
                    row.pending_fixes = Some(serde_json::to_string(&after).unwrap_or_default());
                    rebuilt.insert(reference.clone(), (fixed, after));
                }
                Err(e) => {
                    tracing::warn!(image = %reference, "pending security updates of the new image: {e}");
                }
            }
        }
        rebuilt
    }

    fn security_errors(&self) -> HashMap<String, String> {
        self.security_errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set_security_error(&self, reference: &str, error: Option<String>) {
        let mut errors = self
            .security_errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match error {
            Some(e) => errors.insert(reference.to_owned(), e),
            None => errors.remove(reference),
        };
    }

    async fn observe_all(
        &self,
        targets: &BTreeSet<(String, bool)>,
        state: &HashMap<String, RefState>,
    ) -> Vec<(String, Observation)> {
        futures::stream::iter(targets.iter().cloned())
            .map(|(r, is_image)| async move {
                let prev = state.get(&r).and_then(|s| s.digest.clone());
                let obs = self.observe(&r, prev.as_deref(), is_image).await;
                (r, obs)
            })
            .buffer_unordered(self.config.concurrency)
            .collect()
            .await
    }

    /// One `HEAD` when nothing changed; otherwise resolve the platform's
    /// image (and read an image's config for its base and age).
    async fn observe(&self, reference: &str, prev: Option<&str>, is_image: bool) -> Observation {
        let r = match Reference::parse(reference) {
            Ok(r) => r,
            Err(e) => return Observation::Failed(e.to_string()),
        };
        let head = match self.client.head_manifest(&r).await {
            Ok(h) => h,
            Err(e) => return Observation::Failed(e.to_string()),
        };
        let digest = head.digest.to_string();
        if prev == Some(digest.as_str()) {
            return Observation::Unchanged;
        }
        let pinned = r.with_digest(head.digest.clone());
        let resolved = match self
            .client
            .resolve_image(&pinned, &self.config.platform)
            .await
        {
            Ok(i) => i,
            Err(e) => return Observation::Failed(e.to_string()),
        };
        let facts = if is_image {
            match self.client.get_config(&resolved).await {
                Ok(bytes) => Some(image_facts(&bytes, &resolved.manifest_bytes)),
                Err(e) => return Observation::Failed(e.to_string()),
            }
        } else {
            None
        };
        Observation::Changed {
            digest,
            image_digest: resolved.manifest_digest.to_string(),
            facts,
        }
    }

    /// The base already known without fetching anything: `(tag reference, source)`.
    fn known_base(
        &self,
        image: &ImageConfig,
        row: Option<&ImageRow>,
    ) -> Option<(String, &'static str)> {
        if let Some(b) = &image.base {
            return Some((tag_reference(b).to_string(), "config"));
        }
        if let Some(b) = row.and_then(|r| r.base.clone()) {
            return Some((b, "stored"));
        }
        self.dockerfile_bases
            .get(&image.reference.to_string())
            .map(|b| (tag_reference(b).to_string(), "dockerfile"))
    }

    /// The base by precedence config > label > Dockerfile, with its source
    /// and the digest it is pinned to (if written with one).
    fn derive_base(
        &self,
        image: &ImageConfig,
        facts: Option<&ImageFacts>,
    ) -> (Option<Reference>, Option<&'static str>, Option<String>) {
        let pinned = |r: &Reference| r.digest().map(ToString::to_string);
        if let Some(b) = &image.base {
            return (Some(b.clone()), Some("config"), pinned(b));
        }
        if let Some(b) = facts
            .and_then(|f| f.base_name.as_deref())
            .and_then(|n| Reference::parse(n).ok())
        {
            let p = pinned(&b);
            return (Some(b), Some("label"), p);
        }
        match self.dockerfile_bases.get(&image.reference.to_string()) {
            Some(b) => (Some(b.clone()), Some("dockerfile"), pinned(b)),
            None => (None, None, None),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &self,
        kind: &str,
        reference: &str,
        old: Option<&str>,
        new: Option<&str>,
        images: &[&ImageRow],
        fixes: &[PackageFix],
        fixed: &[PackageFix],
        now: i64,
    ) -> NewEvent {
        let mut h = Sha256::new();
        for part in [kind, reference, old.unwrap_or(""), new.unwrap_or("")] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for f in fixes {
            h.update(format!("{}={}", f.package, f.fixed).as_bytes());
            h.update([0]);
        }
        let key = hex::encode(&h.finalize()[..16]);
        let at = chrono::DateTime::from_timestamp_millis(now)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let image_json: Vec<Value> = images
            .iter()
            .map(|row| {
                json!({
                    "reference": row.reference,
                    "status": row.status,
                    "reason": row.status_reason,
                    "base": row.base,
                    "built_on": row.built_on,
                    "created": row.created_at.and_then(chrono::DateTime::from_timestamp_millis)
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    "age_days": row.created_at.map(|c| (now - c) / 86_400_000),
                    "pending_fixes": row.pending_fixes.as_deref()
                        .and_then(|j| serde_json::from_str::<Value>(j).ok())
                        .unwrap_or_else(|| json!([])),
                })
            })
            .collect();
        let short = |d: Option<&str>| {
            d.map(|d| {
                d.strip_prefix("sha256:")
                    .unwrap_or(d)
                    .chars()
                    .take(12)
                    .collect::<String>()
            })
            .unwrap_or_else(|| "-".into())
        };
        let names: Vec<&str> = images.iter().map(|r| r.reference.as_str()).collect();
        let summary = match kind {
            "base-updated" if names.is_empty() => format!(
                "Base {reference} moved {} → {}; no tracked image is built on the old one",
                short(old),
                short(new)
            ),
            "base-updated" => format!(
                "Base {reference} moved {} → {}: {} stale ({})",
                short(old),
                short(new),
                names.len(),
                names.join(", ")
            ),
            "image-updated" => {
                let mut s = format!(
                    "Image {reference} was rebuilt {} → {}",
                    short(old),
                    short(new)
                );
                if !fixed.is_empty() {
                    s.push_str(&format!("; fixed: {}", package_list(fixed)));
                }
                if !fixes.is_empty() {
                    s.push_str(&format!(
                        "; security fixes still pending: {}",
                        package_list(fixes)
                    ));
                }
                s
            }
            _ => format!(
                "Image {reference} has {} package(s) with security fixes: {}",
                fixes.len(),
                package_list(fixes)
            ),
        };
        let payload = json!({
            "id": key,
            "kind": kind,
            "at": at,
            "reference": reference,
            "old_digest": old,
            "new_digest": new,
            "summary": summary,
            "images": image_json,
            "packages_with_fixes": fixes,
            "fixed_packages": fixed,
        });
        let mut deliveries: Vec<(String, String)> = self
            .config
            .notifiers
            .iter()
            .map(|n| (n.name.clone(), String::new()))
            .collect();
        if kind != "image-updated" {
            for row in images {
                if let Some(image) = self
                    .config
                    .images
                    .iter()
                    .find(|i| i.reference.to_string() == row.reference)
                {
                    for t in &image.rebuild {
                        deliveries.push((format!("rebuild:{t}"), row.reference.clone()));
                    }
                }
            }
        }
        NewEvent {
            key,
            at: now,
            kind: kind.into(),
            reference: reference.into(),
            old_digest: old.map(str::to_owned),
            new_digest: new.map(str::to_owned),
            payload: payload.to_string(),
            images: names.iter().map(|s| (*s).to_owned()).collect(),
            deliveries,
        }
    }
}

/// `name installed → fixed, …`.
fn package_list(fixes: &[PackageFix]) -> String {
    fixes
        .iter()
        .map(|f| format!("{} {} → {}", f.package, f.installed, f.fixed))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the image's base has moved past what it was built on.
fn base_moved(row: &ImageRow, state: &HashMap<String, RefState>) -> bool {
    let (Some(base), Some(built_on)) = (&row.base, &row.built_on) else {
        return false;
    };
    let Some(s) = state.get(base) else {
        return false;
    };
    match (&s.digest, &s.image_digest) {
        (Some(d), Some(i)) => d != built_on && i != built_on,
        _ => false,
    }
}

/// Sets the row's status and reason from the policy.
fn evaluate(
    row: &mut ImageRow,
    state: &HashMap<String, RefState>,
    config: &WatchConfig,
    security_errors: &HashMap<String, String>,
    now: i64,
) {
    let policy = &config.policy;
    let mut stale = Vec::new();
    if base_moved(row, state) {
        let msg = format!("base {} moved", row.base.as_deref().unwrap_or("?"));
        if policy.fail_on_base_moved {
            stale.push(msg);
        }
    }
    if let (Some(max), Some(created)) = (policy.max_age, row.created_at) {
        let age = Duration::from_millis(u64::try_from(now - created).unwrap_or(0));
        if age > max {
            stale.push(format!("older than {} days", max.as_secs() / 86_400));
        }
    }
    let fixes: Vec<PackageFix> = row
        .pending_fixes
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default();
    if policy.fail_on_security_updates && !fixes.is_empty() {
        let packages: Vec<String> = fixes
            .iter()
            .map(|f| format!("{} {} → {}", f.package, f.installed, f.fixed))
            .collect();
        stale.push(format!(
            "{} package(s) with security fixes: {}",
            fixes.len(),
            packages.join(", ")
        ));
    }
    let mut errors: Vec<String> = [Some(&row.reference), row.base.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|r| state.get(r).and_then(|s| s.error.clone()))
        .collect();
    if let Some(e) = security_errors.get(&row.reference) {
        errors.push(format!("pending security updates: {e}"));
    }
    let seen = state
        .get(&row.reference)
        .is_some_and(|s| s.image_digest.is_some());
    (row.status, row.status_reason) = if !stale.is_empty() {
        ("stale".into(), stale.join("; "))
    } else if !errors.is_empty() {
        (
            "error".into(),
            format!("last check failed: {}", errors.join("; ")),
        )
    } else if !seen {
        ("unknown".into(), "not checked yet".into())
    } else if row.base.is_none() {
        ("fresh".into(), "up to date (base unknown)".into())
    } else {
        ("fresh".into(), "built on the current base".into())
    };
}

/// The reference without its digest (what a moving tag is).
fn tag_reference(r: &Reference) -> Reference {
    match r.digest() {
        None => r.clone(),
        Some(_) => {
            let text = r.to_string();
            let no_digest = text.split('@').next().unwrap_or(&text);
            Reference::parse(no_digest).unwrap_or_else(|_| r.clone())
        }
    }
}

fn image_facts(config: &[u8], manifest: &[u8]) -> ImageFacts {
    let config: Value = serde_json::from_slice(config).unwrap_or(Value::Null);
    let manifest: Value = serde_json::from_slice(manifest).unwrap_or(Value::Null);
    let labels = &config["config"]["Labels"];
    let annotations = &manifest["annotations"];
    let get = |key: &str| {
        annotations[key]
            .as_str()
            .or_else(|| labels[key].as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    ImageFacts {
        created: config["created"]
            .as_str()
            .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
            .map(|t| t.timestamp_millis()),
        base_name: get(BASE_NAME_LABEL),
        base_digest: get(BASE_DIGEST_LABEL),
    }
}

/// The final stage's external base image of the Dockerfile at `path`.
fn dockerfile_base(path: &std::path::Path) -> Result<Option<Reference>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file = drydock_dockerfile::parse(&text);
    let graph = file.stage_graph(&Default::default());
    let mut stage = graph.final_stage;
    for _ in 0..=graph.stages.len() {
        let Some(s) = stage.and_then(|i| graph.stages.get(i)) else {
            return Ok(None);
        };
        match &s.base {
            drydock_dockerfile::Base::Stage(i) => stage = Some(*i),
            drydock_dockerfile::Base::Image(_) => {
                return Reference::parse(&s.base_name)
                    .map(Some)
                    .map_err(|e| format!("{}: final FROM: {e}", path.display()));
            }
            drydock_dockerfile::Base::Scratch => return Ok(None),
            drydock_dockerfile::Base::Invalid { error } => {
                return Err(format!("{}: final FROM: {error}", path.display()));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_stage_base_follows_stage_chain() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Dockerfile");
        std::fs::write(
            &p,
            "ARG V=12\nFROM debian:$V AS base\nFROM golang:1 AS build\nFROM base AS final\nCOPY --from=build /x /x\n",
        )
        .unwrap();
        assert_eq!(
            dockerfile_base(&p).unwrap().unwrap().to_string(),
            "docker.io/library/debian:12"
        );
        std::fs::write(&p, "FROM scratch\n").unwrap();
        assert_eq!(dockerfile_base(&p).unwrap(), None);
    }

    #[test]
    fn facts_prefer_manifest_annotations_over_labels() {
        let config = br#"{"created":"2024-01-02T03:04:05Z","config":{"Labels":{"org.opencontainers.image.base.name":"a/b:1","org.opencontainers.image.base.digest":"sha256:aa"}}}"#;
        let manifest = br#"{"annotations":{"org.opencontainers.image.base.digest":"sha256:bb"}}"#;
        let f = image_facts(config, manifest);
        assert_eq!(f.base_name.as_deref(), Some("a/b:1"));
        assert_eq!(f.base_digest.as_deref(), Some("sha256:bb"));
        assert_eq!(f.created, Some(1_704_164_645_000));
    }
}
