//! `drydock build` against the rig's real engine (BuildKit), registry and signed apt repository:
//! the freshness loop of a two-stage application.

use std::path::Path;

use assert_cmd::Command;
use drydock_rig::{BuildInput, BuildOpts, DebPackage, Rig};
use serde_json::Value;

/// The security suite the demo package is published in (apt's updates engine treats
/// `*-security` suites as security updates).
const SUITE: &str = "drydock-security";
const KEYRING: &str = "/etc/apt/keyrings/drydock.gpg";

fn drydock(docker_host: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("drydock")
        .unwrap()
        .env("DOCKER_HOST", docker_host)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn build_json(rig: &Rig, context: &Path, tag: &str) -> Value {
    let (code, stdout, stderr) = drydock(
        &rig.docker_host(),
        &[
            "--format",
            "json",
            "build",
            &context.display().to_string(),
            "-t",
            tag,
            "--network",
            "host",
            "--docker",
            "/usr/bin/docker",
            "--no-lint",
            "--push",
        ],
    );
    assert_eq!(code, 0, "drydock build failed:\n{stdout}\n{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn inspect(rig: &Rig, image: &str) -> Value {
    let out = rig
        .engine()
        .docker_ok(&["image", "inspect", image])
        .unwrap();
    serde_json::from_str::<Value>(&out.stdout).unwrap()[0].clone()
}

fn layers(rig: &Rig, image: &str) -> Vec<String> {
    inspect(rig, image)["RootFS"]["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect()
}

fn installed_demo(rig: &Rig, image: &str) -> String {
    let out = rig
        .run(
            image,
            &["dpkg-query", "-W", "-f", "${Version}", "drydock-demo"],
            &Default::default(),
        )
        .unwrap();
    out.stdout.trim().to_owned()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The runtime base: the rig's Debian base under another name, so that it can move on its own.
fn push_runtime_base(rig: &Rig, base: &str, reference: &str, revision: &str) -> String {
    let built = rig
        .build(
            &BuildInput::Dockerfile(format!(
                "FROM {base}\nRUN echo {revision} > /etc/runtime-revision\n"
            )),
            reference,
            &BuildOpts::default(),
        )
        .unwrap();
    assert!(!built.image_id.is_empty());
    rig.push(reference).unwrap()
}

#[test]
fn builds_only_what_upstream_changed_and_verifies_the_fix() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let runtime = rig.image_ref("drydock/runtime", "1");
    let first_runtime_digest = push_runtime_base(rig, &base, &runtime, "1");
    rig.apt()
        .publish_to(SUITE, &DebPackage::new("drydock-demo", "1.0-1"))
        .unwrap();

    let context = tempfile::tempdir().unwrap();
    std::fs::write(context.path().join("drydock.gpg"), rig.apt().public_key()).unwrap();
    std::fs::write(
        context.path().join("Dockerfile"),
        format!(
            "FROM {base} AS build\n\
             RUN echo compiled > /out\n\
             FROM {runtime}\n\
             COPY drydock.gpg {KEYRING}\n\
             RUN rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* \
              && echo '{line}' > /etc/apt/sources.list.d/drydock.list\n\
             RUN apt-get update && apt-get install -y --no-install-recommends drydock-demo \
              && rm -rf /var/lib/apt/lists/*\n\
             COPY --from=build /out /app/out\n\
             CMD [\"cat\", \"/app/out\"]\n",
            line = rig.apt().signed_sources_line(SUITE, KEYRING),
        ),
    )
    .unwrap();
    let tag = rig.image_ref("drydock/app", "1");

    // 1. First build: provenance labels and the record.
    let first = build_json(rig, context.path(), &tag);
    assert_eq!(first["plan"]["action"], "build");
    assert_eq!(first["plan"]["reasons"][0]["kind"], "first-build");
    let labels = &inspect(rig, &tag)["Config"]["Labels"];
    assert_eq!(
        labels["org.opencontainers.image.base.name"],
        runtime.as_str()
    );
    assert_eq!(
        labels["org.opencontainers.image.base.digest"],
        first_runtime_digest.as_str()
    );
    assert!(
        labels["io.drydock.build"]
            .as_str()
            .unwrap()
            .contains("\"context\"")
    );
    assert_eq!(installed_demo(rig, &tag), "1.0-1");
    let first_layers = layers(rig, &tag);

    // 2. Nothing changed upstream: no build.
    let fresh = build_json(rig, context.path(), &tag);
    assert_eq!(fresh["plan"]["action"], "fresh", "{fresh:#}");
    assert!(strings(&fresh["outcome"]["executed_steps"]).is_empty());
    assert_eq!(layers(rig, &tag), first_layers);

    // 3. A security fix is published: only the installing step (and what follows it) rebuilds.
    rig.apt()
        .publish_to(SUITE, &DebPackage::new("drydock-demo", "1.0-2"))
        .unwrap();
    let fixed = build_json(rig, context.path(), &tag);
    assert_eq!(fixed["plan"]["action"], "build", "{fixed:#}");
    let reason = fixed["plan"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "fixes")
        .unwrap_or_else(|| panic!("no fixes reason: {fixed:#}"));
    assert_eq!(reason["packages"][0]["name"], "drydock-demo");
    assert_eq!(reason["packages"][0]["fixed"], "1.0-2");
    assert_eq!(reason["line"], 6);
    let executed = strings(&fixed["outcome"]["executed_steps"]);
    let cached = strings(&fixed["outcome"]["cached_steps"]);
    assert!(
        executed.iter().any(|s| s.contains("apt-get install")),
        "{executed:?}"
    );
    assert!(
        cached.iter().any(|s| s.contains("echo compiled")),
        "compile stage cached: {cached:?}"
    );
    assert!(
        cached.iter().any(|s| s.contains("sources.list")),
        "steps before the fix cached: {cached:?}"
    );
    assert!(
        !executed.iter().any(|s| s.contains("echo compiled")),
        "{executed:?}"
    );
    assert_eq!(
        fixed["verified"][0]["still_pending"],
        Value::Null,
        "{fixed:#}"
    );
    assert_eq!(installed_demo(rig, &tag), "1.0-2");
    let fixed_layers = layers(rig, &tag);
    let kept = first_layers.len() - 2; // the install layer and the COPY after it change
    assert_eq!(
        fixed_layers[..kept],
        first_layers[..kept],
        "unchanged layers keep their digests"
    );
    assert_ne!(fixed_layers[kept], first_layers[kept]);

    // 4. Fresh again, and the refresh point is sticky: still no build.
    let again = build_json(rig, context.path(), &tag);
    assert_eq!(again["plan"]["action"], "fresh", "{again:#}");

    // 5. The runtime base moves: its stage rebuilds, the compile stage stays cached.
    let moved_digest = push_runtime_base(rig, &base, &runtime, "2");
    assert_ne!(moved_digest, first_runtime_digest);
    let moved = build_json(rig, context.path(), &tag);
    let reason = fixed_reason(&moved, "base-moved");
    assert_eq!(reason["from"], first_runtime_digest.as_str());
    assert_eq!(reason["to"], moved_digest.as_str());
    let cached = strings(&moved["outcome"]["cached_steps"]);
    assert!(
        cached.iter().any(|s| s.contains("echo compiled")),
        "{cached:?}"
    );
    let labels = &inspect(rig, &tag)["Config"]["Labels"];
    assert_eq!(
        labels["org.opencontainers.image.base.digest"],
        moved_digest.as_str()
    );
    assert_eq!(
        installed_demo(rig, &tag),
        "1.0-2",
        "the fix stays in after a base move"
    );
}

fn fixed_reason<'a>(build: &'a Value, kind: &str) -> &'a Value {
    build["plan"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} reason: {build:#}"))
}

#[test]
fn secret_build_arguments_and_lint_errors_stop_the_build_before_the_engine() {
    // No engine at all: both checks happen before drydock talks to one.
    let nowhere = "unix:///nonexistent/docker.sock";
    let context = tempfile::tempdir().unwrap();
    std::fs::write(
        context.path().join("Dockerfile"),
        "FROM 127.0.0.1:9/none:1\nARG NPM_TOKEN\nRUN echo build\n",
    )
    .unwrap();
    let dir = context.path().display().to_string();
    let secret = "npm_0123456789abcdefghijABCDEFGHIJ012345";
    let (code, stdout, stderr) = drydock(
        nowhere,
        &[
            "build",
            &dir,
            "-t",
            "x:1",
            "--no-lint",
            "--build-arg",
            &format!("NPM_TOKEN={secret}"),
        ],
    );
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("--mount=type=secret"), "{stderr}");
    assert!(!stderr.contains(secret) && !stdout.contains(secret));

    std::fs::write(
        context.path().join("Dockerfile"),
        "FROM 127.0.0.1:9/none:1\nENV DB_PASSWORD=Zq3vT8wLmN2pR7sK9xY4\n",
    )
    .unwrap();
    let (code, _, stderr) = drydock(nowhere, &["build", &dir, "-t", "x:1"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("not building"), "{stderr}");
    assert!(!stderr.contains("Zq3vT8wLmN2pR7sK9xY4"), "{stderr}");
}
