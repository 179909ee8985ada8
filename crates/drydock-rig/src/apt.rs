//! A local apt repository (`dists/<suite>/main/binary-<arch>/` layout)
//! served over HTTP on 127.0.0.1 by an in-process static file server.
//!
//! Layout:
//! ```text
//! <root>/pool/<suite>/<name>_<version>_<arch>.deb
//! <root>/dists/<suite>/main/binary-amd64/Packages{,.gz}
//! <root>/dists/<suite>/Release
//! ```
//! Each suite has its own pool directory so that suites (e.g. `drydock` and
//! a later `drydock-security`) are indexed independently.
//!
//! Every `Release` is also signed, as a distribution signs it: `InRelease`
//! (clear-signed) and `Release.gpg` (detached, armored), by a throwaway
//! OpenPGP key generated with `gpg` in a private home when the repository
//! starts. Sources can trust the repository outright
//! ([`AptRepo::sources_line`], `[trusted=yes]`) or check the signature
//! against the exported public key ([`AptRepo::signed_sources_line`],
//! [`AptRepo::public_key`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use crate::http::StaticServer;
use crate::proc::{Supervisor, require};
use crate::{Error, Result};

const DPKG_DEB: &str = "/usr/bin/dpkg-deb";
const APT_FTPARCHIVE: &str = "/usr/bin/apt-ftparchive";
const GPG: &str = "/usr/bin/gpg";
const GPGCONF: &str = "/usr/bin/gpgconf";

/// The suite [`AptRepo::publish`] uses.
pub const DEFAULT_SUITE: &str = "drydock";
/// The only component.
pub const COMPONENT: &str = "main";
/// Architectures listed in `Release` (packages are `Architecture: all` by default).
pub const ARCH: &str = "amd64";

/// A small `.deb` to build with `dpkg-deb`.
#[derive(Debug, Clone)]
pub struct DebPackage {
    /// Package name.
    pub name: String,
    /// Debian version, e.g. `1.0-2`.
    pub version: String,
    /// `Architecture:` (default `all`).
    pub architecture: String,
    /// `Depends:` (empty: none).
    pub depends: String,
    /// Files: absolute path inside the package → contents.
    pub files: Vec<(String, Vec<u8>)>,
}

impl DebPackage {
    /// A package containing `/usr/share/<name>/VERSION` with `version\n`.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        let name = name.into();
        let version = version.into();
        Self {
            files: vec![(
                format!("/usr/share/{name}/VERSION"),
                format!("{version}\n").into_bytes(),
            )],
            name,
            version,
            architecture: "all".into(),
            depends: String::new(),
        }
    }

    /// Adds a file.
    pub fn file(mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) -> Self {
        self.files.push((path.into(), contents.into()));
        self
    }

    /// Builds the `.deb` into `out_dir`, returning its path.
    pub fn build(&self, out_dir: &Path) -> Result<PathBuf> {
        let bin = require(DPKG_DEB, "dpkg")?;
        let work = tempfile::Builder::new()
            .prefix("drydock-rig-deb-")
            .tempdir()
            .map_err(|e| Error::new(format!("tempdir: {e}")))?;
        let root = work.path().join("root");
        let debian = root.join("DEBIAN");
        fs::create_dir_all(&debian).map_err(|e| Error::io(&debian, e))?;
        let mut control = format!(
            "Package: {}\nVersion: {}\nArchitecture: {}\nMaintainer: drydock rig <rig@drydock.invalid>\n\
             Section: misc\nPriority: optional\n",
            self.name, self.version, self.architecture
        );
        if !self.depends.is_empty() {
            control.push_str(&format!("Depends: {}\n", self.depends));
        }
        control.push_str(&format!(
            "Description: drydock test package {}\n Built by drydock-rig for tests.\n",
            self.name
        ));
        fs::write(debian.join("control"), control).map_err(|e| Error::io(&debian, e))?;
        for (path, contents) in &self.files {
            let p = root.join(path.trim_start_matches('/'));
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            fs::write(&p, contents).map_err(|e| Error::io(&p, e))?;
        }
        fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
        let out = out_dir.join(format!(
            "{}_{}_{}.deb",
            self.name, self.version, self.architecture
        ));
        run(Command::new(bin)
            .args(["--root-owner-group", "-Zgzip", "--build"])
            .arg(&root)
            .arg(&out))?;
        Ok(out)
    }
}

