//! `drydock watch` re-evaluates pending security updates with drydock's updates engine: an
//! image built from the rig's signed apt repository with `drydock-demo 1.0-1` is fresh until
//! `1.0-2` is published to the security suite; then the security schedule marks it stale naming
//! the package, a signed event lists the package and its fixed version, and the dashboard shows
//! the count. When the engine cannot reach the package sources, the image shows an error, not 0.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use drydock_rig::registry::free_port;
use drydock_rig::{BuildInput, BuildOpts, DebPackage, Rig, http};
use serde_json::Value;

const SUITE: &str = "watch-test";
const SECURITY_SUITE: &str = "watch-test-security";
const KEYRING: &str = "/usr/share/keyrings/drydock-rig.gpg";
const API_TOKEN: &str = "api-token-for-tests";
const HOOK_SECRET: &str = "hmac-secret-for-tests";

/// Builds and pushes an image with `drydock-demo 1.0-1` from the rig's repository only.
fn push_app(rig: &Rig, dir: &Path, repo: &str) -> String {
    let apt = rig.apt();
    apt.publish_to(SUITE, &DebPackage::new("drydock-demo", "1.0-1"))
        .unwrap();
    apt.regenerate(SECURITY_SUITE).unwrap();
    let context = dir.join("context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(context.join("drydock-rig.gpg"), apt.public_key()).unwrap();
    let dockerfile = format!(
        "FROM {base}\n\
         COPY drydock-rig.gpg {KEYRING}\n\
         RUN rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* \
          && echo '{line}' > /etc/apt/sources.list.d/drydock.list \
          && echo '{security_line}' >> /etc/apt/sources.list.d/drydock.list \
          && apt-get update \
          && apt-get install -y --no-install-recommends drydock-demo=1.0-1 \
          && rm -rf /var/lib/apt/lists/*\n",
        base = rig.base_image().unwrap(),
        line = apt.signed_sources_line(SUITE, KEYRING),
        security_line = apt.signed_sources_line(SECURITY_SUITE, KEYRING),
    );
    let reference = rig.image_ref(repo, "1");
    let opts = BuildOpts {
        network_host: true,
        ..BuildOpts::default()
    };
    rig.build(
        &BuildInput::DirWithDockerfile(context, dockerfile),
        &reference,
        &opts,
    )
    .unwrap();
    rig.push(&reference).unwrap();
    reference
}

/// A `drydock watch` process, SIGKILLed on drop.
struct Service {
    child: Child,
    addr: SocketAddr,
    log: std::path::PathBuf,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    /// Starts watch on `app` with the security schedule every second and `extra` config lines.
    fn start(dir: &Path, app: &str, extra: &str) -> Service {
        std::fs::create_dir_all(dir.join("docker-config")).unwrap();
        std::fs::write(
            dir.join("drydock.toml"),
            format!(
                "[watch]\ndata-dir = \"state\"\nschedule = \"0 0 * * * *\"\n\
                 security-schedule = \"* * * * * *\"\napi-token-env = \"TEST_API_TOKEN\"\n\
                 public-dashboard = true\n{extra}\n\
                 [watch.policy]\nfail-on-security-updates = true\n\
                 [[watch.image]]\nname = \"{app}\"\n"
            ),
        )
        .unwrap();
        let addr = free_port().unwrap();
        let log = dir.join("drydock.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_drydock"))
            .args(["watch", "--config"])
            .arg(dir.join("drydock.toml"))
            .arg("--listen")
            .arg(addr.to_string())
            .env("TEST_API_TOKEN", API_TOKEN)
            .env("TEST_HOOK_SECRET", HOOK_SECRET)
            .env("DOCKER_CONFIG", dir.join("docker-config"))
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        Service { child, addr, log }
    }

    fn image(&self, reference: &str) -> Value {
        let auth = format!("Bearer {API_TOKEN}");
        let Ok(r) = http::get(self.addr, "/api/v1/images", &[("Authorization", &auth)]) else {
            return Value::Null;
        };
        let images: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        images["images"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["reference"] == reference).cloned())
            .unwrap_or(Value::Null)
    }

    fn wait_status(&self, reference: &str, status: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let i = self.image(reference);
            if i["status"] == status {
                return i;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {reference} to be {status} (now {i}); log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A webhook receiver: each request's headers (lower-cased) and body.
fn receiver(addr: SocketAddr) -> mpsc::Receiver<(BTreeMap<String, String>, Vec<u8>)> {
    let listener = TcpListener::bind(addr).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let mut headers = BTreeMap::new();
            let mut line = String::new();
            let _ = r.read_line(&mut line);
            line.clear();
            while r.read_line(&mut line).unwrap_or(0) > 0 && !line.trim().is_empty() {
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                }
                line.clear();
            }
            let len = headers
                .get("content-length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_err() {
                continue;
            }
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            if tx.send((headers, body)).is_err() {
                return;
            }
        }
    });
    rx
}

