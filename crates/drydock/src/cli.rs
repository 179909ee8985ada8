//! The command-line interface definition (clap derive). Completions and the man page are
//! generated from it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use drydock_findings::Severity;

#[derive(Debug, Parser)]
#[command(
    name = "drydock",
    version,
    about = "Keeps container images secure without giving up fast builds",
    long_about = "drydock finds what makes container images rot: stale cached packages, \
                  unpinned and unpatched bases, secrets left in layers, bloat and root users.\n\n\
                  Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 on usage \
                  or input errors.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human, env = "DRYDOCK_FORMAT")]
    pub format: Format,
    /// Configuration file [default: the first drydock.toml from the current directory upwards].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// When to use colours; `auto` honours NO_COLOR, CLICOLOR_FORCE and whether stdout is a terminal.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// Print only the summary (human format) and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log what drydock does to stderr (-v: info, -vv: debug, -vvv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Exit 1 when a finding at or above this severity exists [default: warning, or
    /// `failure-threshold` from .hadolint.yaml].
    #[arg(long, global = true, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics with source snippets.
    Human,
    /// The versioned JSON document of docs/json-output.md.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Style,
    /// Always exit 0 when the run itself succeeded.
    Never,
}

impl FailOn {
    /// The lowest severity that fails the run, `None` for never.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Style => Some(Severity::Style),
            FailOn::Never => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint Dockerfiles: cache order, BuildKit secret and cache mounts, pinning, non-root users,
    /// multi-stage builds, layer hygiene. Honours hadolint pragmas and `.hadolint.yaml`.
    Lint(LintArgs),
    /// Scan an image for secrets (also in deleted layers' files, config and history), risky
    /// configuration (root user, SSH port, setuid files, empty passwords, age) and bloat.
    /// IMAGE is `docker-archive:PATH`, `oci:DIR[:TAG|@DIGEST]`, a path to either, a registry
    /// image `HOST[:PORT]/NAME[:TAG][@DIGEST]`, or `docker:NAME` (the local Docker engine).
    Scan(ScanArgs),
    /// Write a CycloneDX 1.5 JSON SBOM of the image's OS packages (dpkg, apk, rpm): one component
    /// per package with its purl, source package and the layer that installed it, plus the
    /// distribution. IMAGE as for `scan`. Always JSON: `--format` does not apply.
    Sbom(SbomArgs),
    /// List pending OS package updates of an image, from the image's own apt, apk or dnf/yum
    /// sources: their indexes are fetched and verified (InRelease signature against the image's
    /// keyring, Packages checksums; APKINDEX signature against /etc/apk/keys; repomd.xml.asc
    /// against the repository's gpgkey when repo_gpgcheck=1, primary and updateinfo checksums)
    /// and each installed package compared with the version the package manager would install.
    /// No CVE feed. IMAGE as for `scan`, but not `docker:`. Security updates (security suites,
    /// rpm security advisories) are DD601 (error), others DD602 (warning).
    Updates(UpdatesArgs),
    /// Build an image with BuildKit, rebuilding only what upstream changed: bases that moved in
    /// their registry, and the steps whose packages have fixes published (the last image's pending
    /// updates). Nothing changed: no build, the image is reported fresh. Lints the Dockerfile first,
    /// refuses secret-looking build arguments, and labels the image with its provenance.
    Build(BuildArgs),
    /// Run the watch service (`[watch]` in drydock.toml, see docs/watch.md): polls registries and
    /// takes their push notifications, marks images whose base moved, that are too old or miss
    /// security fixes as stale, notifies (signed webhook, Slack) and triggers rebuilds through a
    /// durable outbox; serves a JSON API, /metrics, /healthz and a dashboard.
    Watch(WatchArgs),
    /// Does the image need a rebuild? Identifies its base (OCI base labels or annotations, else
    /// the `--base` candidate whose layers begin the image), asks the base's registry whether the
    /// tag moved since the build, counts pending security updates from the image's own package
    /// sources (as `updates --security-only`; `--no-updates` skips them), applies the age policy,
    /// and with `--osv` matches advisories. Exit 1 when a reason to rebuild is found (a finding at or above --fail-on). IMAGE as for
    /// `scan`, but not `docker:`.
    Check(CheckArgs),
    /// Match the image's installed OS packages (dpkg, apk) against OSV advisories, offline:
    /// DD701 when the distribution has a fix, DD702 when it has none yet. IMAGE as for `sbom`.
    Advisories(AdvisoriesArgs),
    /// List every rule (lint, scan, updates, advisories, check): code, name, default severity,
    /// hadolint equivalent.
    Rules,
    /// Print the documentation of one rule (by code, name or hadolint code).
    Rule {
        /// `DD101`, `manifest-copy-before-install`, `DL3009` or `DD501`.
        rule: String,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff) to stdout: `drydock man > drydock.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Dockerfiles or directories to search (for `Dockerfile`, `Containerfile`, `*.Dockerfile`,
    /// `Dockerfile.*`, honouring .gitignore); `-` reads standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Run only these rules (codes, code prefixes, names or hadolint codes), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Run these rules in addition to the selected ones.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub extend_select: Vec<String>,
    /// Never run these rules.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// The stage being built (`docker build --target`); rules about the final image apply to it.
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,
    /// Name to report standard input under.
    #[arg(long, value_name = "NAME", default_value = "-")]
    pub stdin_filename: String,
    /// Ignore `# drydock: ignore=` and `# hadolint ignore=` pragmas.
    #[arg(long)]
    pub disable_pragmas: bool,
    /// Do not read `.hadolint.yaml`.
    #[arg(long)]
    pub no_hadolint_config: bool,
    /// Apply the safe fixes to the files in place, then report what is left.
    #[arg(long, conflicts_with = "diff")]
    pub fix: bool,
    /// Print a unified diff of what `--fix` would change instead of writing; exit 1 when there is
    /// a change, 0 when not.
    #[arg(long)]
    pub diff: bool,
    /// With `--fix` or `--diff`, also apply the fixes that change what the image does (non-root
    /// USER, secret mounts, split `COPY . .`, pinned digests); review them.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Look up the current digest of each `FROM name:tag` in its registry so DD205 can offer to
    /// pin it (an unsafe fix). Queries the network.
    #[arg(long)]
    pub resolve_digests: bool,
    /// Do not run ShellCheck on RUN scripts (same as `--ignore SC`). ShellCheck runs by default
    /// when the `shellcheck` program is installed.
    #[arg(long)]
    pub no_shellcheck: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The image: `docker-archive:PATH` (a `docker save` tar), `oci:DIR[:TAG|@DIGEST]` (an OCI
    /// image layout), a path to either, or a registry image `HOST[:PORT]/NAME[:TAG][@DIGEST]`
    /// (also `registry:NAME`; credentials from `$DOCKER_CONFIG` or `~/.docker/config.json`;
    /// `localhost` and `127.0.0.1` registries over plain HTTP), or `docker:NAME` (also
    /// `docker-daemon:NAME`): an image of the Docker engine at `DOCKER_HOST` (`unix://PATH`,
    /// default /var/run/docker.sock), streamed from its API without temporary files.
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Platform to pick from a multi-platform image (index): `os/arch[/variant]`.
    #[arg(long, value_name = "PLATFORM", default_value = "linux/amd64")]
    pub platform: String,
    /// Warn (DD514) when the image is older than this: a number and a unit s, m, h, d or w
    /// (`30d`, `12h`). Off by default [or `max-age` of `[scan]` in drydock.toml].
    #[arg(long, value_name = "AGE", value_parser = drydock_scan::parse_age)]
    pub max_age: Option<std::time::Duration>,
    /// Report only these scan rules (codes, code prefixes such as `DD50`, or names),
    /// comma-separated; replaces the selection of `[scan]` in drydock.toml.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Never report these scan rules.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    /// The image: `docker-archive:PATH` (a `docker save` tar), `oci:DIR[:TAG|@DIGEST]` (an OCI
    /// image layout), a path to either, or a registry image `HOST[:PORT]/NAME[:TAG][@DIGEST]`.
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Write the SBOM to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Where package indexes come from (`drydock updates`, `drydock check`).
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Fetch from a mirror: `FROM_URL=TO_URL` replaces the URL prefix FROM_URL of the image's
    /// sources, a bare `TO_URL` replaces every source's base URL (repeatable, first match wins).
    /// `TO_URL` may be `file:/DIR`. Signatures are still checked against the image's keys.
    #[arg(long, value_name = "[FROM=]TO", value_parser = clap::value_parser!(drydock_updates::Mirror))]
    pub mirror: Vec<drydock_updates::Mirror>,
    /// Read indexes from this folder instead of the network: `http://HOST[:PORT]/PATH` is
    /// `DIR/HOST[:PORT]/PATH` (the layout of `wget -x`), `file:/PATH` is `DIR/PATH`.
    #[arg(long, value_name = "DIR")]
    pub index_dir: Option<PathBuf>,
    /// Keep fetched indexes here: Release files are revalidated with the server
    /// (If-None-Match / If-Modified-Since) and re-verified on every run; package indexes are
    /// stored by the checksum their signed Release lists and reused while it still lists them.
    /// What is read of each image (packages, package sources) is kept by image id.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl IndexArgs {
    /// The fetch settings these flags describe.
    pub fn fetch_options(&self) -> drydock_updates::FetchOptions {
        drydock_updates::FetchOptions {
            mirrors: self.mirror.clone(),
            index_dir: self.index_dir.clone(),
            cache_dir: self.cache_dir.clone(),
            timeout: None,
        }
    }
}

#[derive(Debug, Args)]
pub struct UpdatesArgs {
    /// The image: `docker-archive:PATH`, `oci:DIR[:TAG|@DIGEST]`, a path to either, or a
    /// registry image `HOST[:PORT]/NAME[:TAG][@DIGEST]`.
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Platform to pick from a multi-platform image (index): `os/arch[/variant]`.
    #[arg(long, value_name = "PLATFORM", default_value = "linux/amd64")]
    pub platform: String,
    #[command(flatten)]
    pub indexes: IndexArgs,
    /// Report only security updates: offered by a security suite (apt) or listed by a security
    /// advisory of the repositories' updateinfo (rpm). Not for apk images.
    #[arg(long)]
    pub security_only: bool,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Build context directory.
    #[arg(value_name = "CONTEXT", default_value = ".")]
    pub context: PathBuf,
    /// Image name and tag; the first is the image whose build record decides what to rebuild.
    #[arg(short, long = "tag", value_name = "NAME:TAG", required = true)]
    pub tags: Vec<String>,
    /// Dockerfile [default: CONTEXT/Dockerfile].
    #[arg(short, long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Build argument `NAME=VALUE` (`NAME` alone takes the value from the environment).
    /// Secret-looking values are refused: use --secret.
    #[arg(long, value_name = "NAME[=VALUE]")]
    pub build_arg: Vec<String>,
    /// Pass build arguments even when they look like secrets (they stay in the image history).
    #[arg(long)]
    pub allow_secret_build_args: bool,
    /// BuildKit secret, as for `docker build --secret`: `id=NAME,src=FILE` or `id=NAME,env=VAR`.
    #[arg(long, value_name = "SPEC")]
    pub secret: Vec<String>,
    /// Stage to build.
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,
    /// Target platform (`linux/amd64`).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,
    /// Network for RUN steps (`host`, `none`, `default`).
    #[arg(long, value_name = "MODE")]
    pub network: Option<String>,
    /// Push the first tag after building (or, when fresh, if the registry lacks it).
    #[arg(long)]
    pub push: bool,
    /// Rebuild everything now (`--pull --no-cache`).
    #[arg(long)]
    pub no_cache: bool,
    /// Backstop: rebuild everything when the last full rebuild is older than this (`7d`, `12h`).
    #[arg(long, value_name = "AGE", value_parser = drydock_scan::parse_age)]
    pub full_rebuild_every: Option<std::time::Duration>,
    /// Which pending updates of the last image force their steps to rebuild.
    #[arg(long, value_enum, default_value_t = RefreshOn::Security, value_name = "WHICH")]
    pub refresh_on: RefreshOn,
    /// Fetch package indexes from a mirror when checking the last image for fixes, as for
    /// `updates --mirror`: `FROM_URL=TO_URL`, or a bare `TO_URL` for every source.
    #[arg(long, value_name = "[FROM=]TO", value_parser = clap::value_parser!(drydock_updates::Mirror))]
    pub mirror: Vec<drydock_updates::Mirror>,
    /// Keep package indexes and what was read of each image (its packages and package sources,
    /// by image id) here, so that checking an unchanged image does not export it again
    /// [default: $XDG_CACHE_HOME/drydock, else ~/.cache/drydock].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Build even when the Dockerfile has lint findings of severity error.
    #[arg(long)]
    pub no_lint: bool,
    /// Decide and print the plan, build nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The Docker client [default: `docker` on PATH; `buildx` is used when its plugin exists].
    #[arg(long, value_name = "PATH", env = "DRYDOCK_DOCKER")]
    pub docker: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RefreshOn {
    /// Updates from the distribution's security suites.
    Security,
    /// Every pending update.
    All,
    /// None: only moved bases and context changes rebuild.
    None,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Check everything once, deliver what is due, print each image's status and exit (1 when an
    /// image is stale, 2 when a check failed) instead of serving.
    #[arg(long)]
    pub once: bool,
    /// Listen on this address instead of `[watch] listen`.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<std::net::SocketAddr>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The image: `docker-archive:PATH`, `oci:DIR[:TAG|@DIGEST]`, a path to either, or a registry
    /// image `HOST[:PORT]/NAME[:TAG][@DIGEST]`.
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Platform to pick from a multi-platform image (index): `os/arch[/variant]`.
    #[arg(long, value_name = "PLATFORM", default_value = "linux/amd64")]
    pub platform: String,
    /// An image that may be the base (repeatable), used when the image does not name its base:
    /// the candidate whose current layers are the first layers of the image is its base.
    #[arg(long = "base", value_name = "IMAGE")]
    pub bases: Vec<String>,
    /// Rebuild (DD805) when the image is older than this: a number and a unit s, m, h, d or w
    /// (`30d`, `12h`). Off by default.
    #[arg(long, value_name = "AGE", value_parser = drydock_scan::parse_age)]
    pub max_age: Option<std::time::Duration>,
    /// Also match OSV advisories from PATH (as `drydock advisories --osv`).
    #[arg(long, value_name = "PATH")]
    pub osv: Option<PathBuf>,
    /// Do not look for pending security updates (no index is fetched; the verdict says they
    /// were not checked). By default DD804 reports each update `drydock updates --security-only`
    /// would report.
    #[arg(long)]
    pub no_updates: bool,
    #[command(flatten)]
    pub indexes: IndexArgs,
}

#[derive(Debug, Args)]
pub struct AdvisoriesArgs {
    /// The image: `docker-archive:PATH`, `oci:DIR[:TAG|@DIGEST]`, a path to either, or a registry
    /// image `HOST[:PORT]/NAME[:TAG][@DIGEST]`.
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Platform to pick from a multi-platform image (index): `os/arch[/variant]`.
    #[arg(long, value_name = "PLATFORM", default_value = "linux/amd64")]
    pub platform: String,
    /// OSV records: a directory of JSON files (searched recursively, zips inside included), a zip
    /// archive as osv.dev exports per ecosystem (`Debian:12/all.zip`), or one JSON file.
    #[arg(long, value_name = "PATH", required = true)]
    pub osv: PathBuf,
}
