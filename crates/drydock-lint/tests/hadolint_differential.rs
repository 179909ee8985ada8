//! Differential test against hadolint: runs hadolint 2.15.1 and drydock over the Dockerfiles in
//! `tests/differential/` and requires that, for every (file, line, hadolint code), both report a
//! finding or neither does, except for the deliberate differences in [`ALLOWED`] (each with its
//! reason; `docs/hadolint-compat.md` describes them). ShellCheck findings (`SC…`) are left out.
//!
//! drydock findings count on the line of the instruction they are in (hadolint reports the
//! instruction's first line; drydock points inside it). A file may set, in leading comments:
//! `# differential: trusted-registries=a,b`, `# differential: label-schema=key:type,…`,
//! `# differential: strict-labels`, `# differential: enable=DL1001,DL3057` (rules off by default).
//!
//! hadolint is found at `$DRYDOCK_HADOLINT` or `/opt/drydock-ci/hadolint-venv/bin/hadolint`
//! (installed by `.ci/install-deps`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_config::RulesConfig;
use drydock_findings::Location;
use drydock_lint::hadolint_config::HadolintConfig;
use drydock_lint::{LintSettings, Linter, Selection, SelectionFlags};

/// Which tool reports a finding the other does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Only {
    Hadolint,
    Drydock,
}