/// A local apt repository served on `http://127.0.0.1:PORT/`. Stopped and
/// removed on drop.
pub struct AptRepo {
    // Field order matters: stop serving before the directory goes.
    server: StaticServer,
    signer: Signer,
    sup: Supervisor,
    lock: Mutex<()>,
}

/// The repository's throwaway signing key, in a private `GNUPGHOME`.
struct Signer {
    home: PathBuf,
    fingerprint: String,
    public_key: Vec<u8>,
}

impl Signer {
    /// Generates an ed25519 signing key (no passphrase, no expiry) in `home`.
    fn generate(home: PathBuf) -> Result<Self> {
        require(GPG, "gpg")?;
        fs::create_dir_all(&home).map_err(|e| Error::io(&home, e))?;
        fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(|e| Error::io(&home, e))?;
        let mut signer = Self {
            home,
            fingerprint: String::new(),
            public_key: Vec::new(),
        };
        signer.gpg(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            "drydock rig <rig@drydock.invalid>",
            "ed25519",
            "sign",
            "never",
        ])?;
        let listing =
            String::from_utf8_lossy(&signer.gpg(&["--with-colons", "--list-secret-keys"])?)
                .into_owned();
        signer.fingerprint = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .map(|rest| rest.trim_matches(':').to_owned())
            .ok_or_else(|| Error::new(format!("gpg listed no key fingerprint: {listing}")))?;
        signer.public_key = signer.gpg(&["--export", &signer.fingerprint.clone()])?;
        Ok(signer)
    }

    /// Writes `InRelease` and `Release.gpg` next to `release`.
    fn sign(&self, release: &Path) -> Result<()> {
        let dir = release.parent().unwrap_or(Path::new("."));
        for (name, mode) in [
            ("InRelease", "--clearsign"),
            ("Release.gpg", "--detach-sign"),
        ] {
            let tmp = dir.join(format!("{name}.rig-tmp"));
            let (tmp_s, release_s) = (tmp.to_string_lossy(), release.to_string_lossy());
            self.gpg(&[
                "--armor",
                "--digest-algo",
                "SHA512",
                "--local-user",
                &self.fingerprint,
                "--output",
                &tmp_s,
                mode,
                &release_s,
            ])?;
            fs::rename(&tmp, dir.join(name)).map_err(|e| Error::io(&tmp, e))?;
        }
        Ok(())
    }

    fn gpg(&self, args: &[&str]) -> Result<Vec<u8>> {
        run(Command::new(GPG)
            .arg("--homedir")
            .arg(&self.home)
            .args([
                "--batch",
                "--yes",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
            ])
            .args(args))
    }
}

