//! The Docker client drydock drives: `docker buildx build --load` where the
//! buildx plugin exists, else `docker build` with `DOCKER_BUILDKIT=1` (the
//! engine's built-in BuildKit, e.g. Debian's docker.io 20.10).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::{Error, Result};

/// A Docker client program.
#[derive(Debug, Clone)]
pub struct Docker {
    program: PathBuf,
    buildx: bool,
}

/// What `docker image inspect` tells about an image.
#[derive(Debug, Clone, Default)]
pub struct LocalImage {
    /// Image id (`sha256:…`).
    pub id: String,
    /// Config labels.
    pub labels: BTreeMap<String, String>,
    /// `repo@sha256:…` for each registry it was pushed to or pulled from.
    pub repo_digests: Vec<String>,
}

/// A `docker build` to run.
#[derive(Debug, Clone, Default)]
pub struct BuildCommand {
    /// Build context directory.
    pub context: PathBuf,
    /// The Dockerfile to use (drydock's generated one).
    pub dockerfile: PathBuf,
    /// `-t`.
    pub tags: Vec<String>,
    /// `--build-arg`.
    pub build_args: Vec<(String, String)>,
    /// `--secret` specifications, passed verbatim (`id=…,src=…` / `id=…,env=…`).
    pub secrets: Vec<String>,
    /// `--label`.
    pub labels: Vec<(String, String)>,
    /// `--target`.
    pub target: Option<String>,
    /// `--platform`.
    pub platform: Option<String>,
    /// `--network`.
    pub network: Option<String>,
    /// `--pull --no-cache`.
    pub full: bool,
}

/// The result of a build.
#[derive(Debug, Clone)]
pub struct BuildResult {
    /// Image id (`sha256:…`).
    pub image_id: String,
    /// BuildKit's plain progress output.
    pub log: String,
}

impl BuildResult {
    /// Steps BuildKit took from its cache (`[stage 2/4] RUN …`).
    pub fn cached_steps(&self) -> Vec<String> {
        steps_where(&self.log, |status| status == "CACHED")
    }

    /// Steps that ran.
    pub fn executed_steps(&self) -> Vec<String> {
        steps_where(&self.log, |status| status.starts_with("DONE"))
    }
}

/// BuildKit's plain progress: `#7 [runtime 2/3] RUN …` opens step 7,
/// `#7 CACHED` or `#7 DONE 1.2s` closes it.
fn steps_where(log: &str, closes: impl Fn(&str) -> bool) -> Vec<String> {
    let mut titles: BTreeMap<&str, &str> = BTreeMap::new();
    let mut out: Vec<String> = Vec::new();
    for line in log.lines() {
        let Some((number, text)) = line.strip_prefix('#').and_then(|l| l.split_once(' ')) else {
            continue;
        };
        if text.starts_with('[') {
            titles.insert(number, text);
        } else if closes(text)
            && let Some(title) = titles.get(number)
            && !out.iter().any(|t| t == title)
        {
            out.push((*title).to_owned());
        }
    }
    out.retain(|t| !t.starts_with("[internal]"));
    out
}

