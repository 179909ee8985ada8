//! A private Docker Engine: Debian's `dockerd` with its own containerd, all
//! state under one private directory, reachable only via a unix socket.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::http;
use crate::proc::{Supervisor, require, wait_until};
use crate::{Error, Result};

const DOCKERD: &str = "/usr/sbin/dockerd";
/// Debian's docker.io client. (A newer client elsewhere on PATH may insist on
/// a buildx plugin, so the rig always uses this one.)
pub const DOCKER: &str = "/usr/bin/docker";
const CONTAINERD: &str = "/usr/bin/containerd";
const RUNC: &str = "/usr/sbin/runc";

/// Network mode for builds and containers. The engine runs with
/// `--bridge=none`, so Docker's default bridge network does not exist:
/// choose `None` (default, fully offline) or `Host` (shares the host's
/// loopback, e.g. to reach the rig's apt repository or registry).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Network {
    /// `--network=none`.
    #[default]
    None,
    /// `--network=host`.
    Host,
}

impl Network {
    fn arg(self) -> &'static str {
        match self {
            Network::None => "--network=none",
            Network::Host => "--network=host",
        }
    }
}

/// What to build.
#[derive(Debug, Clone)]
pub enum BuildInput {
    /// A context directory containing a `Dockerfile`.
    Dir(PathBuf),
    /// Dockerfile text; the build context is an otherwise empty temp dir.
    Dockerfile(String),
    /// A context directory plus Dockerfile text (the text wins over any
    /// `Dockerfile` in the directory).
    DirWithDockerfile(PathBuf, String),
}

