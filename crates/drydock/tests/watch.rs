//! `drydock watch` end to end, with real components: the rig's registry
//! (sending push notifications to drydock), images built and pushed by the
//! rig's dockerd, drydock run as a process (and killed with SIGKILL), a
//! webhook receiver, and the dashboard rendered by headless Chromium.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use drydock_rig::registry::free_port;
use drydock_rig::{
    BuildInput, BuildOpts, DebPackage, NotificationEndpoint, RegistryConfig, Rig, http,
};
use serde_json::Value;

const REGISTRY_TOKEN: &str = "registry-sends-this";
const API_TOKEN: &str = "api-token-for-tests";
const HOOK_SECRET: &str = "hmac-secret-for-tests";

/// The port the registry sends notifications to (the notification test's drydock listens there).
fn hook_addr() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| free_port().unwrap())
}

fn rig() -> &'static Rig {
    static RIG: OnceLock<Rig> = OnceLock::new();
    RIG.get_or_init(|| {
        let endpoint =
            NotificationEndpoint::new("drydock", format!("http://{}/hooks/registry", hook_addr()))
                .header("Authorization", format!("Bearer {REGISTRY_TOKEN}"));
        Rig::builder()
            .registry_config(RegistryConfig::new().notify(endpoint))
            .start()
            .expect("rig with registry notifications")
    })
}

/// Pushes a base image as `<ns>/base:1`; `rev` makes a new digest.
fn push_base(ns: &str, rev: &str) -> String {
    let rig = rig();
    let root = rig.base_image().unwrap();
    let tag = rig.image_ref(&format!("{ns}/base"), "1");
    rig.build(
        &BuildInput::Dockerfile(format!("FROM {root}\nLABEL drydock.test.rev=\"{rev}\"\n")),
        &tag,
        &BuildOpts::default(),
    )
    .unwrap();
    rig.push(&tag).unwrap()
}

/// Builds and pushes `<ns>/app:1` on `<ns>/base:1`; returns its Dockerfile's directory.
fn push_app(ns: &str, dir: &Path) {
    let rig = rig();
    let base = rig.image_ref(&format!("{ns}/base"), "1");
    let dockerfile = format!("FROM {base}\nLABEL drydock.test.app=\"{ns}\"\nCMD [\"/bin/true\"]\n");
    std::fs::write(dir.join("Dockerfile"), &dockerfile).unwrap();
    let tag = rig.image_ref(&format!("{ns}/app"), "1");
    rig.build(
        &BuildInput::Dockerfile(dockerfile),
        &tag,
        &BuildOpts::default(),
    )
    .unwrap();
    rig.push(&tag).unwrap();
}

/// A `drydock watch` process, SIGKILLed on drop.
struct Service {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    fn start(dir: &Path, addr: SocketAddr) -> Service {
        let log = dir.join(format!("drydock-{}.log", addr.port()));
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_drydock"))
            .args(["watch", "--config"])
            .arg(dir.join("drydock.toml"))
            .arg("--listen")
            .arg(addr.to_string())
            .env("TEST_API_TOKEN", API_TOKEN)
            .env("TEST_REGISTRY_TOKEN", REGISTRY_TOKEN)
            .env("TEST_HOOK_SECRET", HOOK_SECRET)
            .env("DOCKER_CONFIG", dir.join("docker-config"))
            // Rebuild commands (`drydock build`) reach the rig's engine.
            .env("DOCKER_HOST", rig().docker_host())
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let s = Service { child, addr, log };
        s.wait_for("healthz", Duration::from_secs(30), |svc| {
            http::get(svc.addr, "/healthz", &[])
                .ok()
                .filter(|r| r.status == 200)
                .map(|_| ())
        });
        s
    }

    fn api(&self, path: &str) -> Value {
        let auth = format!("Bearer {API_TOKEN}");
        let r = http::get(self.addr, path, &[("Authorization", &auth)]).unwrap();
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        serde_json::from_slice(&r.body).unwrap()
    }

