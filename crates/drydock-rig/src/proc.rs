//! Process supervision: every long-running process the rig starts lives in
//! its own process group and is paired with a *watchdog* that cleans up when
//! the owning test process goes away, however it goes away.
//!
//! The watchdog is a tiny `/bin/sh` script (its own process group, so a
//! terminal Ctrl-C does not reach it) whose stdin is a pipe whose only write
//! end is held by the rig. When the rig is dropped — or the test process
//! exits, panics, aborts or is killed — the kernel closes that pipe, the
//! watchdog's `read` returns, and it
//!
//! 1. sends SIGTERM to the recorded process groups, waits, then SIGKILL;
//! 2. SIGKILLs any leftover process whose command line or cgroup mentions the
//!    component's unique directory name (containerd shims, runc, container
//!    processes put under the rig's own `--cgroup-parent`);
//! 3. lazily unmounts anything still mounted below that directory, removes
//!    the directory and the rig's (empty) cgroups.
//!
//! The same steps run in-process (in Rust) on an orderly `Drop`, so the
//! watchdog normally finds nothing left to do.

use std::fs;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// Returns `path` if it exists, otherwise an error naming the Debian package
/// to install. The rig never skips silently.
pub fn require(path: &str, package: &str) -> Result<PathBuf> {
    let p = Path::new(path);
    if p.exists() {
        Ok(p.to_path_buf())
    } else {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Err(Error::new(format!(
            "{name} not found at {path}: apt-get install {package} (or run .ci/install-deps)"
        )))
    }
}

const WATCHDOG: &str = r#"
read -r _ignored || :
cleanup_dir="$DRYDOCK_RIG_DIR"
tag="$DRYDOCK_RIG_TAG"
# procps kill: the shell builtin (dash) does not take "--" before "-PGID".
K=/bin/kill
alive() { $K -0 -- "-$1" 2>/dev/null || $K -0 "$1" 2>/dev/null; }
if [ -f "$cleanup_dir/pgids" ]; then
  for pg in $(tac "$cleanup_dir/pgids"); do
    $K -TERM -- "-$pg" 2>/dev/null || :
    n=0
    while alive "$pg" && [ $n -lt 100 ]; do sleep 0.2; n=$((n+1)); done
    $K -KILL -- "-$pg" 2>/dev/null || :
  done
fi
for round in 1 2 3; do
  for p in /proc/[0-9]*; do
    pid="${p#/proc/}"
    [ "$pid" = "$$" ] && continue
    if tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qF -- "$tag" || grep -qF -- "$tag" "$p/cgroup" 2>/dev/null; then
      $K -KILL "$pid" 2>/dev/null || :
    fi
  done
  sleep 0.2
