//! A private PostgreSQL cluster on 127.0.0.1 (Debian's `postgresql`).
//!
//! `initdb` into the component's private directory, then `postgres` on a
//! free loopback port with its unix socket in that directory too, trust
//! authentication for the user `drydock`, durability off (`fsync=off`: test
//! data only). PostgreSQL refuses to run as root, so when the rig is root
//! the server runs as the `postgres` user (via `setpriv`, which execs, so
//! the recorded pid is the postmaster) and the directory is handed to it.
//! Cleanup is the rig's usual: process group + watchdog, directory removed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::proc::{Supervisor, require, wait_until};
use crate::registry::free_port;
use crate::{Error, Result};

/// The superuser the cluster is initialised with.
pub const USER: &str = "drydock";

/// A running cluster. Stopped (and its data removed) on drop.
pub struct Postgres {
    sup: Supervisor,
    addr: SocketAddr,
    bin: PathBuf,
}

/// The newest `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map_err(|_| {
            Error::new("PostgreSQL not found in /usr/lib/postgresql: apt-get install postgresql (or run .ci/install-deps)")
        })?
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .collect();
    versions.sort();
    let (_, bin) = versions.pop().ok_or_else(|| {
        Error::new("no PostgreSQL version under /usr/lib/postgresql: apt-get install postgresql")
    })?;
    require(&bin.join("initdb").to_string_lossy(), "postgresql")?;
    Ok(bin)
}

/// `(uid, gid)` of the `postgres` user when running as root, else `None`.
fn run_as() -> Result<Option<(u32, u32)>> {
    let out = |args: &[&str]| -> Result<String> {
        let o = Command::new("/usr/bin/id")
            .args(args)
            .output()
            .map_err(|e| Error::new(format!("id: {e}")))?;
        if !o.status.success() {
            return Err(Error::new(format!(
                "id {args:?}: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    if out(&["-u"])? != "0" {
        return Ok(None);
    }
    let uid = out(&["-u", "postgres"])?
        .parse()
        .map_err(|_| Error::new("id -u postgres: not a number"))?;
    let gid = out(&["-g", "postgres"])?
        .parse()
        .map_err(|_| Error::new("id -g postgres: not a number"))?;
    Ok(Some((uid, gid)))
}

fn command(bin: &Path, user: Option<(u32, u32)>) -> Command {
    match user {
        Some((uid, gid)) => {
            let mut c = Command::new("/usr/bin/setpriv");
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .arg("--clear-groups")
                .arg("--")
                .arg(bin);
            c
        }
        None => Command::new(bin),
    }
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|e| Error::io(path, e))?;
    if path.is_dir() {
        for e in std::fs::read_dir(path)
            .map_err(|e| Error::io(path, e))?
            .flatten()
        {
            chown_tree(&e.path(), uid, gid)?;
        }
    }
    Ok(())
}

impl Postgres {
    /// Initialises and starts a cluster; waits until it accepts queries.
    pub fn start() -> Result<Self> {
        let bin = bin_dir()?;
        let user = run_as()?;
        let sup = Supervisor::new("pg")?;
        let data = sup.dir().join("data");
        if let Some((uid, gid)) = user {
            chown_tree(sup.dir(), uid, gid)?;
        }
        let init = command(&bin.join("initdb"), user)
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ])
            .env("LC_ALL", "C")
            .output()
            .map_err(|e| Error::new(format!("initdb: {e}")))?;
        if !init.status.success() {
            return Err(Error::new(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&init.stderr).trim()
            )));
        }
        let mut last = None;
        for attempt in 0..5 {
            let addr = free_port()?;
            let name = format!("postgres-{attempt}");
            let mut cmd = command(&bin.join("postgres"), user);
            cmd.arg("-D")
                .arg(&data)
                .arg("-k")
                .arg(sup.dir())
                .args(["-h", "127.0.0.1", "-p", &addr.port().to_string()])
                .args([
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                ])
                .args(["-c", "max_connections=200"])
                .env("LC_ALL", "C");
            sup.spawn(&name, cmd)?;
            let psql = bin.join("psql");
            let ready = wait_until(
                "postgres to accept queries",
                Duration::from_secs(30),
                || {
                    sup.check_alive(&name)?;
                    let ok = Command::new(&psql)
                        .args([
                            "-h",
                            "127.0.0.1",
                            "-p",
                            &addr.port().to_string(),
                            "-U",
                            USER,
                        ])
                        .args(["-d", "postgres", "-tAc", "SELECT 1"])
                        .output()
                        .map(|o| o.status.success())
                        .unwrap_or(false);
                    Ok(ok.then_some(()))
                },
            );
            match ready {
                Ok(()) => return Ok(Self { sup, addr, bin }),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::new("postgres did not start")))
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `postgres://drydock@127.0.0.1:PORT/<database>`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{USER}@{}/{database}", self.addr)
    }

    /// Creates an empty database `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String> {
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::new(format!("database name {name:?}: use [a-z0-9_]")));
        }
        let o = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.addr.port().to_string(),
                "-U",
                USER,
            ])
            .args(["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c"])
            .arg(format!("CREATE DATABASE {name}"))
            .output()
            .map_err(|e| Error::new(format!("psql: {e}")))?;
        if !o.status.success() {
            return Err(Error::new(format!(
                "CREATE DATABASE {name}: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )));
        }
        Ok(self.url(name))
    }

    /// The cluster's private directory (data, socket, `postgres-*.log`).
    pub fn dir(&self) -> &Path {
        self.sup.dir()
    }

    /// Stops the server and removes its data. Also done on drop.
    pub fn stop(&self) {
        self.sup.shutdown();
    }
}
