//! Polling against a scripted registry (wiremock) for what a real registry
//! will not do on demand: 429 with Retry-After, 5xx, slow replies, going
//! away — and for counting requests. Real-registry behaviour is covered by
//! crates/drydock/tests/watch.rs.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use drydock_config::Config;
use drydock_watch::metrics::Metrics;
use drydock_watch::store::Store;
use drydock_watch::watcher::{BASE_NAME_LABEL, client_config};
use drydock_watch::{WatchConfig, Watcher};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// An image manifest with a config blob; returns (manifest, config).
fn image(labels: serde_json::Value, salt: &str) -> (Vec<u8>, Vec<u8>) {
    let config = json!({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": { "Labels": labels, "Env": [format!("SALT={salt}")] },
        "rootfs": { "type": "layers", "diff_ids": [] }
    })
    .to_string()
    .into_bytes();
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(&config), "size": config.len() },
        "layers": []
    })
    .to_string()
    .into_bytes();
    (manifest, config)
}

/// Serves `tag` of `repo` as `manifest` (by tag and by digest) plus `blobs`.
async fn serve(
    server: &MockServer,
    repo: &str,
    tag: &str,
    media_type: &str,
    manifest: &[u8],
    blobs: &[&[u8]],
) {
    let d = digest(manifest);
    for reference in [tag.to_owned(), d.clone()] {
        let p = format!("/v2/{repo}/manifests/{reference}");
        let ok = ResponseTemplate::new(200)
            .insert_header("Content-Type", media_type)
            .insert_header("Docker-Content-Digest", d.as_str());
        Mock::given(method("HEAD"))
            .and(path(p.clone()))
            .respond_with(ok.clone())
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ok.set_body_raw(manifest.to_vec(), media_type))
            .mount(server)
            .await;
    }
    for b in blobs {
        Mock::given(method("GET"))
            .and(path(format!("/v2/{repo}/blobs/{}", digest(b))))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(b.to_vec(), "application/octet-stream"),
            )
            .mount(server)
            .await;
    }
}

struct Setup {
    watcher: Watcher,
    store: Store,
    host: String,
    _dir: tempfile::TempDir,
}

async fn setup(server: &MockServer, timeout: Duration) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let host = server.address().to_string();
    let text = format!(
        "[watch]\ndatabase = \"sqlite://{}?mode=rwc\"\nconcurrency = 4\n[[watch.image]]\nname = \"{host}/team/app:1\"\n",
        dir.path().join("w.db").display()
    );
    let config = Config::parse(Path::new("drydock.toml"), text).unwrap();
    let config = Arc::new(WatchConfig::from_config(&config, |_| None).unwrap());
    let store = Store::open(&config.database).await.unwrap();
    let mut client = client_config(&config);
    client.credentials = drydock_registry::Credentials::Anonymous;
    client.request_timeout = timeout;
    client.read_timeout = timeout;
    client.initial_backoff = Duration::from_millis(50);
    let watcher = Watcher::new(
        config,
        store.clone(),
        client,
        None,
        Arc::new(Metrics::default()),
        Arc::new(Notify::new()),
    )
    .unwrap();
    Setup {
        watcher,
        store,
        host,
        _dir: dir,
    }
}

/// App (labelled with its base) and base, both plain image manifests.
async fn serve_fleet(server: &MockServer, host: &str, base_salt: &str) {
    let (app, app_config) = image(
        json!({ BASE_NAME_LABEL: format!("{host}/team/base:1") }),
        "app",
    );
    serve(server, "team/app", "1", OCI_MANIFEST, &app, &[&app_config]).await;
    let (base, base_config) = image(json!({}), base_salt);
    serve(
        server,
        "team/base",
        "1",
        OCI_MANIFEST,
        &base,
        &[&base_config],
    )
    .await;
}

async fn status(store: &Store) -> (String, String) {
    let rows = store.images().await.unwrap();
    (rows[0].status.clone(), rows[0].status_reason.clone())
}

#[tokio::test]
async fn unchanged_references_cost_one_head_each_and_a_moved_base_makes_the_image_stale() {
    let server = MockServer::builder().start().await;
    let s = setup(&server, Duration::from_secs(5)).await;
    serve_fleet(&server, &s.host, "v1").await;

    let first = s.watcher.poll(None).await.unwrap();
    assert_eq!(
        (first.checked, first.failed, first.events),
        (2, 0, 0),
        "{first:?}"
    );
    assert_eq!(status(&s.store).await.0, "fresh");
    let rows = s.store.images().await.unwrap();
    assert_eq!(
        rows[0].base.as_deref(),
        Some(format!("{}/team/base:1", s.host).as_str())
    );
    assert_eq!(rows[0].base_source.as_deref(), Some("label"));

    server.reset().await;
    serve_fleet(&server, &s.host, "v1").await;
    let second = s.watcher.poll(None).await.unwrap();
    assert_eq!((second.checked, second.changed, second.events), (2, 0, 0));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests.iter().all(|r| r.method.as_str() == "HEAD"));

    server.reset().await;
    serve_fleet(&server, &s.host, "v2").await;
    let third = s.watcher.poll(None).await.unwrap();
    assert_eq!((third.changed, third.events), (1, 1), "{third:?}");
    let (st, reason) = status(&s.store).await;
    assert_eq!(st, "stale");
    assert!(reason.contains("team/base:1 moved"), "{reason}");
    let events = s.store.events(None, 10).await.unwrap();
    assert_eq!(events[0].kind, "base-updated");
    let payload: serde_json::Value = serde_json::from_str(&events[0].payload).unwrap();
    assert_eq!(
        payload["images"][0]["reference"],
        format!("{}/team/app:1", s.host)
    );
}