impl Docker {
    /// `program` (default: `docker` on `PATH`), using buildx when its plugin answers.
    pub fn new(program: Option<PathBuf>) -> Docker {
        let program = program.unwrap_or_else(|| PathBuf::from("docker"));
        let buildx = Command::new(&program)
            .args(["buildx", "version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        Docker { program, buildx }
    }

    /// The program.
    pub fn program(&self) -> &Path {
        &self.program
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.env("DOCKER_BUILDKIT", "1");
        c
    }

    fn run(&self, args: &[&str]) -> Result<std::process::Output> {
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::Docker {
                command: format!("{} {}", self.program.display(), args.join(" ")),
                message: e.to_string(),
            })
    }

    /// `docker image inspect`; `None` when the engine has no such image.
    ///
    /// # Errors
    /// The client cannot run or the engine answers with another error.
    pub fn inspect(&self, image: &str) -> Result<Option<LocalImage>> {
        let out = self.run(&["image", "inspect", "--format", "{{json .}}", image])?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            if stderr.contains("No such image") || stderr.contains("No such object") {
                return Ok(None);
            }
            return Err(Error::Docker {
                command: format!("docker image inspect {image}"),
                message: stderr.trim().to_owned(),
            });
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Inspect {
            id: String,
            #[serde(default)]
            repo_digests: Vec<String>,
            config: Option<Config>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Config {
            labels: Option<BTreeMap<String, String>>,
        }
        let parsed: Inspect = serde_json::from_slice(&out.stdout).map_err(|e| Error::Docker {
            command: format!("docker image inspect {image}"),
            message: format!("unexpected output: {e}"),
        })?;
        Ok(Some(LocalImage {
            id: parsed.id,
            labels: parsed.config.and_then(|c| c.labels).unwrap_or_default(),
            repo_digests: parsed.repo_digests,
        }))
    }

    /// Runs the build, passing each progress line to `progress` as it comes.
    ///
    /// # Errors
    /// The build fails (the message ends with BuildKit's last lines).
    pub fn build(
        &self,
        build: &BuildCommand,
        progress: &mut dyn FnMut(&str),
    ) -> Result<BuildResult> {
        let iid = tempfile::NamedTempFile::new().map_err(|e| Error::Docker {
            command: "docker build".into(),
            message: format!("cannot create the image id file: {e}"),
        })?;
        let mut args: Vec<String> = Vec::new();
        if self.buildx {
            args.extend(["buildx".into(), "build".into(), "--load".into()]);
        } else {
            args.push("build".into());
        }
        args.extend([
            "--progress=plain".into(),
            "--iidfile".into(),
            iid.path().display().to_string(),
            "-f".into(),
            build.dockerfile.display().to_string(),
        ]);
        for tag in &build.tags {
            args.extend(["-t".into(), tag.clone()]);
        }
        for (k, v) in &build.build_args {
            args.extend(["--build-arg".into(), format!("{k}={v}")]);
        }
        for s in &build.secrets {
            args.extend(["--secret".into(), s.clone()]);
        }
        for (k, v) in &build.labels {
            args.extend(["--label".into(), format!("{k}={v}")]);
        }
        if let Some(t) = &build.target {
            args.extend(["--target".into(), t.clone()]);
        }
        if let Some(p) = &build.platform {
            args.extend(["--platform".into(), p.clone()]);
        }
        if let Some(n) = &build.network {
            args.push(format!("--network={n}"));
        }
        if build.full {
            args.extend(["--pull".into(), "--no-cache".into()]);
        }
        args.push(build.context.display().to_string());
        let shown = format!("{} {}", self.program.display(), args.join(" "));
        let mut child = self
            .command()
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Docker {
                command: shown.clone(),
                message: e.to_string(),
            })?;
        let stdout = child.stdout.take().expect("piped");
        let stdout_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut BufReader::new(stdout), &mut s);
            s
        });
        let mut log = String::new();
        for line in BufReader::new(child.stderr.take().expect("piped")).lines() {
            let line = line.unwrap_or_default();
            progress(&line);
            log.push_str(&line);
            log.push('\n');
        }
        let status = child.wait().map_err(|e| Error::Docker {
            command: shown.clone(),
            message: e.to_string(),
        })?;
        log.push_str(&stdout_reader.join().unwrap_or_default());
        if !status.success() {
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            return Err(Error::BuildFailed {
                status: status.code().unwrap_or(-1),
                tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
            });
        }
        let image_id = std::fs::read_to_string(iid.path())
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        if image_id.is_empty() {
            return Err(Error::Docker {
                command: shown,
                message: "the build wrote no image id".into(),
            });
        }
        Ok(BuildResult { image_id, log })
    }

    /// `docker push`; returns the pushed manifest digest.
    ///
    /// # Errors
    /// The push fails or prints no digest.
    pub fn push(&self, tag: &str) -> Result<String> {
        let out = self.run(&["push", tag])?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(Error::Docker {
                command: format!("docker push {tag}"),
                message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        stdout
            .split_whitespace()
            .skip_while(|w| *w != "digest:")
            .nth(1)
            .map(str::to_owned)
            .ok_or_else(|| Error::Docker {
                command: format!("docker push {tag}"),
                message: format!("no digest in its output: {}", stdout.trim()),
            })
    }

    /// `docker save -o PATH IMAGE`.
    ///
    /// # Errors
    /// The save fails.
    pub fn save(&self, image: &str, path: &Path) -> Result<()> {
        let out = self.run(&["save", "-o", &path.display().to_string(), image])?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Error::Docker {
                command: format!("docker save {image}"),
                message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_and_executed_steps_from_plain_progress() {
        let log = "\
#1 [internal] load build definition from Dockerfile
#1 DONE 0.0s
#5 [build 1/2] FROM 127.0.0.1:5000/base:1@sha256:aa
#5 CACHED
#6 [build 2/2] RUN make
#6 CACHED
#7 [runtime 2/3] RUN apt-get install -y demo
#7 0.512 Reading package lists...
#7 DONE 3.1s
";
        let result = BuildResult {
            image_id: "sha256:1".into(),
            log: log.into(),
        };
        assert_eq!(
            result.cached_steps(),
            vec![
                "[build 1/2] FROM 127.0.0.1:5000/base:1@sha256:aa",
                "[build 2/2] RUN make"
            ]
        );
        assert_eq!(
            result.executed_steps(),
            vec!["[runtime 2/3] RUN apt-get install -y demo"]
        );
    }
}
