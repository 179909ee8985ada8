//! The registry on its own: custom config (notifications) and plain HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use drydock_rig::{NotificationEndpoint, Registry, RegistryConfig, http};
use sha2::{Digest, Sha256};

#[test]
fn notifications_reach_a_loopback_endpoint() {
    // A one-shot event sink.
    let sink = TcpListener::bind("127.0.0.1:0").unwrap();
    let sink_addr = sink.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in sink.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let (mut len, mut auth, mut line) = (0usize, String::new(), String::new());
            while r.read_line(&mut line).unwrap_or(0) > 0 && line.trim() != "" {
                let l = line.to_ascii_lowercase();
                if let Some(v) = l.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if l.starts_with("authorization:") {
                    auth = line.trim().to_owned();
                }
                line.clear();
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = tx.send((auth, String::from_utf8_lossy(&body).into_owned()));
        }
    });

    let cfg = RegistryConfig::new().notify(
        NotificationEndpoint::new("test", format!("http://{sink_addr}/events"))
            .header("Authorization", "Bearer rig-token"),
    );
    let registry = Registry::start_with(&cfg).expect("registry with notifications");
    let cfg_text = std::fs::read_to_string(registry.dir().join("config-0.yml")).unwrap();
    assert!(cfg_text.contains("notifications:"), "{cfg_text}");

    // Blob upload (POST, then PUT with the digest) triggers a "push" event.
    let blob = b"drydock-rig blob";
    let digest = format!(
        "sha256:{}",
        Sha256::digest(blob)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let r = http::request(
        registry.addr(),
        "POST",
        "/v2/rig/test/blobs/uploads/",
        &[],
        &[],
    )
    .unwrap();
    assert_eq!(r.status, 202, "{}", r.text());
    let location = r.header("location").unwrap();
    let path = location.find("/v2/").map(|i| &location[i..]).unwrap();
    let sep = if path.contains('?') { '&' } else { '?' };
    let r = http::request(
        registry.addr(),
        "PUT",
        &format!("{path}{sep}digest={digest}"),
        &[("Content-Type", "application/octet-stream")],
        blob,
    )
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    let r = http::request(
        registry.addr(),
        "HEAD",
        &format!("/v2/rig/test/blobs/{digest}"),
        &[],
        &[],
    )
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("docker-content-digest"), Some(digest.as_str()));

    let (auth, event) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("no notification arrived");
    assert_eq!(auth, "Authorization: Bearer rig-token");
    assert!(
        event.contains("\"action\": \"push\"") || event.contains("\"action\":\"push\""),
        "{event}"
    );
    assert!(event.contains(&digest), "{event}");
    assert!(event.contains("rig/test"), "{event}");
}

#[test]
fn missing_binaries_name_their_package() {
    let e =
        drydock_rig::proc::require("/nonexistent/docker-registry", "docker-registry").unwrap_err();
    assert_eq!(
        e.to_string(),
        "docker-registry not found at /nonexistent/docker-registry: apt-get install docker-registry \
         (or run .ci/install-deps)"
    );
}
