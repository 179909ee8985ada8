//! HTTP: registry notifications in, the JSON API, `/metrics`, `/healthz`
//! and the server-rendered dashboard.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use drydock_registry::Reference;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::config::WatchConfig;
use crate::metrics::Metrics;
use crate::store::{EventRow, ImageRow, RefState, Store};
use crate::watcher::now_ms;

/// Media types of registry notification envelopes: distribution 2.x sends
/// `v1`, distribution 3 sends `v2`; the envelope fields drydock reads are the same.
pub const NOTIFICATION_MEDIA_TYPES: [&str; 3] = [
    "application/vnd.docker.distribution.events.v1+json",
    "application/vnd.docker.distribution.events.v2+json",
    "application/json",
];
/// Largest accepted notification envelope.
const MAX_ENVELOPE: usize = 1 << 20;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// Configuration.
    pub config: Arc<WatchConfig>,
    /// Database.
    pub store: Store,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Asks the watcher to check these references now.
    pub check_now: mpsc::Sender<Vec<String>>,
}

/// The router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/hooks/registry", post(registry_hook))
        .route("/api/v1/status", get(api_status))
        .route("/api/v1/images", get(api_images))
        .route("/api/v1/image", get(api_image))
        .route("/api/v1/events", get(api_events))
        .route("/api/v1/findings", get(api_findings))
        .route("/", get(page_overview))
        .route("/image", get(page_image))
        .route("/events", get(page_events))
        .layer(DefaultBodyLimit::max(MAX_ENVELOPE))
        .with_state(state)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!("{e}");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error (see the service log)",
    )
}

/// Constant-time comparison of secrets.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `headers` carry `token` as a Bearer token (or as the password of
/// HTTP Basic auth, for browsers).
fn authorized(headers: &HeaderMap, token: Option<&str>) -> bool {
    let Some(token) = token else {
        return true;
    };
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    if let Some(t) = value.strip_prefix("Bearer ") {
        return same(t.trim().as_bytes(), token.as_bytes());
    }
    if let Some(b) = value.strip_prefix("Basic ")
        && let Some(decoded) = decode_base64(b.trim())
        && let Some((_, password)) = decoded.split_once(':')
    {
        return same(password.as_bytes(), token.as_bytes());
    }
    false
}

fn decode_base64(s: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    String::from_utf8(out).ok()
}

fn unauthorized(browser: bool) -> Response {
    let mut r = error(StatusCode::UNAUTHORIZED, "missing or wrong token");
    let challenge = if browser {
        "Basic realm=\"drydock watch\""
    } else {
        "Bearer realm=\"drydock watch\""
    };
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        challenge.parse().expect("static header"),
    );
    r
}

async fn healthz(State(s): State<AppState>) -> Response {
    match s.store.pending_deliveries().await {
        Ok(_) => "ok\n".into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unavailable: {e}\n"),
        )
            .into_response(),
    }
}

