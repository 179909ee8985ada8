//! drydock's real-component test rig.
//!
//! Starts, on loopback only and in private directories:
//! * a private Docker Engine ([`Engine`]: Debian `dockerd` + its own
//!   `containerd`, `--bridge=none`, reachable via a unix socket),
//! * a registry ([`Registry`]: Debian `docker-registry`, distribution 2.8),
//! * an apt repository served over HTTP ([`AptRepo`]),
//! * on demand, a PostgreSQL cluster ([`Postgres`], started by the tests that need it),
//!
//! and provides a cached Debian bookworm minbase image built with
//! mmdebstrap ([`Rig::base_image`]).
//!
//! Required Debian packages (see `.ci/install-deps`): docker.io, containerd,
//! runc, docker-registry, mmdebstrap, dpkg-dev, apt-utils, gpg. A missing binary
//! is an error naming its package — tests never skip silently. The rig needs
//! root (dockerd, mmdebstrap root mode).
//!
//! Cleanup: every process runs in its own process group and every component
//! has a watchdog that stops it when the rig is dropped *or* the test
//! process exits in any way (see [`proc`]). Tests in one binary share one
//! rig via [`Rig::shared`].

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub mod apt;
pub mod base;
pub mod engine;
pub mod http;
pub mod oci;
pub mod postgres;
pub mod proc;
pub mod registry;

pub use apt::{AptRepo, DebPackage};
pub use engine::{BuildInput, BuildOpts, BuildOutput, Engine, Mount, Network, RunOpts, RunOutput};
pub use oci::{SavedImage, docker_archive_to_oci, verify_oci_layout};
pub use postgres::Postgres;
pub use registry::{NotificationEndpoint, Registry, RegistryConfig};

/// The rig's error: a message with enough context to act on.
#[derive(Debug, Clone)]
pub struct Error(String);