impl Drop for Signer {
    /// Stops the gpg-agent that gpg started for the secret-key operations (stopping it after
    /// each operation races with the next one, which may reach the dying agent).
    fn drop(&mut self) {
        let _ = Command::new(GPGCONF)
            .arg("--homedir")
            .arg(&self.home)
            .args(["--kill", "gpg-agent"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl AptRepo {
    /// Creates an empty repository (empty `drydock` suite) and serves it.
    pub fn start() -> Result<Self> {
        require(DPKG_DEB, "dpkg")?;
        require(APT_FTPARCHIVE, "apt-utils")?;
        let sup = Supervisor::new("apt")?;
        let root = sup.dir().join("repo");
        fs::create_dir_all(&root).map_err(|e| Error::io(&root, e))?;
        let signer = Signer::generate(sup.dir().join("gnupg"))?;
        let server = StaticServer::start(root)?;
        let repo = Self {
            server,
            signer,
            sup,
            lock: Mutex::new(()),
        };
        repo.regenerate(DEFAULT_SUITE)?;
        Ok(repo)
    }

    /// Repository root directory (bind-mount it to use it as a `file:` source).
    pub fn root(&self) -> PathBuf {
        self.sup.dir().join("repo")
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// `deb [trusted=yes] http://127.0.0.1:PORT <suite> main`.
    pub fn sources_line(&self, suite: &str) -> String {
        format!("deb [trusted=yes] {} {suite} {COMPONENT}", self.url())
    }

    /// The public key that signs the repository, as a binary OpenPGP keyring
    /// (what apt's `signed-by=` accepts as a `.gpg` file).
    pub fn public_key(&self) -> &[u8] {
        &self.signer.public_key
    }

    /// `deb [signed-by=<keyring>] http://127.0.0.1:PORT <suite> main`: apt
    /// checks `InRelease` against `keyring`, a path (in the image) holding
    /// [`Self::public_key`].
    pub fn signed_sources_line(&self, suite: &str, keyring: &str) -> String {
        format!(
            "deb [signed-by={keyring}] {} {suite} {COMPONENT}",
            self.url()
        )
    }

    /// `deb [trusted=yes] file:<mount_point> <suite> main`, for a container
    /// that bind-mounts [`Self::root`] at `mount_point`.
    pub fn file_sources_line(mount_point: &str, suite: &str) -> String {
        format!("deb [trusted=yes] file:{mount_point} {suite} {COMPONENT}")
    }

    /// Builds `name version` (see [`DebPackage::new`]) into the default suite
    /// and regenerates its index. Returns the `.deb` path.
    pub fn publish(&self, name: &str, version: &str) -> Result<PathBuf> {
        self.publish_to(DEFAULT_SUITE, &DebPackage::new(name, version))
    }

    /// Builds `pkg` into `suite` (created if new) and regenerates its index.
    pub fn publish_to(&self, suite: &str, pkg: &DebPackage) -> Result<PathBuf> {
        check_name(suite)?;
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let deb = pkg.build(&self.root().join("pool").join(suite))?;
        self.regenerate_locked(suite)?;
        Ok(deb)
    }

    /// Regenerates `Packages`, `Packages.gz`, `Release`, `InRelease` and
    /// `Release.gpg` of `suite`.
    pub fn regenerate(&self, suite: &str) -> Result<()> {
        check_name(suite)?;
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.regenerate_locked(suite)
    }

    fn regenerate_locked(&self, suite: &str) -> Result<()> {
        let ftp = require(APT_FTPARCHIVE, "apt-utils")?;
        let root = self.root();
        let pool = root.join("pool").join(suite);
        let bin_dir = root
            .join("dists")
            .join(suite)
            .join(COMPONENT)
            .join(format!("binary-{ARCH}"));
        fs::create_dir_all(&pool).map_err(|e| Error::io(&pool, e))?;
        fs::create_dir_all(&bin_dir).map_err(|e| Error::io(&bin_dir, e))?;
        // Paths in Packages are relative to the repository root.
        let packages = run(Command::new(&ftp)
            .current_dir(&root)
            .args(["packages", &format!("pool/{suite}")]))?;
        write_atomic(&bin_dir.join("Packages"), &packages)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &packages).map_err(|e| Error::new(e.to_string()))?;
        let gz = gz.finish().map_err(|e| Error::new(e.to_string()))?;
        write_atomic(&bin_dir.join("Packages.gz"), &gz)?;
        let dist = root.join("dists").join(suite);
        // Write Release outside dists/<suite> first so it does not index itself.
        let _ = fs::remove_file(dist.join("Release"));
        let release = run(Command::new(&ftp)
            .current_dir(&root)
            .arg("-o")
            .arg(format!("APT::FTPArchive::Release::Suite={suite}"))
            .arg("-o")
            .arg(format!("APT::FTPArchive::Release::Codename={suite}"))
            .arg("-o")
            .arg(format!("APT::FTPArchive::Release::Components={COMPONENT}"))
            .arg("-o")
            .arg(format!(
                "APT::FTPArchive::Release::Architectures={ARCH} all"
            ))
            .arg("-o")
            .arg("APT::FTPArchive::Release::Origin=drydock-rig")
            .arg("-o")
            .arg("APT::FTPArchive::Release::Label=drydock-rig")
            .args(["release", &format!("dists/{suite}")]))?;
        write_atomic(&dist.join("Release"), &release)?;
        self.signer.sign(&dist.join("Release"))
    }

    /// Stops serving and removes the repository. Also done on drop.
    pub fn stop(self) {}
}

fn check_name(s: &str) -> Result<()> {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && s != ".."
    {
        Ok(())
    } else {
        Err(Error::new(format!("invalid apt suite name {s:?}")))
    }
}

fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".rig-tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, data).map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

fn run(cmd: &mut Command) -> Result<Vec<u8>> {
    let o = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::new(format!("cannot run {cmd:?}: {e}")))?;
    if !o.status.success() {
        return Err(Error::new(format!(
            "{cmd:?} failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        )));
    }
    Ok(o.stdout)
}
