//! Benchmark: one polling cycle over N tracked references (default 1,000)
//! against a real local registry (Debian's docker-registry via drydock-rig).
//!
//! ```sh
//! cargo run --release -p drydock-watch --example bench_poll -- [N] [CONCURRENCY]
//! ```
//!
//! Pushes one small image under N tags (10 repositories), tracks every tag
//! with an explicit shared base, then times a cold cycle (HEAD + manifest +
//! config per image) and warm cycles (nothing changed: one HEAD per
//! reference), and a cycle after the base moved.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use drydock_config::Config;
use drydock_rig::{Registry, http};
use drydock_watch::metrics::Metrics;
use drydock_watch::store::Store;
use drydock_watch::watcher::client_config;
use drydock_watch::{WatchConfig, Watcher};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

fn digest(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

fn upload_blob(reg: &Registry, repo: &str, blob: &[u8]) {
    let d = digest(blob);
    let r = http::request(
        reg.addr(),
        "POST",
        &format!("/v2/{repo}/blobs/uploads/"),
        &[],
        &[],
    )
    .unwrap();
    assert_eq!(r.status, 202, "{}", r.text());
    let location = r.header("location").unwrap();
    let path = &location[location.find("/v2/").unwrap()..];
    let sep = if path.contains('?') { '&' } else { '?' };
    let r = http::request(
        reg.addr(),
        "PUT",
        &format!("{path}{sep}digest={d}"),
        &[("Content-Type", "application/octet-stream")],
        blob,
    )
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
}

/// Pushes an empty-layer image with `salt` in its config as `repo:tag`.
fn push_image(reg: &Registry, repo: &str, tag: &str, salt: &str) {
    let config = format!(
        "{{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-01T00:00:00Z\",\"config\":{{\"Env\":[\"SALT={salt}\"]}},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}}}}"
    );
    upload_blob(reg, repo, config.as_bytes());
    let manifest = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{}\",\"size\":{}}},\"layers\":[]}}",
        digest(config.as_bytes()),
        config.len()
    );
    let r = http::request(
        reg.addr(),
        "PUT",
        &format!("/v2/{repo}/manifests/{tag}"),
        &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
        manifest.as_bytes(),
    )
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let concurrency: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(64);
    let reg = Registry::start().expect("registry (apt-get install docker-registry)");
    let host = reg.host();
    let t = Instant::now();
    push_image(&reg, "bench/base", "1", "base-1");
    let mut images = String::new();
    for i in 0..n {
        let repo = format!("bench/app{}", i % 10);
        push_image(&reg, &repo, &format!("t{i}"), &format!("app-{i}"));
        images.push_str(&format!(
            "[[watch.image]]\nname = \"{host}/{repo}:t{i}\"\nbase = \"{host}/bench/base:1\"\n"
        ));
    }
    eprintln!("pushed {n} tags in {:.1?}", t.elapsed());

    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[watch]\ndatabase = \"sqlite://{}?mode=rwc\"\nconcurrency = {concurrency}\n{images}",
        dir.path().join("bench.db").display()
    );
    let config = Config::parse(Path::new("drydock.toml"), text).unwrap();
    let config = Arc::new(WatchConfig::from_config(&config, |_| None).unwrap());
    let store = Store::open(&config.database).await.unwrap();
    let mut client = client_config(&config);
    client.credentials = drydock_registry::Credentials::Anonymous;
    let watcher = Watcher::new(
        config,
        store.clone(),
        client,
        None,
        Arc::new(Metrics::default()),
        Arc::new(Notify::new()),
    )
    .unwrap();

    let timed = |label: &'static str| {
        let watcher = &watcher;
        async move {
            let t = Instant::now();
            let r = watcher.poll(None).await.unwrap();
            let e = t.elapsed();
            println!(
                "{label:<28} {:>6.3} s  checked {} changed {} failed {} events {}",
                e.as_secs_f64(),
                r.checked,
                r.changed,
                r.failed,
                r.events
            );
            assert_eq!(r.failed, 0);
            e
        }
    };
    println!(
        "{} references ({n} images + 1 base), concurrency {concurrency}",
        n + 1
    );
    timed("cold cycle (first sight)").await;
    let mut warm = Vec::new();
    for _ in 0..5 {
        warm.push(timed("warm cycle (nothing changed)").await);
    }
    push_image(&reg, "bench/base", "1", "base-2");
    timed("cycle after the base moved").await;
    warm.sort();
    println!(
        "warm cycle median: {:.3} s",
        warm[warm.len() / 2].as_secs_f64()
    );
    store.close().await;
}