impl Error {
    /// An error with `msg`.
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }

    fn io(path: &Path, e: std::io::Error) -> Self {
        Self(format!("{}: {e}", path.display()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// `Result<T, drydock_rig::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Repository (in the rig's registry) of the base image.
pub const BASE_REPO: &str = "drydock/bookworm";
/// Tag of the base image.
pub const BASE_TAG: &str = "base";

/// Engine + registry + apt repository, plus the base image on demand.
/// Dropping it stops everything (field order: apt, registry, engine).
pub struct Rig {
    apt: AptRepo,
    registry: Registry,
    engine: Engine,
    base: OnceLock<Result<String>>,
}

/// Builder for a [`Rig`] with a non-default registry configuration.
#[derive(Debug, Clone, Default)]
pub struct RigBuilder {
    registry: RegistryConfig,
}

impl RigBuilder {
    /// Uses `config` for the rig's registry.
    pub fn registry_config(mut self, config: RegistryConfig) -> Self {
        self.registry = config;
        self
    }

    /// Starts all components (in parallel).
    pub fn start(self) -> Result<Rig> {
        let (engine, registry, apt) = std::thread::scope(|s| {
            let e = s.spawn(Engine::start);
            let r = s.spawn(|| Registry::start_with(&self.registry));
            let a = s.spawn(AptRepo::start);
            let join = |name: &str| Error::new(format!("{name} start panicked"));
            (
                e.join().map_err(|_| join("engine")).and_then(|x| x),
                r.join().map_err(|_| join("registry")).and_then(|x| x),
                a.join().map_err(|_| join("apt repo")).and_then(|x| x),
            )
        });
        Ok(Rig {
            engine: engine?,
            registry: registry?,
            apt: apt?,
            base: OnceLock::new(),
        })
    }
}

static SHARED: OnceLock<Result<Rig>> = OnceLock::new();

impl Rig {
    /// Starts a rig with default configuration.
    pub fn start() -> Result<Self> {
        RigBuilder::default().start()
    }

    /// A builder (e.g. for registry notifications).
    pub fn builder() -> RigBuilder {
        RigBuilder::default()
    }

    /// The rig shared by all tests of this process, started on first use.
    /// Never dropped: the watchdogs stop it when the process exits.
    /// Panics (failing the test loudly) if it cannot start.
    pub fn shared() -> &'static Rig {
        match Self::try_shared() {
            Ok(r) => r,
            Err(e) => panic!("drydock-rig failed to start: {e}"),
        }
    }

    /// Like [`Rig::shared`] but returns the start error.
    pub fn try_shared() -> Result<&'static Rig> {
        SHARED
            .get_or_init(Rig::start)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The apt repository.
    pub fn apt(&self) -> &AptRepo {
        &self.apt
    }

    /// `unix:///…/docker.sock`.
    pub fn docker_host(&self) -> String {
        self.engine.docker_host()
    }

    /// `127.0.0.1:PORT` of the registry.
    pub fn registry_addr(&self) -> SocketAddr {
        self.registry.addr()
    }

    /// `127.0.0.1:PORT/<repo>:<tag>`.
    pub fn image_ref(&self, repo: &str, tag: &str) -> String {
        format!("{}/{repo}:{tag}", self.registry.host())
    }

    /// The Debian bookworm minbase image, imported into the engine and pushed
    /// to the registry as `127.0.0.1:PORT/drydock/bookworm:base` (built with
    /// mmdebstrap once per machine, see [`base`]). Returns the reference.
    pub fn base_image(&self) -> Result<String> {
        self.base
            .get_or_init(|| {
                let tar = base::base_tarball(base::SUITE, base::VARIANT)?;
                let reference = self.image_ref(BASE_REPO, BASE_TAG);
                self.engine.import(&tar, &reference)?;
                self.engine.push(&reference)?;
                Ok(reference)
            })
            .clone()
    }

    /// See [`Engine::build`].
    pub fn build(&self, input: &BuildInput, tag: &str, opts: &BuildOpts) -> Result<BuildOutput> {
        self.engine.build(input, tag, opts)
    }

    /// See [`Engine::save`].
    pub fn save(&self, image: &str, path: &Path) -> Result<()> {
        self.engine.save(image, path)
    }

    /// See [`Engine::push`]; returns the manifest digest.
    pub fn push(&self, image: &str) -> Result<String> {
        self.engine.push(image)
    }

    /// See [`Engine::run`].
    pub fn run(&self, image: &str, args: &[&str], opts: &RunOpts) -> Result<RunOutput> {
        self.engine.run(image, args, opts)
    }

    /// `docker save`s `image` and converts it to an OCI image layout in
    /// `dir`; returns the manifest digest.
    pub fn write_oci_layout(&self, image: &str, dir: &Path) -> Result<String> {
        let tmp = tempfile::Builder::new()
            .prefix("drydock-rig-save-")
            .tempdir()
            .map_err(|e| Error::new(format!("tempdir: {e}")))?;
        let archive = tmp.path().join("image.tar");
        self.engine.save(image, &archive)?;
        docker_archive_to_oci(&archive, dir, Some(image))
    }

    /// See [`Registry::manifest_digest`].
    pub fn manifest_digest(&self, repo: &str, reference: &str) -> Result<String> {
        self.registry.manifest_digest(repo, reference)
    }

    /// Human-readable summary (what `drydock-rig up` prints).
    pub fn describe(&self) -> String {
        format!(
            "DOCKER_HOST={}\nDRYDOCK_RIG_REGISTRY={}\nDRYDOCK_RIG_APT_URL={}\nDRYDOCK_RIG_APT_ROOT={}\n\
             # engine dir: {}\n# registry dir: {}\n# apt source: {}\n# docker client: {}\n",
            self.docker_host(),
            self.registry_addr(),
            self.apt.url(),
            self.apt.root().display(),
            self.engine.dir().display(),
            self.registry.dir().display(),
            self.apt.sources_line(apt::DEFAULT_SUITE),
            engine::DOCKER,
        )
    }
}

/// Where the base tarball cache lives (see [`base::cache_dir`]).
pub fn cache_dir() -> PathBuf {
    base::cache_dir()
}