#[tokio::test]
async fn another_platform_moving_in_an_index_is_not_an_update() {
    let server = MockServer::builder().start().await;
    let s = setup(&server, Duration::from_secs(5)).await;
    let (app, app_config) = image(
        json!({ BASE_NAME_LABEL: format!("{}/team/base:1", s.host) }),
        "app",
    );
    let (amd64, amd64_config) = image(json!({}), "amd64");
    let serve_index = |arm_salt: &'static str| {
        let (app, app_config, amd64, amd64_config) = (
            app.clone(),
            app_config.clone(),
            amd64.clone(),
            amd64_config.clone(),
        );
        let server = &server;
        async move {
            let (arm, _) = image(json!({}), arm_salt);
            let index = json!({
                "schemaVersion": 2, "mediaType": OCI_INDEX,
                "manifests": [
                    { "mediaType": OCI_MANIFEST, "digest": digest(&arm), "size": arm.len(), "platform": { "os": "linux", "architecture": "arm64" } },
                    { "mediaType": OCI_MANIFEST, "digest": digest(&amd64), "size": amd64.len(), "platform": { "os": "linux", "architecture": "amd64" } }
                ]
            })
            .to_string()
            .into_bytes();
            server.reset().await;
            serve(server, "team/app", "1", OCI_MANIFEST, &app, &[&app_config]).await;
            serve(server, "team/base", "1", OCI_INDEX, &index, &[]).await;
            serve(
                server,
                "team/base",
                &digest(&amd64),
                OCI_MANIFEST,
                &amd64,
                &[&amd64_config],
            )
            .await;
        }
    };
    serve_index("arm-1").await;
    s.watcher.poll(None).await.unwrap();
    serve_index("arm-2").await;
    let r = s.watcher.poll(None).await.unwrap();
    assert_eq!((r.changed, r.events, r.failed), (0, 0, 0), "{r:?}");
    assert_eq!(status(&s.store).await.0, "fresh");
}

#[tokio::test]
async fn rate_limit_with_retry_after_is_waited_out() {
    let server = MockServer::builder().start().await;
    let s = setup(&server, Duration::from_secs(5)).await;
    Mock::given(method("HEAD"))
        .and(path("/v2/team/app/manifests/1"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    serve_fleet(&server, &s.host, "v1").await;
    let started = std::time::Instant::now();
    let r = s.watcher.poll(None).await.unwrap();
    assert_eq!(r.failed, 0, "{r:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert_eq!(status(&s.store).await.0, "fresh");
}

/// After a good cycle, a fault must be reported (status `error`, the error
/// kept) without moving any digest or recording an update.
async fn fault_is_reported_not_an_update(fault: ResponseTemplate, timeout: Duration) {
    let server = MockServer::builder().start().await;
    let s = setup(&server, timeout).await;
    serve_fleet(&server, &s.host, "v1").await;
    s.watcher.poll(None).await.unwrap();
    let before = s.store.refs().await.unwrap();

    server.reset().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(fault)
        .mount(&server)
        .await;
    let r = s.watcher.poll(None).await.unwrap();
    assert_eq!((r.failed, r.changed, r.events), (2, 0, 0), "{r:?}");
    let after = s.store.refs().await.unwrap();
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.image_digest, a.image_digest);
        assert!(a.error.is_some());
    }
    let (st, reason) = status(&s.store).await;
    assert_eq!(st, "error", "{reason}");
    assert!(s.store.events(None, 10).await.unwrap().is_empty());

    // Recovery clears the error.
    server.reset().await;
    serve_fleet(&server, &s.host, "v1").await;
    let r = s.watcher.poll(None).await.unwrap();
    assert_eq!((r.failed, r.events), (0, 0));
    assert_eq!(status(&s.store).await.0, "fresh");
}

#[tokio::test]
async fn server_errors_are_reported() {
    fault_is_reported_not_an_update(ResponseTemplate::new(503), Duration::from_secs(5)).await;
}

#[tokio::test]
async fn endless_rate_limiting_is_reported() {
    fault_is_reported_not_an_update(
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
        Duration::from_secs(5),
    )
    .await;
}

#[tokio::test]
async fn slow_replies_time_out_and_are_reported() {
    fault_is_reported_not_an_update(
        ResponseTemplate::new(200).set_delay(Duration::from_secs(3)),
        Duration::from_millis(300),
    )
    .await;
}

#[tokio::test]
async fn a_stopped_registry_is_reported() {
    let server = MockServer::builder().start().await;
    let s = setup(&server, Duration::from_secs(2)).await;
    serve_fleet(&server, &s.host, "v1").await;
    s.watcher.poll(None).await.unwrap();
    drop(server);
    let r = s.watcher.poll(None).await.unwrap();
    assert_eq!((r.failed, r.events), (2, 0), "{r:?}");
    let (st, reason) = status(&s.store).await;
    assert_eq!(st, "error");
    assert!(reason.contains("last check failed"), "{reason}");
}