/// Options for [`Engine::build`].
#[derive(Debug, Clone, Default)]
pub struct BuildOpts {
    /// `--secret id=<id>,src=<path>`.
    pub secrets: Vec<(String, PathBuf)>,
    /// `--build-arg K=V`.
    pub build_args: Vec<(String, String)>,
    /// `--network=host` instead of the default `--network=none`.
    pub network_host: bool,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--target`.
    pub target: Option<String>,
    /// Anything else, appended verbatim before the context argument.
    pub extra_args: Vec<String>,
}

/// Result of a successful build.
#[derive(Debug, Clone)]
pub struct BuildOutput {
    /// `sha256:…` image id (from `--iidfile`).
    pub image_id: String,
    /// The full BuildKit `--progress=plain` output (stderr + stdout).
    pub log: String,
}

impl BuildOutput {
    /// BuildKit's step titles for steps reported as `CACHED`, e.g.
    /// `[stage-0 2/3] RUN apt-get update`.
    pub fn cached_steps(&self) -> Vec<String> {
        steps_with(&self.log, |l| l.ends_with(" CACHED"))
    }

    /// Step titles of steps that actually ran (reported `DONE`, not cached).
    pub fn executed_steps(&self) -> Vec<String> {
        steps_with(&self.log, |l| l.contains(" DONE "))
    }
}

fn steps_with(log: &str, pred: impl Fn(&str) -> bool) -> Vec<String> {
    // "#5 [stage-0 2/3] RUN …" introduces step 5; "#5 CACHED" / "#5 DONE 0.1s" closes it.
    let mut titles = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for l in log.lines() {
        let Some(rest) = l.strip_prefix('#') else {
            continue;
        };
        let Some((num, text)) = rest.split_once(' ') else {
            continue;
        };
        if text.starts_with('[') {
            titles.insert(num.to_owned(), text.to_owned());
        } else if pred(l)
            && let Some(t) = titles.get(num)
            && !out.contains(t)
        {
            out.push(t.clone());
        }
    }
    out
}

/// A bind mount for [`RunOpts`].
#[derive(Debug, Clone)]
pub struct Mount {
    /// Host path.
    pub source: PathBuf,
    /// Path inside the container.
    pub target: String,
    /// Mount read-only.
    pub read_only: bool,
}

impl Mount {
    /// A read-only bind mount.
    pub fn ro(source: impl Into<PathBuf>, target: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            target: target.into(),
            read_only: true,
        }
    }

    /// A read-write bind mount.
    pub fn rw(source: impl Into<PathBuf>, target: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            target: target.into(),
            read_only: false,
        }
    }
}

/// Options for [`Engine::run`]; the container is always `--rm`.
#[derive(Debug, Clone, Default)]
pub struct RunOpts {
    /// Default `Network::None`.
    pub network: Network,
    /// Bind mounts.
    pub mounts: Vec<Mount>,
    /// `-e K=V`.
    pub env: Vec<(String, String)>,
    /// `--entrypoint`.
    pub entrypoint: Option<String>,
    /// `--user`.
    pub user: Option<String>,
}

/// Captured result of a process run.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
}

impl RunOutput {
    /// `code == 0`.
    pub fn success(&self) -> bool {
        self.code == 0
    }

    fn from_output(o: Output) -> Self {
        Self {
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            code: o.status.code().unwrap_or(-1),
        }
    }
}

/// A running private `dockerd` (+ its own `containerd`). Stopped on drop.
pub struct Engine {
    sup: Supervisor,
    socket: PathBuf,
}

impl Engine {
    /// Starts containerd and dockerd in a fresh private directory and waits
    /// until `GET /_ping` answers `OK`.
    pub fn start() -> Result<Self> {
        let dockerd = require(DOCKERD, "docker.io")?;
        require(DOCKER, "docker.io")?;
        let containerd = require(CONTAINERD, "containerd")?;
        require(RUNC, "runc")?;
        let sup = Supervisor::new("engine")?;
        let d = sup.dir().to_path_buf();
        let ctrd_dir = d.join("containerd");
        for sub in [
            "data",
            "exec",
            "containerd/root",
            "containerd/state",
            "containerd/opt",
            "client",
        ] {
            fs::create_dir_all(d.join(sub)).map_err(|e| Error::io(&d.join(sub), e))?;
        }
        // Our own containerd: if a system containerd is running, dockerd 20.10
        // would otherwise attach to /run/containerd/containerd.sock and share
        // its "moby" namespace with the system's Docker.
        let ctrd_sock = ctrd_dir.join("containerd.sock");
        let toml = format!(
            "version = 2\nroot = {root:?}\nstate = {state:?}\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = {sock:?}\n[ttrpc]\n  address = \"\"\n\
             [debug]\n  address = \"\"\n  level = \"info\"\n[metrics]\n  address = \"\"\n\
             [plugins.\"io.containerd.internal.v1.opt\"]\n  path = {opt:?}\n",
            root = ctrd_dir.join("root").to_string_lossy(),
            state = ctrd_dir.join("state").to_string_lossy(),
            sock = ctrd_sock.to_string_lossy(),
            opt = ctrd_dir.join("opt").to_string_lossy(),
        );
        let toml_path = ctrd_dir.join("config.toml");
        fs::write(&toml_path, toml).map_err(|e| Error::io(&toml_path, e))?;
        let mut cmd = Command::new(&containerd);
        cmd.arg("--config").arg(&toml_path);
        sup.spawn("containerd", cmd)?;
        wait_until("containerd socket", Duration::from_secs(30), || {
            sup.check_alive("containerd")?;
            Ok(ctrd_sock.exists().then_some(()))
        })?;

        // Our own daemon.json, so the host's /etc/docker/daemon.json is ignored;
        // it also keeps dockerd 20.10's identity key out of /etc/docker.
        let daemon_json = d.join("daemon.json");
        let cfg = serde_json::json!({ "deprecated-key-path": d.join("key.json") });
        fs::write(&daemon_json, cfg.to_string()).map_err(|e| Error::io(&daemon_json, e))?;
        let socket = d.join("docker.sock");
        let mut cmd = Command::new(&dockerd);
        cmd.arg("--host")
            .arg(format!("unix://{}", socket.display()))
            .arg("--config-file")
            .arg(&daemon_json)
            .arg("--containerd")
            .arg(&ctrd_sock)
            .arg("--data-root")
            .arg(d.join("data"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("docker.pid"))
            .arg(format!("--cgroup-parent={}", sup.tag()))
            .args([
                "--bridge=none",
                "--iptables=false",
                "--ip6tables=false",
                "--ip-masq=false",
            ])
            // 127.0.0.0/8 is insecure by default; stated explicitly anyway.
            .arg("--insecure-registry=127.0.0.0/8");
        sup.spawn("dockerd", cmd)?;
        wait_until("dockerd /_ping", Duration::from_secs(60), || {
            sup.check_alive("dockerd")?;
            Ok(http::request_unix(&socket, "GET", "/_ping")
                .ok()
                .filter(|r| r.status == 200 && r.body == b"OK")
                .map(|_| ()))
        })?;
        Ok(Self { sup, socket })
    }

    /// `unix:///…/docker.sock`, for `DOCKER_HOST`.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// Path of the engine's unix socket (for Engine API calls).
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The engine's private directory (logs: `dockerd.log`, `containerd.log`).
    pub fn dir(&self) -> &Path {
        self.sup.dir()
    }