    fn image(&self, reference: &str) -> Value {
        let images = self.api("/api/v1/images");
        images["images"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["reference"] == reference)
            .cloned()
            .unwrap_or(Value::Null)
    }

    fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut f: impl FnMut(&Self) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = f(self) {
                return v;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; log:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_status(&self, reference: &str, status: &str, timeout: Duration) -> Value {
        self.wait_for(&format!("{reference} to be {status}"), timeout, |s| {
            let i = s.image(reference);
            (i["status"] == status).then_some(i)
        })
    }
}

fn write_config(dir: &Path, ns: &str, schedule: &str, extra: &str) -> String {
    let app = rig().image_ref(&format!("{ns}/app"), "1");
    std::fs::create_dir_all(dir.join("docker-config")).unwrap();
    std::fs::write(
        dir.join("drydock.toml"),
        format!(
            "[watch]\ndata-dir = \"state\"\nschedule = \"{schedule}\"\napi-token-env = \"TEST_API_TOKEN\"\n\
             registry-token-env = \"TEST_REGISTRY_TOKEN\"\npublic-dashboard = true\n{extra}\n\
             [[watch.image]]\nname = \"{app}\"\ndockerfile = \"Dockerfile\"\n"
        ),
    )
    .unwrap();
    app
}

/// A webhook receiver: every request's headers (lower-cased) and body.
struct Receiver {
    requests: mpsc::Receiver<(BTreeMap<String, String>, Vec<u8>)>,
}

impl Receiver {
    fn start(addr: SocketAddr) -> Receiver {
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
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                if tx.send((headers, body)).is_err() {
                    return;
                }
            }
        });
        Receiver { requests: rx }
    }

    fn next(&self, timeout: Duration) -> (BTreeMap<String, String>, Value) {
        let (h, body) = self
            .requests
            .recv_timeout(timeout)
            .expect("no webhook arrived");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let signature = h.get("drydock-signature").expect("signature header");
        assert!(
            drydock_watch::outbox::verify(HOOK_SECRET, signature, &body, now, 300),
            "bad signature {signature}"
        );
        assert!(!drydock_watch::outbox::verify(
            "wrong", signature, &body, now, 300
        ));
        (h, serde_json::from_slice(&body).unwrap())
    }
}