/// A deliberate difference: (file, line, code, who reports it, why).
type Difference = (&'static str, usize, &'static str, Only, &'static str);

const ALLOWED: &[Difference] = &[
    (
        "apt-stages.Dockerfile",
        3,
        "DL3015",
        Only::Hadolint,
        "DD3015 checks only stages that end up in the image: recommends installed in a build stage are not shipped",
    ),
    (
        "apt-stages.Dockerfile",
        8,
        "DL3015",
        Only::Hadolint,
        "DD3015 stays quiet after an earlier RUN configures APT::Install-Recommends (or a file is copied into /etc/apt/apt.conf.d)",
    ),
    (
        "apt.Dockerfile",
        10,
        "DL3014",
        Only::Drydock,
        "DD3014 also reports the other apt-get subcommands that ask for confirmation (purge, remove, upgrade…), not only install",
    ),
    (
        "build-stage.Dockerfile",
        4,
        "DL3042",
        Only::Hadolint,
        "DD3042 checks only stages that end up in the image: pip's cache in a build stage is not shipped",
    ),
    (
        "build-stage.Dockerfile",
        5,
        "DL3059",
        Only::Hadolint,
        "DD3059 checks only stages that end up in the image: a build stage's layers are not shipped",
    ),
    (
        "build-stage.Dockerfile",
        6,
        "DL3002",
        Only::Hadolint,
        "DD3002 judges only the last USER of the image being built; build stages never run as containers",
    ),
    (
        "build-stage.Dockerfile",
        6,
        "DL3066",
        Only::Hadolint,
        "DD3066 checks only USER in stages that end up in the image; build stages never run as containers",
    ),
    (
        "dnf.Dockerfile",
        6,
        "DL3041",
        Only::Hadolint,
        "DD3041 does not ask a version of a package group (@name), which has none",
    ),
    (
        "instructions.Dockerfile",
        14,
        "DL3021",
        Only::Drydock,
        "DD3021 checks ADD as well as COPY: BuildKit requires the trailing / for both",
    ),
    (
        "microdnf.Dockerfile",
        2,
        "DL3038",
        Only::Hadolint,
        "DD3038 does not report microdnf, which never asks for confirmation",
    ),
    (
        "onbuild-invalid.Dockerfile",
        2,
        "DL1000",
        Only::Drydock,
        "BuildKit refuses ONBUILD FROM/ONBUILD/MAINTAINER when parsing, so drydock reports it as invalid syntax (DD001) instead of DL3043",
    ),
    (
        "onbuild-invalid.Dockerfile",
        2,
        "DL3043",
        Only::Hadolint,
        "drydock reports ONBUILD FROM/ONBUILD/MAINTAINER as invalid syntax (DD001, DL1000)",
    ),
    (
        "python-node-ruby-go.Dockerfile",
        9,
        "DL3016",
        Only::Drydock,
        "DD3016 also checks npm i and npm add, npm's aliases of install",
    ),
    (
        "python-node-ruby-go.Dockerfile",
        13,
        "DL3028",
        Only::Drydock,
        "hadolint takes the word after any gem option for its value and misses the gem in gem install --no-document bundler",
    ),
    (
        "secrets.Dockerfile",
        3,
        "DL3064",
        Only::Hadolint,
        "DD201 does not report a placeholder value (ENV DB_PASSWORD=changeme) set to be replaced when the container starts",
    ),
    (
        "shell-inherited.Dockerfile",
        6,
        "DL4006",
        Only::Hadolint,
        "DD4006 knows that SHELL carries over to stages built FROM a stage; hadolint resets it at every FROM",
    ),
    (
        "shell.Dockerfile",
        9,
        "DL4006",
        Only::Hadolint,
        "DD4006 accepts set -o pipefail in the script itself before the pipe",
    ),
    (
        "stages-args.Dockerfile",
        3,
        "DL3006",
        Only::Drydock,
        "DD3006 expands ARG defaults in FROM (${BASE} is ubuntu, untagged); hadolint does not",
    ),
    (
        "stages-args.Dockerfile",
        4,
        "DL3007",
        Only::Drydock,
        "DD3007 expands ARG defaults in FROM (node:${TAG} is node:latest); hadolint does not",
    ),
    (
        "stages.Dockerfile",
        9,
        "DL3024",
        Only::Drydock,
        "DD3024 compares stage names without case, as BuildKit does (web and Web clash)",
    ),
    (
        "stages.Dockerfile",
        9,
        "DL3029",
        Only::Hadolint,
        "DD3029 accepts any build argument as the platform (${PLATFORM}), not only BUILDPLATFORM/TARGETPLATFORM",
    ),
    (
        "yum.Dockerfile",
        6,
        "DL3030",
        Only::Drydock,
        "DD3030 also reports the other yum subcommands that ask for confirmation (update, remove…), not only install",
    ),
];

/// The per-file settings of the leading `# differential:` comments.
#[derive(Default)]
struct FileOptions {
    trusted_registries: Vec<String>,
    /// (label, type) as `label-schema` writes them.
    label_schema: Vec<(String, String)>,
    strict_labels: bool,
    /// hadolint codes of rules that are off by default.
    enable: Vec<String>,
}

fn file_options(source: &str) -> FileOptions {
    let mut options = FileOptions::default();
    for line in source
        .lines()
        .map_while(|line| line.strip_prefix("# differential: "))
    {
        let (name, value) = line.split_once('=').unwrap_or((line, ""));
        let list = || value.split(',').map(str::to_string);
        match name {
            "trusted-registries" => options.trusted_registries = list().collect(),
            "label-schema" => {
                options.label_schema = list()
                    .map(|entry| {
                        let (key, kind) = entry.split_once(':').expect("label:type");
                        (key.to_string(), kind.to_string())
                    })
                    .collect();
            }
            "strict-labels" => options.strict_labels = true,
            "enable" => options.enable = list().collect(),
            other => panic!("unknown differential setting {other}"),
        }
    }
    options
}

impl FileOptions {
    /// The same settings as a `.hadolint.yaml`, which drydock reads too.
    fn hadolint_yaml(&self) -> String {
        let quoted = |items: &mut dyn Iterator<Item = &String>| {
            items
                .map(|item| format!("\"{item}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut yaml = format!(
            "trustedRegistries: [{}]\nstrict-labels: {}\n",
            quoted(&mut self.trusted_registries.iter()),
            self.strict_labels
        );
        if !self.enable.is_empty() {
            yaml.push_str(&format!(
                "override:\n  info: [{}]\n",
                quoted(&mut self.enable.iter())
            ));
        }
        if !self.label_schema.is_empty() {
            yaml.push_str("label-schema:\n");
            for (key, kind) in &self.label_schema {
                yaml.push_str(&format!("  \"{key}\": {kind}\n"));
            }
        }
        yaml
    }
}

fn hadolint_binary() -> PathBuf {
    let path = std::env::var_os("DRYDOCK_HADOLINT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/drydock-ci/hadolint-venv/bin/hadolint"));
    assert!(
        path.is_file(),
        "hadolint not found at {} (run .ci/install-deps, or set DRYDOCK_HADOLINT)",
        path.display()
    );
    path
}

/// (line, DL code) of every hadolint finding.
fn run_hadolint(binary: &Path, file: &Path, config: &Path) -> BTreeSet<(usize, String)> {
    let output = Command::new(binary)
        .args(["--no-fail", "--format", "json", "--config"])
        .arg(config)
        .arg(file)
        .output()
        .expect("hadolint runs");
    assert!(
        output.status.success(),
        "hadolint failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let findings: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("hadolint prints JSON");
    findings
        .iter()
        .map(|finding| {
            let code = finding["code"].as_str().expect("code").to_string();
            let line = finding["line"].as_u64().expect("line") as usize;
            (line, code)
        })
        .filter(|(_, code)| code.starts_with("DL"))
        .collect()
}

/// (line of the instruction, hadolint code) of every drydock finding that stands in for a
/// hadolint rule.
fn run_drydock(file: &Path, source: &str, config: &HadolintConfig) -> BTreeSet<(usize, String)> {
    let selection = Selection::resolve(
        Some(config),
        &RulesConfig::default(),
        &SelectionFlags {
            extend_select: config
                .overrides
                .iter()
                .map(|(code, _)| code.to_string())
                .collect(),
            ..SelectionFlags::default()
        },
    );
    let settings = LintSettings {
        trusted_registries: config.trusted_registries.clone(),
        label_schema: config.label_schema.clone(),
        strict_labels: config.strict_labels,
        ..LintSettings::default()
    };
    let linter = Linter::new(&selection, settings, true);
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let parsed = drydock_dockerfile::parse(source);
    linter
        .lint(&name, source)
        .findings
        .into_iter()
        .filter_map(|finding| {
            let code = finding.hadolint?.into_owned();
            let Location::File(location) = &finding.location else {
                return None;
            };
            let offset = location.span.start;
            let line = parsed
                .instructions
                .iter()
                .find(|instruction| {
                    instruction.span.start <= offset && offset <= instruction.span.end
                })
                .map_or(location.line, |instruction| {
                    parsed.line_column(instruction.span.start).line
                });
            Some((line, code))
        })
        .collect()
}

#[test]
fn drydock_agrees_with_hadolint_except_documented_differences() {
    let binary = hadolint_binary();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential");
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hadolint-differential");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "Dockerfile"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no Dockerfiles in {}", dir.display());

    let mut agreements = 0;
    let mut agreed_codes = BTreeSet::new();
    let mut differences: BTreeSet<(String, usize, String, Only)> = BTreeSet::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(file).unwrap();
        let yaml = file_options(&source).hadolint_yaml();
        let config_path = scratch.join(format!("{name}.hadolint.yaml"));
        std::fs::write(&config_path, &yaml).unwrap();
        let config = HadolintConfig::parse(&yaml).expect("valid hadolint configuration");

        let theirs = run_hadolint(&binary, file, &config_path);
        let ours = run_drydock(file, &source, &config);
        for (_, code) in theirs.intersection(&ours) {
            agreements += 1;
            agreed_codes.insert(code.clone());
        }
        for (line, code) in theirs.difference(&ours) {
            differences.insert((name.clone(), *line, code.clone(), Only::Hadolint));
        }
        for (line, code) in ours.difference(&theirs) {
            differences.insert((name.clone(), *line, code.clone(), Only::Drydock));
        }
    }

    let allowed: BTreeSet<(String, usize, String, Only)> = ALLOWED
        .iter()
        .map(|(file, line, code, only, _)| (file.to_string(), *line, code.to_string(), *only))
        .collect();
    let unexpected: Vec<_> = differences.difference(&allowed).collect();
    let stale: Vec<_> = allowed.difference(&differences).collect();
    eprintln!(
        "hadolint differential: {} files, {agreements} agreements on {} hadolint codes, {} \
         documented differences",
        files.len(),
        agreed_codes.len(),
        differences.len() - unexpected.len(),
    );
    let listed = |entries: &[&(String, usize, String, Only)]| {
        entries
            .iter()
            .map(|(file, line, code, only)| format!("  {file}:{line} {code} only {only:?}\n"))
            .collect::<String>()
    };
    assert!(
        unexpected.is_empty(),
        "undocumented differences:\n{}",
        listed(&unexpected)
    );
    // The corpus must exercise every drydock rule that stands in for a hadolint rule, with at
    // least one finding both tools agree on.
    let unexercised: Vec<&str> = drydock_lint::rules::ALL
        .iter()
        .filter_map(|rule| rule.hadolint)
        .filter(|code| !agreed_codes.contains(*code))
        .collect();
    assert!(
        unexercised.is_empty(),
        "no agreed finding in tests/differential for {unexercised:?}"
    );
    assert!(
        stale.is_empty(),
        "allow-list entries that no longer differ:\n{}",
        listed(&stale)
    );
}