#[test]
fn published_security_fix_makes_the_image_stale_and_is_notified() {
    let rig = Rig::shared();
    let dir = tempfile::tempdir().unwrap();
    let app = push_app(rig, dir.path(), "watchsec/fixed");
    let receiver_addr = free_port().unwrap();
    let requests = receiver(receiver_addr);
    let svc = Service::start(
        dir.path(),
        &app,
        &format!(
            "[[watch.notify]]\nname = \"hook\"\nkind = \"webhook\"\n\
             url = \"http://{receiver_addr}/drydock\"\nsecret-env = \"TEST_HOOK_SECRET\"\n"
        ),
    );
    let fresh = svc.wait_status(&app, "fresh", Duration::from_secs(60));
    assert_eq!(fresh["pending_fixes"], serde_json::json!([]), "{fresh}");

    rig.apt()
        .publish_to(SECURITY_SUITE, &DebPackage::new("drydock-demo", "1.0-2"))
        .unwrap();
    let stale = svc.wait_status(&app, "stale", Duration::from_secs(30));
    let reason = stale["reason"].as_str().unwrap();
    assert!(
        reason.contains("drydock-demo 1.0-1 → 1.0-2"),
        "reason: {reason}"
    );
    assert_eq!(stale["pending_fixes"][0]["package"], "drydock-demo");
    assert_eq!(stale["pending_fixes"][0]["fixed"], "1.0-2");

    let (headers, body) = requests
        .recv_timeout(Duration::from_secs(30))
        .expect("no webhook arrived");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(drydock_watch::outbox::verify(
        HOOK_SECRET,
        &headers["drydock-signature"],
        &body,
        now,
        300
    ));
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["kind"], "security-updates", "{event}");
    let fixes = &event["packages_with_fixes"];
    assert_eq!(fixes[0]["package"], "drydock-demo", "{event}");
    assert_eq!(fixes[0]["installed"], "1.0-1", "{event}");
    assert_eq!(fixes[0]["fixed"], "1.0-2", "{event}");
    assert_eq!(event["images"][0]["reference"], app.as_str());

    // The dashboard's fleet overview counts the pending fix.
    let page = http::get(svc.addr, "/", &[]).unwrap().text();
    let row = page
        .split("<tr ")
        .find(|r| r.contains(&format!(">{app}<")))
        .unwrap_or_else(|| panic!("no row for {app} in\n{page}"));
    assert!(row.contains("data-status=\"stale\""), "{row}");
    assert!(row.contains("<td>1</td>"), "security fixes column: {row}");
}

#[test]
fn an_unreachable_package_source_is_an_error_not_zero_fixes() {
    let rig = Rig::shared();
    let dir = tempfile::tempdir().unwrap();
    let app = push_app(rig, dir.path(), "watchsec/unreachable");
    let closed = free_port().unwrap();
    let svc = Service::start(
        dir.path(),
        &app,
        &format!("mirrors = [\"http://{closed}\"]\n"),
    );
    let error = svc.wait_status(&app, "error", Duration::from_secs(60));
    let reason = error["reason"].as_str().unwrap();
    assert!(reason.contains("pending security updates"), "{reason}");
}