fn chromium(args: &[&str], url: &str) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1366,768",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium (apt-get install chromium)");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn a_pushed_base_is_recorded_within_2s_marks_its_images_stale_and_notifies() {
    let ns = "notified";
    let dir = tempfile::tempdir().unwrap();
    let receiver_addr = free_port().unwrap();
    let receiver = Receiver::start(receiver_addr);
    let old_base = push_base(ns, "1");
    push_app(ns, dir.path());
    // Polling once an hour: only the registry's notification can be fast.
    let app = write_config(
        dir.path(),
        ns,
        "0 0 * * * *",
        &format!(
            "[[watch.notify]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://{receiver_addr}/drydock\"\nsecret-env = \"TEST_HOOK_SECRET\"\n"
        ),
    );
    let svc = Service::start(dir.path(), hook_addr());
    let fresh = svc.wait_status(&app, "fresh", Duration::from_secs(30));
    assert_eq!(fresh["base"]["source"], "dockerfile");
    assert_eq!(fresh["base"]["current"], old_base);

    let new_base = push_base(ns, "2");
    let pushed = Instant::now();
    let stale = svc.wait_status(&app, "stale", Duration::from_secs(2));
    eprintln!("stale {:?} after the push", pushed.elapsed());
    assert_eq!(stale["base"]["current"], new_base);
    assert_eq!(stale["base"]["built_on"], old_base);
    assert!(
        stale["reason"].as_str().unwrap().contains("moved"),
        "{stale}"
    );

    let (headers, event) = receiver.next(Duration::from_secs(10));
    assert_eq!(event["kind"], "base-updated");
    assert_eq!(event["old_digest"], old_base);
    assert_eq!(event["new_digest"], new_base);
    assert_eq!(event["images"][0]["reference"], app.as_str());
    assert_eq!(headers["idempotency-key"], event["id"].as_str().unwrap());
    assert_eq!(headers["drydock-event"], "base-updated");

    // The API's other views agree.
    let findings = svc.api("/api/v1/findings");
    assert_eq!(findings["findings"][0]["code"], "DD601", "{findings}");
    let events = svc.api("/api/v1/events");
    assert_eq!(events["events"][0]["id"], event["id"]);
    let metrics = http::get(svc.addr, "/metrics", &[]).unwrap().text();
    assert!(
        metrics.contains("drydock_watch_images{status=\"stale\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("drydock_watch_registry_notifications_total"),
        "{metrics}"
    );
    // The API wants its token.
    assert_eq!(
        http::get(svc.addr, "/api/v1/images", &[]).unwrap().status,
        401
    );
    // A notification without the registry's token is refused.
    let r = http::request(
        svc.addr,
        "POST",
        "/hooks/registry",
        &[("Content-Type", "application/json")],
        b"{\"events\":[]}",
    )
    .unwrap();
    assert_eq!(r.status, 401);

    // The dashboard, rendered by a real browser; it needs no JavaScript because it has none.
    let url = format!("http://{}/", svc.addr);
    let served = http::get(svc.addr, "/", &[]).unwrap().text();
    assert!(!served.to_ascii_lowercase().contains("<script"), "{served}");
    let dom = String::from_utf8(chromium(&["--dump-dom"], &url).stdout).unwrap();
    let row = dom
        .split("<tr ")
        .find(|r| r.contains(&format!(">{app}<")))
        .unwrap_or_else(|| panic!("no row for {app} in\n{dom}"));
    assert!(row.contains("data-status=\"stale\""), "{row}");
    assert!(
        row.contains("<strong>yes</strong>"),
        "base moved column: {row}"
    );
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("watch-dashboard.png");
    let _ = std::fs::remove_file(&shot);
    chromium(&[&format!("--screenshot={}", shot.display())], &url);
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    println!("dashboard screenshot: {}", shot.display());
    let detail = String::from_utf8(
        chromium(
            &["--dump-dom"],
            &format!(
                "http://{}/image?reference={}",
                svc.addr,
                app.replace('/', "%2F").replace(':', "%3A")
            ),
        )
        .stdout,
    )
    .unwrap();
    assert!(
        detail.contains("base-updated") && detail.contains("DD601"),
        "{detail}"
    );
}

#[test]
fn without_notifications_polling_finds_a_moved_base_within_one_interval() {
    let ns = "polled";
    let dir = tempfile::tempdir().unwrap();
    push_base(ns, "1");
    push_app(ns, dir.path());
    let app = write_config(dir.path(), ns, "*/3 * * * * *", "");
    // Not the notification port: this service hears only what it polls.
    let svc = Service::start(dir.path(), free_port().unwrap());
    svc.wait_status(&app, "fresh", Duration::from_secs(30));
    let new_base = push_base(ns, "2");
    let pushed = Instant::now();
    // One interval (3 s), plus the cycle itself.
    let stale = svc.wait_status(&app, "stale", Duration::from_secs(5));
    eprintln!("polling noticed after {:?}", pushed.elapsed());
    assert_eq!(stale["base"]["current"], new_base);
    let notifications = http::get(svc.addr, "/metrics", &[]).unwrap().text();
    assert!(
        notifications.contains("drydock_watch_registry_notifications_total 0"),
        "{notifications}"
    );
}

#[test]
fn events_survive_kill_9_while_the_receiver_is_down() {
    let ns = "outbox";
    let dir = tempfile::tempdir().unwrap();
    let receiver_addr = free_port().unwrap(); // nothing listens yet
    push_base(ns, "1");
    push_app(ns, dir.path());
    let app = write_config(
        dir.path(),
        ns,
        "*/1 * * * * *",
        &format!(
            "[[watch.notify]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://{receiver_addr}/drydock\"\nsecret-env = \"TEST_HOOK_SECRET\"\n"
        ),
    );
    let svc = Service::start(dir.path(), free_port().unwrap());
    svc.wait_status(&app, "fresh", Duration::from_secs(30));
    push_base(ns, "2");
    svc.wait_status(&app, "stale", Duration::from_secs(5));
    let events = svc.api("/api/v1/events");
    let key = events["events"][0]["id"].as_str().unwrap().to_owned();
    // Delivery has been tried and failed at least once.
    svc.wait_for("a failed delivery", Duration::from_secs(10), |s| {
        let m = http::get(s.addr, "/metrics", &[]).unwrap().text();
        (!m.contains("drydock_watch_delivery_failures_total 0")
            && m.contains("drydock_watch_outbox_pending 1"))
        .then_some(())
    });
    let addr = svc.addr;
    let mut svc = svc;
    svc.child.kill().unwrap(); // SIGKILL
    svc.child.wait().unwrap();
    drop(svc);

    let receiver = Receiver::start(receiver_addr);
    let svc = Service::start(dir.path(), addr);
    let (headers, event) = receiver.next(Duration::from_secs(15));
    assert_eq!(headers["idempotency-key"], key);
    assert_eq!(event["id"], key.as_str());
    assert_eq!(event["kind"], "base-updated");
    svc.wait_for("an empty outbox", Duration::from_secs(10), |s| {
        (s.api("/api/v1/status")["outbox_pending"] == 0).then_some(())
    });
}

/// `drydock build` of `dir` pushed as `app`, the way the rebuild trigger below runs it.
fn drydock_build_argv(dir: &Path, app: &str) -> Vec<String> {
    [
        env!("CARGO_BIN_EXE_drydock"),
        "build",
        &dir.display().to_string(),
        "-t",
        app,
        "--network",
        "host",
        "--docker",
        "/usr/bin/docker",
        "--no-lint",
        "--push",
        "--cache-dir",
        &dir.join("drydock-cache").display().to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The loop twice: a moved base, then a published security fix. Each time watch triggers
/// `drydock build --push`, and the next poll reports the new image; the second time its event
/// names the package the rebuild fixed.
#[test]
fn the_loop_a_moved_base_rebuilds_pushes_and_reports_the_new_image() {
    const SECURITY_SUITE: &str = "loop-security";
    const KEYRING: &str = "/usr/share/keyrings/drydock-rig.gpg";
    let ns = "loop";
    let dir = tempfile::tempdir().unwrap();
    let receiver_addr = free_port().unwrap();
    let receiver = Receiver::start(receiver_addr);
    let rig = rig();
    let old_base = push_base(ns, "1");
    rig.apt()
        .publish_to(SECURITY_SUITE, &DebPackage::new("drydock-demo", "1.0-1"))
        .unwrap();
    std::fs::write(dir.path().join("drydock-rig.gpg"), rig.apt().public_key()).unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM {root} AS build\nRUN echo compiled > /out\nFROM {base}\n\
             COPY drydock-rig.gpg {KEYRING}\n\
             RUN rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* \
              && echo '{line}' > /etc/apt/sources.list.d/drydock.list\n\
             RUN apt-get update && apt-get install -y --no-install-recommends drydock-demo \
              && rm -rf /var/lib/apt/lists/*\n\
             COPY --from=build /out /app/out\nCMD [\"cat\", \"/app/out\"]\n",
            root = rig.base_image().unwrap(),
            base = rig.image_ref(&format!("{ns}/base"), "1"),
            line = rig.apt().signed_sources_line(SECURITY_SUITE, KEYRING),
        ),
    )
    .unwrap();
    let app = write_config(
        dir.path(),
        ns,
        "*/1 * * * * *",
        &format!(
            "security-schedule = \"* * * * * *\"\n\
             [[watch.notify]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://{receiver_addr}/drydock\"\nsecret-env = \"TEST_HOOK_SECRET\"\n"
        ),
    );
    let argv = drydock_build_argv(dir.path(), &app);
    let first = Command::new(&argv[0])
        .args(&argv[1..])
        .env("DOCKER_HOST", rig.docker_host())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "first build: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    // The image table is the file's last: its rebuild trigger, then the trigger itself.
    let mut config = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("drydock.toml"))
        .unwrap();
    writeln!(
        config,
        "rebuild = [\"drydock\"]\n\n[[watch.rebuild]]\nname = \"drydock\"\ncommand = {}",
        serde_json::to_string(&argv).unwrap()
    )
    .unwrap();
    drop(config);

    let svc = Service::start(dir.path(), free_port().unwrap());
    let fresh = svc.wait_status(&app, "fresh", Duration::from_secs(30));
    assert_eq!(fresh["base"]["built_on"], old_base);
    let first_digest = fresh["tag_digest"].as_str().unwrap().to_owned();

    let new_base = push_base(ns, "2");
    let (_, moved) = receiver.next(Duration::from_secs(30));
    assert_eq!(moved["kind"], "base-updated", "{moved}");
    assert_eq!(moved["new_digest"], new_base);
    // The trigger runs `drydock build --push`; the next poll sees the rebuilt image.
    let (_, rebuilt) = receiver.next(Duration::from_secs(240));
    assert_eq!(rebuilt["kind"], "image-updated", "{rebuilt}");
    assert_eq!(rebuilt["reference"], app.as_str());
    assert_eq!(rebuilt["old_digest"], first_digest.as_str());
    assert_ne!(rebuilt["new_digest"], first_digest.as_str());
    assert_eq!(
        rebuilt["fixed_packages"],
        serde_json::json!([]),
        "{rebuilt}"
    );
    let fresh = svc.wait_status(&app, "fresh", Duration::from_secs(30));
    assert_eq!(fresh["base"]["built_on"], new_base, "{fresh}");
    assert_eq!(fresh["tag_digest"], rebuilt["new_digest"]);

    // A security fix is published: watch notices, the trigger rebuilds only the apt step, and the
    // image's update names the package it fixed, with the versions.
    rig.apt()
        .publish_to(SECURITY_SUITE, &DebPackage::new("drydock-demo", "1.0-2"))
        .unwrap();
    let (_, published) = receiver.next(Duration::from_secs(60));
    assert_eq!(published["kind"], "security-updates", "{published}");
    assert_eq!(
        published["packages_with_fixes"][0]["package"],
        "drydock-demo"
    );
    let (_, fixed) = receiver.next(Duration::from_secs(240));
    assert_eq!(fixed["kind"], "image-updated", "{fixed}");
    assert_eq!(fixed["old_digest"], rebuilt["new_digest"]);
    let packages = &fixed["fixed_packages"];
    assert_eq!(packages.as_array().map(Vec::len), Some(1), "{fixed}");
    assert_eq!(packages[0]["package"], "drydock-demo", "{fixed}");
    assert_eq!(packages[0]["installed"], "1.0-1", "{fixed}");
    assert_eq!(packages[0]["fixed"], "1.0-2", "{fixed}");
    assert_eq!(
        fixed["packages_with_fixes"],
        serde_json::json!([]),
        "{fixed}"
    );
    let summary = fixed["summary"].as_str().unwrap();
    assert!(
        summary.contains("fixed: drydock-demo 1.0-1 → 1.0-2"),
        "{summary}"
    );
    let fresh = svc.wait_status(&app, "fresh", Duration::from_secs(30));
    assert_eq!(fresh["pending_fixes"], serde_json::json!([]), "{fresh}");
    // The dashboard's event list shows the same summary.
    let query = app.replace('/', "%2F").replace(':', "%3A");
    let page = http::get(svc.addr, &format!("/image?reference={query}"), &[])
        .unwrap()
        .text();
    assert!(
        page.contains("fixed: drydock-demo 1.0-1 → 1.0-2"),
        "no fixed package on the image page:\n{page}"
    );
}
