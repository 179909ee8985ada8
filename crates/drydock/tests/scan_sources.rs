//! One image, four ways in: `drydock scan` must report the same findings for the image a real
//! dockerd built whether it reads the `docker save` archive, an OCI layout, the rig's registry
//! (gzip layers pushed by the engine) or the engine itself (`docker:NAME`). The image plants
//! something for most scan rules (secrets in deleted and present files, config and history,
//! setuid, an empty password, duplicate ids, build tools from the rig's apt repository, a
//! sensitive volume, package lists, bytes deleted later) so that every check runs on every
//! source. Fake secrets are assembled at run time; none is committed whole.

use std::path::Path;

use assert_cmd::Command;
use drydock_rig::apt::DebPackage;
use drydock_rig::{BuildInput, BuildOpts, Rig};
use serde_json::Value;

const APT_OPTS: &str = "-o Dir::Etc::SourceList=/etc/apt/sources.list.d/drydock.list \
                        -o Dir::Etc::SourceParts=- -o APT::Get::List-Cleanup=0";
/// The rig apt suite holding this test's fake toolchain packages.
const SUITE: &str = "scan-sources";

fn private_key() -> String {
    let kind = ["OPENSSH", "PRIVATE", "KEY"].join(" ");
    let body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBx7Kq2Lm9Np4Rs8Tv1Wy5Za3Bc6De0Fg2Hj4Kl7Mn3QAAAAJhQ2rS5tU8v\n";
    format!("-----BEGIN {kind}-----\n{body}-----END {kind}-----\n")
}

fn aws_credentials() -> String {
    let id = format!("{}{}", "AKIA", "T7RWX5NB2KD4MQ3Z");
    let secret = format!("{}{}", "mZ0pYc3HsF7g", "E5uA2oR9iNkW8r2Jd9XqL4pT1nB6");
    format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n")
}

fn github_token() -> String {
    format!("{}_{}", "ghp", "Lk4Hx7Cv2Bm9Jd6Fs3Gp0Ya5Ue8Zr5Tn8Wq1")
}

fn password() -> String {
    format!("{}{}", "st4ple-b4ttery", "-horse-c0rrect")
}

/// Builds the planted image as `tag` (a name in the rig's registry).
fn build_planted_image(rig: &Rig, tag: &str, ctx: &Path) {
    let base = rig.base_image().unwrap();
    std::fs::create_dir_all(ctx).unwrap();
    std::fs::write(ctx.join("deploy_key"), private_key()).unwrap();
    std::fs::write(ctx.join("credentials"), aws_credentials()).unwrap();
    // A compiler and a -dev package, as dpkg records them.
    for pkg in [
        DebPackage::new("gcc-12", "12.2.0-14").file("/usr/bin/gcc-12", "#!/bin/sh\n"),
        DebPackage::new("libdemo-dev", "1.0-1").file("/usr/include/demo.h", "int demo(void);\n"),
    ] {
        rig.apt().publish_to(SUITE, &pkg).unwrap();
    }
    let dockerfile = format!(
        "FROM {base}\n\
         COPY deploy_key /root/.ssh/id_rsa\n\
         COPY credentials /app/.aws/credentials\n\
         RUN rm -f /root/.ssh/id_rsa \
          && head -c 3000000 /dev/urandom > /app/scratch.bin \
          && cp /bin/true /usr/local/bin/helper && chmod u+s /usr/local/bin/helper \
          && sed -i 's/^nobody:[^:]*:/nobody::/' /etc/shadow\n\
         RUN rm /app/scratch.bin\n\
         ARG GH_TOKEN\n\
         RUN test -n \"$GH_TOKEN\" && echo ok > /app/fetched\n\
         RUN echo '{line}' > /etc/apt/sources.list.d/drydock.list \
          && apt-get {APT_OPTS} update \
          && apt-get {APT_OPTS} install -y --no-install-recommends gcc-12 libdemo-dev \
          && mkdir -p /usr/local/go/bin && printf '#!/bin/sh\\n' > /usr/local/go/bin/go \
          && chmod 755 /usr/local/go/bin/go\n\
         RUN echo 'toor:x:0:0:root:/root:/bin/sh' >> /etc/passwd \
          && echo 'admins:x:0:' >> /etc/group\n\
         ENV DB_PASSWORD={pw}\n\
         EXPOSE 22\n\
         VOLUME /root/.ssh\n\
         CMD [\"/bin/true\"]\n",
        line = rig.apt().sources_line(SUITE),
        pw = password()
    );
    rig.build(
        &BuildInput::DirWithDockerfile(ctx.to_owned(), dockerfile),
        tag,
        &BuildOpts {
            build_args: vec![("GH_TOKEN".into(), github_token())],
            network_host: true,
            ..BuildOpts::default()
        },
    )
    .unwrap();
}