async fn metrics(State(s): State<AppState>) -> Response {
    let (images, pending) = match (s.store.images().await, s.store.pending_deliveries().await) {
        (Ok(i), Ok(p)) => (i, p),
        (Err(e), _) | (_, Err(e)) => return internal(e),
    };
    let mut counts: Vec<(String, usize)> = Vec::new();
    for i in &images {
        match counts.iter_mut().find(|(s, _)| *s == i.status) {
            Some((_, n)) => *n += 1,
            None => counts.push((i.status.clone(), 1)),
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(&counts, pending),
    )
        .into_response()
}

#[derive(Deserialize)]
struct Envelope {
    events: Vec<NotificationEvent>,
}

#[derive(Deserialize)]
struct NotificationEvent {
    #[serde(default)]
    id: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: Target,
    #[serde(default)]
    request: RequestInfo,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Target {
    #[serde(default)]
    media_type: String,
    #[serde(default)]
    repository: String,
    #[serde(default)]
    tag: String,
}

#[derive(Deserialize, Default)]
struct RequestInfo {
    #[serde(default)]
    host: String,
}

const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    drydock_registry::OCI_INDEX,
    drydock_registry::OCI_MANIFEST,
    drydock_registry::DOCKER_MANIFEST,
    drydock_registry::DOCKER_MANIFEST_LIST,
];

/// CNCF distribution notifications: acts on manifest pushes of watched
/// tags by checking them at once; every event id is handled once.
async fn registry_hook(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(token) = s.config.registry_token.as_deref() else {
        return error(
            StatusCode::NOT_FOUND,
            "registry notifications are not enabled (registry-token-env)",
        );
    };
    if !authorized(&headers, Some(token)) {
        return unauthorized(false);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !NOTIFICATION_MEDIA_TYPES.contains(&media) {
        tracing::warn!(
            content_type,
            "registry notification refused: unknown media type"
        );
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/vnd.docker.distribution.events.v1+json or v2+json",
        );
    }
    let envelope: Envelope = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "registry notification refused: invalid envelope");
            return error(StatusCode::BAD_REQUEST, &format!("invalid envelope: {e}"));
        }
    };
    s.metrics
        .notifications_received
        .fetch_add(1, Ordering::Relaxed);
    let watched = watched_references(&s).await;
    let mut check = BTreeSet::new();
    let now = now_ms();
    for event in &envelope.events {
        if event.id.is_empty() {
            continue;
        }
        match s.store.first_sighting(&event.id, now).await {
            Ok(true) => {}
            Ok(false) => {
                s.metrics
                    .notifications_duplicate
                    .fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Err(e) => return internal(e),
        }
        if event.action != "push"
            || event.target.tag.is_empty()
            || !MANIFEST_MEDIA_TYPES.contains(&event.target.media_type.as_str())
        {
            continue;
        }
        for w in &watched {
            let host_matches = event.request.host.is_empty()
                || event.request.host == w.registry()
                || event.request.host == w.api_host();
            if host_matches
                && w.repository() == event.target.repository
                && w.tag() == Some(event.target.tag.as_str())
            {
                check.insert(w.to_string());
            }
        }
    }
    if !check.is_empty() {
        tracing::info!(references = ?check, "registry notification: checking now");
        // A full queue means checks are already pending; the next cycle catches up.
        let _ = s.check_now.try_send(check.into_iter().collect());
    }
    StatusCode::OK.into_response()
}

/// Tracked images and their known bases.
async fn watched_references(s: &AppState) -> Vec<Reference> {
    let mut out: Vec<Reference> = s
        .config
        .images
        .iter()
        .map(|i| i.reference.clone())
        .collect();
    for i in &s.config.images {
        if let Some(b) = &i.base {
            out.push(b.clone());
        }
    }
    if let Ok(rows) = s.store.refs().await {
        out.extend(
            rows.iter()
                .filter_map(|r| Reference::parse(&r.reference).ok()),
        );
    }
    out.sort_by_key(ToString::to_string);
    out.dedup();
    out
}

struct Snapshot {
    images: Vec<ImageRow>,
    refs: Vec<RefState>,
}

impl Snapshot {
    async fn load(store: &Store) -> Result<Self, Response> {
        Ok(Self {
            images: store.images().await.map_err(internal)?,
            refs: store.refs().await.map_err(internal)?,
        })
    }

    fn state(&self, reference: Option<&str>) -> Option<&RefState> {
        let reference = reference?;
        self.refs.iter().find(|r| r.reference == reference)
    }

    fn image_json(&self, row: &ImageRow) -> Value {
        let image = self.state(Some(&row.reference));
        let base = self.state(row.base.as_deref());
        json!({
            "reference": row.reference,
            "status": row.status,
            "reason": row.status_reason,
            "digest": image.and_then(|s| s.image_digest.clone()),
            "tag_digest": image.and_then(|s| s.digest.clone()),
            "created": row.created_at.map(rfc3339),
            "last_check": image.and_then(|s| s.checked_at).map(rfc3339),
            "last_error": image.and_then(|s| s.error.clone()),
            "base": {
                "reference": row.base,
                "source": row.base_source,
                "built_on": row.built_on,
                "current": base.and_then(|s| s.image_digest.clone()),
                "moved": row.status_reason.contains("base ") && row.status_reason.contains(" moved"),
                "last_check": base.and_then(|s| s.checked_at).map(rfc3339),
                "last_error": base.and_then(|s| s.error.clone()),
            },
            "pending_fixes": fixes(row),
        })
    }
}