    /// A `/usr/bin/docker` command aimed at this engine (`DOCKER_HOST`,
    /// `DOCKER_BUILDKIT=1`, a private `DOCKER_CONFIG`).
    pub fn docker(&self) -> Command {
        let mut c = Command::new(DOCKER);
        c.env("DOCKER_HOST", self.docker_host())
            .env("DOCKER_BUILDKIT", "1")
            .env("DOCKER_CONFIG", self.sup.dir().join("client"))
            .env("BUILDKIT_PROGRESS", "plain")
            .stdin(Stdio::null());
        c
    }

    /// Runs `docker <args>`, failing (with its output) on a non-zero exit.
    pub fn docker_ok(&self, args: &[&str]) -> Result<RunOutput> {
        let out = self.docker_raw(args)?;
        if out.success() {
            Ok(out)
        } else {
            Err(Error::new(format!(
                "docker {} failed (exit {}):\n{}\n{}",
                args.join(" "),
                out.code,
                out.stdout,
                out.stderr
            )))
        }
    }

    /// Runs `docker <args>` and returns its output whatever the exit code.
    pub fn docker_raw(&self, args: &[&str]) -> Result<RunOutput> {
        let o = self
            .docker()
            .args(args)
            .output()
            .map_err(|e| Error::new(format!("cannot run {DOCKER}: {e}")))?;
        Ok(RunOutput::from_output(o))
    }

    /// BuildKit build (`docker build --progress=plain`), tagged `tag`.
    pub fn build(&self, input: &BuildInput, tag: &str, opts: &BuildOpts) -> Result<BuildOutput> {
        let tmp = tempfile::Builder::new()
            .prefix("drydock-rig-build-")
            .tempdir()
            .map_err(|e| Error::new(format!("tempdir: {e}")))?;
        let (context, dockerfile) = match input {
            BuildInput::Dir(d) => (d.clone(), None),
            BuildInput::Dockerfile(text) => (tmp.path().join("ctx"), Some(text)),
            BuildInput::DirWithDockerfile(d, text) => (d.clone(), Some(text)),
        };
        fs::create_dir_all(&context).map_err(|e| Error::io(&context, e))?;
        let iid = tmp.path().join("iid");
        let mut args: Vec<String> = vec![
            "build".into(),
            "--progress=plain".into(),
            "--iidfile".into(),
            iid.to_string_lossy().into_owned(),
            "-t".into(),
            tag.into(),
            if opts.network_host {
                Network::Host
            } else {
                Network::None
            }
            .arg()
            .into(),
        ];
        if let Some(text) = dockerfile {
            let df = tmp.path().join("Dockerfile");
            fs::write(&df, text).map_err(|e| Error::io(&df, e))?;
            args.push("-f".into());
            args.push(df.to_string_lossy().into_owned());
        }
        for (id, path) in &opts.secrets {
            args.push("--secret".into());
            args.push(format!("id={id},src={}", path.display()));
        }
        for (k, v) in &opts.build_args {
            args.push("--build-arg".into());
            args.push(format!("{k}={v}"));
        }
        if opts.no_cache {
            args.push("--no-cache".into());
        }
        if let Some(t) = &opts.target {
            args.push("--target".into());
            args.push(t.clone());
        }
        args.extend(opts.extra_args.iter().cloned());
        args.push(context.to_string_lossy().into_owned());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.docker_raw(&argv)?;
        let log = format!("{}{}", out.stderr, out.stdout);
        if !out.success() {
            return Err(Error::new(format!(
                "docker build -t {tag} failed (exit {}):\n{log}",
                out.code
            )));
        }
        let image_id = fs::read_to_string(&iid)
            .map_err(|e| Error::io(&iid, e))?
            .trim()
            .to_owned();
        Ok(BuildOutput { image_id, log })
    }

