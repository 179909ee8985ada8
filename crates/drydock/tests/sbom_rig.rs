//! `drydock sbom` on a real image (the rig's bookworm base plus a package
//! from the rig's apt repository), validated with the CycloneDX project's
//! own JSON schema validator (cyclonedx-python-lib, installed by
//! `.ci/install-deps`).

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use drydock_rig::{BuildInput, BuildOpts, Rig};
use serde_json::Value;

const APT_OPTS: &str = "-o Dir::Etc::SourceList=/etc/apt/sources.list.d/drydock.list \
                        -o Dir::Etc::SourceParts=- -o APT::Get::List-Cleanup=0";

/// The venv's python; `DRYDOCK_CYCLONEDX_PYTHON` points elsewhere.
fn validator_python() -> PathBuf {
    let path = std::env::var_os("DRYDOCK_CYCLONEDX_PYTHON").map_or_else(
        || PathBuf::from("/opt/drydock-ci/cyclonedx-venv/bin/python"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "the CycloneDX validator is missing at {}: run .ci/install-deps (cyclonedx-python-lib) \
         or set DRYDOCK_CYCLONEDX_PYTHON",
        path.display()
    );
    path
}

/// Schema violations of the CycloneDX 1.5 JSON document at `path`, one per line.
fn schema_errors(path: &Path) -> String {
    let output = Process::new(validator_python())
        .arg("-c")
        .arg(
            "import sys\n\
             from cyclonedx.schema import SchemaVersion\n\
             from cyclonedx.validation.json import JsonStrictValidator\n\
             errors = JsonStrictValidator(SchemaVersion.V1_5).validate_str(\n\
             \x20   open(sys.argv[1]).read(), all_errors=True)\n\
             for error in errors or []:\n\
             \x20   print(error.data.message, 'at', list(error.data.absolute_path))\n",
        )
        .arg(path)
        .output()
        .expect("the validator runs");
    assert!(
        output.status.success(),
        "validator failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn property<'a>(component: &'a Value, name: &str) -> Option<&'a str> {
    component["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)?["value"]
        .as_str()
}

#[test]
fn sbom_of_a_real_image_is_valid_cyclonedx() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    rig.apt().publish("drydock-demo", "1.0-1").unwrap();
    let dockerfile = format!(
        "FROM {base}\n\
         RUN echo '{line}' > /etc/apt/sources.list.d/drydock.list \
          && apt-get {APT_OPTS} update \
          && apt-get {APT_OPTS} install -y --no-install-recommends drydock-demo=1.0-1 \
          && rm -rf /var/lib/apt/lists/*\n",
        line = rig.apt().sources_line("drydock"),
    );
    let tag = "drydock-sbom-test:demo";
    let opts = BuildOpts {
        network_host: true,
        ..BuildOpts::default()
    };
    rig.build(&BuildInput::Dockerfile(dockerfile), tag, &opts)
        .unwrap();
    let archive = tmp.path().join("demo.tar");
    rig.save(tag, &archive).unwrap();

    let sbom_path = tmp.path().join("sbom.json");
    let started = std::time::Instant::now();
    Command::cargo_bin("drydock")
        .unwrap()
        .arg("sbom")
        .arg(format!("docker-archive:{}", archive.display()))
        .arg("-o")
        .arg(&sbom_path)
        .assert()
        .success()
        .stdout("");
    eprintln!("drydock sbom: {:.2?}", started.elapsed());

    let errors = schema_errors(&sbom_path);
    assert!(errors.is_empty(), "schema violations:\n{errors}");

    let sbom: Value = serde_json::from_slice(&std::fs::read(&sbom_path).unwrap()).unwrap();
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    assert_eq!(sbom["specVersion"], "1.5");
    let image = &sbom["metadata"]["component"];
    assert_eq!(image["type"], "container");
    assert!(
        image["version"].as_str().unwrap().starts_with("sha256:"),
        "{image}"
    );
    let components = sbom["components"].as_array().unwrap();
    let os = components
        .iter()
        .find(|c| c["type"] == "operating-system")
        .unwrap();
    assert_eq!(
        (os["name"].as_str(), os["version"].as_str()),
        (Some("debian"), Some("12"))
    );
    let demo = components
        .iter()
        .find(|c| c["name"] == "drydock-demo")
        .unwrap();
    assert_eq!(demo["version"], "1.0-1");
    assert_eq!(
        demo["purl"],
        "pkg:deb/debian/drydock-demo@1.0-1?arch=all&distro=debian-12"
    );
    assert_eq!(property(demo, "drydock:layer:index"), Some("1"));
    assert!(
        property(demo, "drydock:layer:diff_id")
            .unwrap()
            .starts_with("sha256:")
    );
    let libc = components.iter().find(|c| c["name"] == "libc6").unwrap();
    assert_eq!(property(libc, "drydock:package:source_name"), Some("glibc"));
    assert_eq!(property(libc, "drydock:layer:index"), Some("0"));
    assert!(components.len() > 50);

    // The same document on stdout.
    let stdout = Command::cargo_bin("drydock")
        .unwrap()
        .arg("sbom")
        .arg(&archive)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let again: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(again["components"], sbom["components"]);

    // The validator rejects a broken document: an unknown component type
    // and a missing component name.
    let mut broken = sbom.clone();
    broken["components"][0]["type"] = "no-such-type".into();
    broken["components"][1]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let broken_path = tmp.path().join("broken.json");
    std::fs::write(&broken_path, broken.to_string()).unwrap();
    let errors = schema_errors(&broken_path);
    assert!(errors.contains("'no-such-type'"), "{errors}");
    assert!(errors.contains("'name' is a required property"), "{errors}");
}

#[test]
fn sbom_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.tar");
    Command::cargo_bin("drydock")
        .unwrap()
        .arg("sbom")
        .arg(format!("docker-archive:{}", missing.display()))
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains("missing.tar"));
    Command::cargo_bin("drydock")
        .unwrap()
        .args(["sbom", "--help"])
        .assert()
        .success()
        .stdout(predicates::str::contains("CycloneDX"))
        .stdout(predicates::str::contains("--output <FILE>"));
}