done
awk -v d="$cleanup_dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || :; done
rm -rf -- "$cleanup_dir"
for cg in /sys/fs/cgroup/*/"$tag" /sys/fs/cgroup/"$tag"; do
  [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
done
exit 0
"#;

/// A component's private directory plus the processes living in it.
///
/// Dropping it stops everything (SIGTERM to each process group, wait,
/// SIGKILL), sweeps stragglers, unmounts and removes the directory.
pub struct Supervisor {
    dir: PathBuf,
    tag: String,
    procs: Mutex<Vec<(String, Child)>>,
    watchdog_stdin: Mutex<Option<ChildStdin>>,
    watchdog: Mutex<Option<Child>>,
}

impl Supervisor {
    /// Creates a fresh private directory `<tmp>/drydock-rig-<kind>-XXXXXX`
    /// (short, so unix socket paths stay under 108 bytes) and its watchdog.
    pub fn new(kind: &str) -> Result<Self> {
        let base = std::env::var_os("DRYDOCK_RIG_TMP")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        fs::create_dir_all(&base).map_err(|e| Error::io(&base, e))?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("drydock-rig-{kind}-"))
            .tempdir_in(&base)
            .map_err(|e| Error::io(&base, e))?
            .keep();
        let tag = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut watchdog = Command::new("/bin/sh")
            .arg("-c")
            .arg(WATCHDOG)
            .env("DRYDOCK_RIG_DIR", &dir)
            .env("DRYDOCK_RIG_TAG", &tag)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| Error::new(format!("cannot start rig watchdog /bin/sh: {e}")))?;
        let stdin = watchdog.stdin.take();
        Ok(Self {
            dir,
            tag,
            procs: Mutex::new(Vec::new()),
            watchdog_stdin: Mutex::new(stdin),
            watchdog: Mutex::new(Some(watchdog)),
        })
    }

    /// The component's private directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The unique name (last path component of [`Self::dir`]); also used as
    /// a cgroup name so container processes can be found.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Spawns `cmd` in its own process group with stdout/stderr appended to
    /// `<dir>/<name>.log`, and records its pid for cleanup.
    pub fn spawn(&self, name: &str, mut cmd: Command) -> Result<u32> {
        let log_path = self.dir.join(format!("{name}.log"));
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| Error::io(&log_path, e))?;
        let log2 = log.try_clone().map_err(|e| Error::io(&log_path, e))?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            .process_group(0);
        let child = cmd
            .spawn()
            .map_err(|e| Error::new(format!("cannot start {name} ({cmd:?}): {e}")))?;
        let pid = child.id();
        let pg = self.dir.join("pgids");
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&pg)
            .map_err(|e| Error::io(&pg, e))?;
        writeln!(f, "{pid}").map_err(|e| Error::io(&pg, e))?;
        self.procs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name.to_owned(), child));
        Ok(pid)
    }

    /// Returns an error (with the log tail) if the named process has exited.
    pub fn check_alive(&self, name: &str) -> Result<()> {
        let mut procs = self.procs.lock().unwrap_or_else(|e| e.into_inner());
        for (n, child) in procs.iter_mut() {
            if n == name
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(Error::new(format!(
                    "{name} exited early ({status}); log tail:\n{}",
                    self.log_tail(name)
                )));
            }
        }
        Ok(())
    }

    /// Last ~4 KiB of `<dir>/<name>.log`.
    pub fn log_tail(&self, name: &str) -> String {
        let text = fs::read(self.dir.join(format!("{name}.log"))).unwrap_or_default();
        let start = text.len().saturating_sub(4096);
        String::from_utf8_lossy(&text[start..]).into_owned()
    }

    /// Stops all processes (newest first) and removes the directory.
    /// Idempotent; also run by `Drop`.
    pub fn shutdown(&self) {
        let mut procs = std::mem::take(&mut *self.procs.lock().unwrap_or_else(|e| e.into_inner()));
        while let Some((_name, mut child)) = procs.pop() {
            let pid = child.id();
            if matches!(child.try_wait(), Ok(None)) {
                signal_group(pid, "TERM");
                let deadline = Instant::now() + Duration::from_secs(20);
                while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                    sleep(Duration::from_millis(50));
                }
            }
            // Whatever is left of the group (also if the leader already exited).
            signal_group(pid, "KILL");
            let _ = child.kill();
            let _ = child.wait();
        }
        for _ in 0..3 {
            let n = sweep(&self.tag);
            if n == 0 {
                break;
            }
            sleep(Duration::from_millis(200));
        }
        unmount_below(&self.dir);
        let _ = fs::remove_dir_all(&self.dir);
        remove_cgroups(&self.tag);
        // Everything is already done: retire the watchdog (it is still
        // blocked in `read`, so killing it interrupts nothing).
        if let Some(mut w) = self
            .watchdog
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            let _ = w.kill();
            let _ = w.wait();
        }
        drop(
            self.watchdog_stdin
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Sends `SIG<sig>` to process group `pgid` (and to the pid itself) using
/// procps `kill`, so no `unsafe` is needed.
pub fn signal_group(pgid: u32, sig: &str) {
    let _ = Command::new("/bin/kill")
        .args([format!("-{sig}"), "--".into(), format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn signal_pid(pid: u32, sig: &str) {
    let _ = Command::new("/bin/kill")
        .args([format!("-{sig}"), pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// SIGKILLs every process whose command line or cgroup mentions `tag`
/// (a unique rig directory name). Returns how many were signalled.
pub fn sweep(tag: &str) -> usize {
    let me = std::process::id();
    let mut n = 0;
    let Ok(entries) = fs::read_dir("/proc") else {
        return 0;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let p = e.path();
        let cmdline = fs::read(p.join("cmdline")).unwrap_or_default();
        let cgroup = fs::read(p.join("cgroup")).unwrap_or_default();
        let hit = |hay: &[u8]| hay.windows(tag.len()).any(|w| w == tag.as_bytes());
        // The watchdog carries the tag only in its environment, never in argv.
        if hit(&cmdline) || hit(&cgroup) {
            signal_pid(pid, "KILL");
            n += 1;
        }
    }
    n
}

/// Lazily unmounts every mount point at or below `dir` (deepest first).
pub fn unmount_below(dir: &Path) {
    let Ok(info) = fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let d = dir.to_string_lossy().into_owned();
    let mut points: Vec<String> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(unescape_mount)
        .filter(|m| *m == d || m.starts_with(&format!("{d}/")))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for m in points {
        let _ = Command::new("/bin/umount")
            .args(["-l", &m])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn unescape_mount(s: &str) -> String {
    s.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

/// Removes the (empty) cgroups named `tag` that dockerd created for
/// `--cgroup-parent`.
pub fn remove_cgroups(tag: &str) {
    let mut roots = vec![PathBuf::from("/sys/fs/cgroup").join(tag)];
    if let Ok(entries) = fs::read_dir("/sys/fs/cgroup") {
        roots.extend(entries.flatten().map(|e| e.path().join(tag)));
    }
    for r in roots {
        if r.is_dir() {
            rmdir_tree(&r);
        }
    }
}

fn rmdir_tree(p: &Path) {
    if let Ok(entries) = fs::read_dir(p) {
        for e in entries.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                rmdir_tree(&e.path());
            }
        }
    }
    let _ = fs::remove_dir(p);
}

/// Polls `f` until it returns `Ok(Some(_))` or `timeout` elapses.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut f: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f()? {
            return Ok(v);
        }
        if Instant::now() > deadline {
            return Err(Error::new(format!(
                "timed out after {timeout:?} waiting for {what}"
            )));
        }
        sleep(Duration::from_millis(100));
    }
}