fn fixes(row: &ImageRow) -> Value {
    row.pending_fixes
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_else(|| json!([]))
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn event_json(e: &EventRow) -> Value {
    serde_json::from_str(&e.payload).unwrap_or_else(|_| json!({ "id": e.key }))
}

async fn api_status(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if !authorized(&headers, s.config.api_token.as_deref()) {
        return unauthorized(false);
    }
    let snap = match Snapshot::load(&s.store).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let pending = match s.store.pending_deliveries().await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let count = |st: &str| snap.images.iter().filter(|i| i.status == st).count();
    let last = s.metrics.last_poll_at.load(Ordering::Relaxed);
    axum::Json(json!({
        "images": snap.images.len(),
        "fresh": count("fresh"),
        "stale": count("stale"),
        "error": count("error"),
        "unknown": count("unknown"),
        "outbox_pending": pending,
        "last_poll": (last > 0).then(|| rfc3339(last)),
        "schedule": s.config.schedule.pattern,
    }))
    .into_response()
}

async fn api_images(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if !authorized(&headers, s.config.api_token.as_deref()) {
        return unauthorized(false);
    }
    match Snapshot::load(&s.store).await {
        Ok(snap) => axum::Json(json!({
            "images": snap.images.iter().map(|i| snap.image_json(i)).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct RefQuery {
    reference: Option<String>,
    limit: Option<i64>,
}

async fn api_image(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<RefQuery>,
) -> Response {
    if !authorized(&headers, s.config.api_token.as_deref()) {
        return unauthorized(false);
    }
    let Some(reference) = q.reference else {
        return error(StatusCode::BAD_REQUEST, "reference= is required");
    };
    let snap = match Snapshot::load(&s.store).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(row) = snap.images.iter().find(|i| i.reference == reference) else {
        return error(StatusCode::NOT_FOUND, "not a tracked image");
    };
    let events = match s
        .store
        .events(Some(&reference), q.limit.unwrap_or(100).clamp(1, 1000))
        .await
    {
        Ok(e) => e,
        Err(e) => return internal(e),
    };
    let mut body = snap.image_json(row);
    body["events"] = events.iter().map(event_json).collect();
    body["findings"] = findings(row).into();
    axum::Json(body).into_response()
}

async fn api_events(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<RefQuery>,
) -> Response {
    if !authorized(&headers, s.config.api_token.as_deref()) {
        return unauthorized(false);
    }
    match s
        .store
        .events(
            q.reference.as_deref(),
            q.limit.unwrap_or(100).clamp(1, 1000),
        )
        .await
    {
        Ok(events) => {
            axum::Json(json!({ "events": events.iter().map(event_json).collect::<Vec<_>>() }))
                .into_response()
        }
        Err(e) => internal(e),
    }
}

/// Policy findings of an image, in the shape of drydock's JSON findings.
fn findings(row: &ImageRow) -> Vec<Value> {
    if row.status != "stale" {
        return Vec::new();
    }
    row.status_reason
        .split("; ")
        .map(|reason| {
            let (code, name) = if reason.starts_with("base ") {
                ("DD601", "base-image-moved")
            } else if reason.starts_with("older than") {
                ("DD602", "image-too-old")
            } else {
                ("DD603", "security-updates-pending")
            };
            json!({
                "code": code,
                "name": name,
                "severity": "error",
                "message": reason,
                "location": { "image": row.reference },
            })
        })
        .collect()
}

async fn api_findings(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if !authorized(&headers, s.config.api_token.as_deref()) {
        return unauthorized(false);
    }
    match s.store.images().await {
        Ok(images) => {
            axum::Json(json!({ "findings": images.iter().flat_map(findings).collect::<Vec<_>>() }))
                .into_response()
        }
        Err(e) => internal(e),
    }
}

// ---- Dashboard: plain HTML and CSS, no JavaScript. ----

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn short(d: Option<&str>) -> String {
    d.map(|d| {
        d.strip_prefix("sha256:")
            .unwrap_or(d)
            .chars()
            .take(12)
            .collect()
    })
    .unwrap_or_else(|| "–".into())
}

fn ago(now: i64, ms: Option<i64>) -> String {
    let Some(ms) = ms else { return "never".into() };
    let s = (now - ms).max(0) / 1000;
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

fn age(now: i64, created: Option<i64>) -> String {
    match created {
        Some(c) => format!("{} days", (now - c).max(0) / 86_400_000),
        None => "–".into(),
    }
}

const STYLE: &str = "body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}\
header{background:#1d2330;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.5rem;align-items:baseline}\
header a{color:#cfe0ff;text-decoration:none}header strong{font-size:1.1rem}\
main{padding:1rem 1.2rem;max-width:1400px}table{border-collapse:collapse;width:100%;background:#fff}\
th,td{padding:.4rem .6rem;border-bottom:1px solid #e3e6eb;text-align:left;vertical-align:top}\
th{background:#eef0f4;font-weight:600}code{font-size:.85em}td.ref{word-break:break-all}\
.status{display:inline-block;padding:.1rem .5rem;border-radius:.8rem;font-weight:600;font-size:.85rem}\
.fresh{background:#d8f5e0;color:#11652c}.stale{background:#fde0dc;color:#9b1c10}\
.error{background:#fff1c7;color:#7a5300}.unknown{background:#e6e8ec;color:#4b5262}\
.summary{display:flex;gap:1rem;margin:0 0 1rem}.summary div{background:#fff;padding:.5rem 1rem;border-radius:.4rem}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;background:#fff;padding:1rem}dt{font-weight:600}";

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · drydock watch</title><style>{STYLE}</style></head><body>\
         <header><strong>drydock watch</strong><a href=\"/\">Fleet</a><a href=\"/events\">Events</a></header>\
         <main>{body}</main></body></html>",
        esc(title)
    ))
}

fn dashboard_allowed(s: &AppState, headers: &HeaderMap) -> bool {
    s.config.public_dashboard || authorized(headers, s.config.api_token.as_deref())
}

async fn page_overview(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if !dashboard_allowed(&s, &headers) {
        return unauthorized(true);
    }
    let snap = match Snapshot::load(&s.store).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let now = now_ms();
    let mut body = String::from("<h1>Fleet</h1><div class=\"summary\">");
    for st in ["stale", "error", "fresh", "unknown"] {
        let n = snap.images.iter().filter(|i| i.status == st).count();
        let _ = write!(
            body,
            "<div><span class=\"status {st}\">{st}</span> {n}</div>"
        );
    }
    body.push_str(
        "</div><table><thead><tr><th>Image</th><th>Status</th><th>Base</th><th>Base moved?</th>\
         <th>Age</th><th>Security fixes</th><th>Last check</th></tr></thead><tbody>",
    );
    for row in &snap.images {
        let state = snap.state(Some(&row.reference));
        let moved = row.status_reason.contains(" moved");
        let n_fixes = fixes(row).as_array().map_or(0, Vec::len);
        let _ = write!(
            body,
            "<tr id=\"{id}\" data-status=\"{st}\"><td class=\"ref\"><a href=\"/image?reference={q}\">{r}</a></td>\
             <td><span class=\"status {st}\">{st}</span><br><small>{reason}</small></td>\
             <td class=\"ref\">{base}</td><td>{moved}</td><td>{age}</td><td>{n_fixes}</td><td>{checked}</td></tr>",
            id = esc(&url_encode(&row.reference)),
            q = url_encode(&row.reference),
            r = esc(&row.reference),
            st = esc(&row.status),
            reason = esc(&row.status_reason),
            base = esc(row.base.as_deref().unwrap_or("unknown")),
            moved = if moved { "<strong>yes</strong>" } else { "no" },
            age = age(now, row.created_at),
            checked = esc(&ago(now, state.and_then(|s| s.checked_at))),
        );
    }
    body.push_str("</tbody></table>");
    page("Fleet", &body).into_response()
}

#[derive(Deserialize)]
struct PageQuery {
    reference: String,
}

async fn page_image(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    if !dashboard_allowed(&s, &headers) {
        return unauthorized(true);
    }
    let snap = match Snapshot::load(&s.store).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(row) = snap.images.iter().find(|i| i.reference == q.reference) else {
        return (
            StatusCode::NOT_FOUND,
            page("Not found", "<p>Not a tracked image.</p>"),
        )
            .into_response();
    };
    let events = match s.store.events(Some(&row.reference), 200).await {
        Ok(e) => e,
        Err(e) => return internal(e),
    };
    let now = now_ms();
    let image = snap.state(Some(&row.reference));
    let base = snap.state(row.base.as_deref());
    let mut body = format!(
        "<h1 class=\"ref\">{r}</h1><dl>\
         <dt>Status</dt><dd><span class=\"status {st}\">{st}</span> {reason}</dd>\
         <dt>Digest</dt><dd><code>{digest}</code></dd><dt>Age</dt><dd>{age}</dd>\
         <dt>Base</dt><dd>{base} ({source})</dd><dt>Built on</dt><dd><code>{built}</code></dd>\
         <dt>Base now</dt><dd><code>{now_d}</code></dd><dt>Last check</dt><dd>{checked}</dd>\
         <dt>Last error</dt><dd>{err}</dd></dl>",
        r = esc(&row.reference),
        st = esc(&row.status),
        reason = esc(&row.status_reason),
        digest = esc(image.and_then(|s| s.image_digest.as_deref()).unwrap_or("–")),
        age = age(now, row.created_at),
        base = esc(row.base.as_deref().unwrap_or("unknown")),
        source = esc(row.base_source.as_deref().unwrap_or("–")),
        built = esc(row.built_on.as_deref().unwrap_or("–")),
        now_d = esc(base.and_then(|s| s.image_digest.as_deref()).unwrap_or("–")),
        checked = esc(&ago(now, image.and_then(|s| s.checked_at))),
        err = esc(image
            .and_then(|s| s.error.as_deref())
            .or(base.and_then(|s| s.error.as_deref()))
            .unwrap_or("none")),
    );
    body.push_str("<h2>Findings</h2>");
    let f = findings(row);
    if f.is_empty() {
        body.push_str("<p>None.</p>");
    } else {
        body.push_str("<table><thead><tr><th>Code</th><th>Finding</th></tr></thead><tbody>");
        for x in &f {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(x["code"].as_str().unwrap_or("")),
                esc(x["message"].as_str().unwrap_or(""))
            );
        }
        body.push_str("</tbody></table>");
    }
    let fx = fixes(row);
    if let Some(list) = fx.as_array().filter(|l| !l.is_empty()) {
        body.push_str("<h2>Pending security fixes</h2><table><thead><tr><th>Package</th><th>Installed</th><th>Fixed</th><th>Advisories</th></tr></thead><tbody>");
        for f in list {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(f["package"].as_str().unwrap_or("")),
                esc(f["installed"].as_str().unwrap_or("")),
                esc(f["fixed"].as_str().unwrap_or("")),
                esc(&f["advisories"]
                    .as_array()
                    .map(|a| a
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()),
            );
        }
        body.push_str("</tbody></table>");
    }
    body.push_str("<h2>History</h2>");
    body.push_str(&events_table(&events, now));
    page(&row.reference, &body).into_response()
}

fn events_table(events: &[EventRow], now: i64) -> String {
    if events.is_empty() {
        return "<p>No events yet.</p>".into();
    }
    let mut t = String::from(
        "<table><thead><tr><th>When</th><th>Kind</th><th>What changed</th><th>Digests</th></tr></thead><tbody>",
    );
    for e in events {
        let payload = event_json(e);
        let _ = write!(
            t,
            "<tr><td title=\"{at}\">{ago}</td><td>{kind}</td><td>{summary}</td><td><code>{old} → {new}</code></td></tr>",
            at = esc(&rfc3339(e.at)),
            ago = esc(&ago(now, Some(e.at))),
            kind = esc(&e.kind),
            summary = esc(payload["summary"].as_str().unwrap_or("")),
            old = esc(&short(e.old_digest.as_deref())),
            new = esc(&short(e.new_digest.as_deref())),
        );
    }
    t.push_str("</tbody></table>");
    t
}

async fn page_events(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if !dashboard_allowed(&s, &headers) {
        return unauthorized(true);
    }
    match s.store.events(None, 500).await {
        Ok(events) => page(
            "Events",
            &format!("<h1>Event log</h1>{}", events_table(&events, now_ms())),
        )
        .into_response(),
        Err(e) => internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_auth() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(decode_base64("dTpzM2NyZXQ=").as_deref(), Some("u:s3cret"));
        let mut h = HeaderMap::new();
        assert!(!authorized(&h, Some("s3cret")));
        h.insert(header::AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        assert!(authorized(&h, Some("s3cret")));
        h.insert(header::AUTHORIZATION, "Bearer s3creT".parse().unwrap());
        assert!(!authorized(&h, Some("s3cret")));
        h.insert(header::AUTHORIZATION, "Basic dTpzM2NyZXQ=".parse().unwrap());
        assert!(authorized(&h, Some("s3cret")));
    }
}