/// `drydock --format json scan TARGET` with the rig's engine as DOCKER_HOST and no registry
/// credentials: exit code and the JSON document.
fn scan_json(rig: &Rig, target: &str, docker_config: &Path) -> (i32, Value) {
    let out = Command::cargo_bin("drydock")
        .unwrap()
        .env("DOCKER_HOST", rig.docker_host())
        .env("DOCKER_CONFIG", docker_config)
        .args(["--format", "json", "scan", target])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{target}: {e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

/// The report with the one thing that legitimately differs between sources, the target's
/// name, taken out: `targets` and the image summary line that starts with it.
fn normalised(mut report: Value, target: &str) -> Value {
    assert_eq!(report["targets"], serde_json::json!([target]));
    report["targets"] = Value::Null;
    let notices = report["notices"].as_array_mut().unwrap();
    let first = notices[0].as_str().unwrap();
    let rest = first
        .strip_prefix(&format!("image: {target}"))
        .unwrap_or_else(|| panic!("{first}"));
    // The reference in parentheses comes from the source (tag, ref name, none).
    let rest = match rest.strip_prefix(" (") {
        Some(r) => &r[r.find(')').unwrap() + 1..],
        None => rest,
    };
    // `created … (7s ago)`: the age moves on between scans.
    let rest = match rest.find(" ago)") {
        Some(end) => {
            let start = rest[..end].rfind(" (").unwrap();
            format!("{}{}", &rest[..start], &rest[end + " ago)".len()..])
        }
        None => rest.to_owned(),
    };
    notices[0] = Value::String(format!("image: <target>{rest}"));
    report
}

#[test]
fn the_four_sources_report_the_same_findings() {
    let rig = Rig::shared();
    let tmp = tempfile::tempdir().unwrap();
    let tag = rig.image_ref("drydock/scan-sources", "planted");
    build_planted_image(rig, &tag, &tmp.path().join("ctx"));
    let archive = tmp.path().join("planted.tar");
    rig.save(&tag, &archive).unwrap();
    let layout = tmp.path().join("layout");
    rig.write_oci_layout(&tag, &layout).unwrap();
    rig.push(&tag).unwrap();
    let no_creds = tmp.path().join("docker-config");
    std::fs::create_dir(&no_creds).unwrap();

    let archive_target = format!("docker-archive:{}", archive.display());
    let (code, from_archive) = scan_json(rig, &archive_target, &no_creds);
    assert_eq!(code, 1);
    let want = normalised(from_archive.clone(), &archive_target);

    // What the image planted is all there (so the comparison below compares something).
    let findings = from_archive["findings"].as_array().unwrap();
    let codes: Vec<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for code in [
        "DD501", "DD502", "DD503", "DD511", "DD512", "DD513", "DD515", "DD516", "DD517", "DD518",
        "DD521", "DD522", "DD523",
    ] {
        assert!(codes.contains(&code), "{code} missing: {codes:?}");
    }
    let deleted_key = findings
        .iter()
        .find(|f| f["location"]["path"] == "/root/.ssh/id_rsa")
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(
        deleted_key["message"]
            .as_str()
            .unwrap()
            .contains("deleted in layer 3 but still shipped in layer 1"),
        "{deleted_key}"
    );
    // Every image finding names its layer's diff_id, as the archive's config lists them.
    let tools = findings.iter().find(|f| f["rule"] == "DD523").unwrap();
    assert_eq!(
        tools["message"],
        "layer 6 ships build tools in the final image: compilers /usr/local/go/bin/go, gcc-12; \
         development packages libdemo-dev"
    );
    let saved = drydock_rig::oci::SavedImage::read(&archive).unwrap();
    let config: Value = serde_json::from_slice(saved.config().unwrap()).unwrap();
    let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap();
    for f in findings.iter().filter(|f| f["location"]["layer"].is_u64()) {
        let layer = f["location"]["layer"].as_u64().unwrap() as usize;
        assert_eq!(f["location"]["diff_id"], diff_ids[layer], "{f}");
    }

    let layout_target = format!("oci:{}:{tag}", layout.display());
    for target in [layout_target, tag.clone(), format!("docker:{tag}")] {
        let (code, report) = scan_json(rig, &target, &no_creds);
        assert_eq!(code, 1, "{target}");
        let got = normalised(report, &target);
        assert_eq!(got["findings"], want["findings"], "{target}");
        assert_eq!(got, want, "{target}");
    }

    // No raw secret in the report.
    let text = from_archive.to_string();
    for secret in [
        github_token(),
        password(),
        private_key().lines().nth(1).unwrap().to_owned(),
    ] {
        assert!(!text.contains(&secret), "leaked {secret:.6}…");
    }
}