    /// `docker save -o <path> <image>` (a docker-archive tarball).
    pub fn save(&self, image: &str, path: &Path) -> Result<()> {
        self.docker_ok(&["save", "-o", &path.to_string_lossy(), image])
            .map(|_| ())
    }

    /// `docker tag`.
    pub fn tag(&self, src: &str, dst: &str) -> Result<()> {
        self.docker_ok(&["tag", src, dst]).map(|_| ())
    }

    /// `docker push <image>`; returns the manifest digest (`sha256:…`)
    /// reported by the push.
    pub fn push(&self, image: &str) -> Result<String> {
        let out = self.docker_ok(&["push", image])?;
        out.stdout
            .split_whitespace()
            .skip_while(|w| *w != "digest:")
            .nth(1)
            .map(str::to_owned)
            .ok_or_else(|| Error::new(format!("no digest in docker push output:\n{}", out.stdout)))
    }

    /// `docker pull` (only sensible from the rig's loopback registry).
    pub fn pull(&self, image: &str) -> Result<()> {
        self.docker_ok(&["pull", "-q", image]).map(|_| ())
    }

    /// `docker import <tarball> <reference>` with `CMD ["/bin/bash"]`;
    /// returns the image id.
    pub fn import(&self, tarball: &Path, reference: &str) -> Result<String> {
        let out = self.docker_ok(&[
            "import",
            "--change",
            "CMD [\"/bin/bash\"]",
            &tarball.to_string_lossy(),
            reference,
        ])?;
        Ok(out.stdout.trim().to_owned())
    }

    /// The image id (`sha256:…`) of a local image.
    pub fn image_id(&self, image: &str) -> Result<String> {
        Ok(self
            .docker_ok(&["image", "inspect", "-f", "{{.Id}}", image])?
            .stdout
            .trim()
            .to_owned())
    }

    /// `docker run --rm` with the given options; returns output and exit code
    /// (a non-zero exit is *not* an error, so tests can assert on it).
    pub fn run(&self, image: &str, args: &[&str], opts: &RunOpts) -> Result<RunOutput> {
        let mut argv: Vec<String> = vec!["run".into(), "--rm".into(), opts.network.arg().into()];
        for m in &opts.mounts {
            argv.push("--mount".into());
            argv.push(format!(
                "type=bind,source={},target={}{}",
                m.source.display(),
                m.target,
                if m.read_only { ",readonly" } else { "" }
            ));
        }
        for (k, v) in &opts.env {
            argv.push("-e".into());
            argv.push(format!("{k}={v}"));
        }
        if let Some(e) = &opts.entrypoint {
            argv.push("--entrypoint".into());
            argv.push(e.clone());
        }
        if let Some(u) = &opts.user {
            argv.push("--user".into());
            argv.push(u.clone());
        }
        argv.push(image.into());
        argv.extend(args.iter().map(|s| (*s).to_owned()));
        let a: Vec<&str> = argv.iter().map(String::as_str).collect();
        self.docker_raw(&a)
    }

    /// Last lines of dockerd's log (for diagnostics).
    pub fn log_tail(&self) -> String {
        self.sup.log_tail("dockerd")
    }

    /// Stops dockerd, then containerd (SIGTERM, wait, SIGKILL), sweeps
    /// leftovers and removes the directory. Also done on drop.
    pub fn stop(&self) {
        self.sup.shutdown();
    }
}
