//! The Debian base image: an `mmdebstrap --variant=minbase` tarball, built
//! once per machine into a cache directory and reused by every rig.
//!
//! The mirror comes from the host's own apt configuration: the entries of
//! `/etc/apt/sources.list` and `/etc/apt/sources.list.d/*.{list,sources}` for
//! the requested suite (and its `-updates`/`-security` suites) are written to
//! a deb822 file that is handed to mmdebstrap, which pastes it into the
//! image's `/etc/apt/sources.list.d/` (kept as-is in the image).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::proc::require;
use crate::{Error, Result};

const MMDEBSTRAP: &str = "/usr/bin/mmdebstrap";

/// Bump when the recipe (arguments, package set) changes; part of the cache key.
pub const RECIPE_VERSION: u32 = 1;
/// Default suite.
pub const SUITE: &str = "bookworm";
/// Default variant.
pub const VARIANT: &str = "minbase";

/// The per-machine cache: `$DRYDOCK_RIG_CACHE`, else `/var/cache/drydock-rig`
/// if writable, else `$XDG_CACHE_HOME/drydock-rig` or `~/.cache/drydock-rig`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("DRYDOCK_RIG_CACHE") {
        return PathBuf::from(d);
    }
    let sys = PathBuf::from("/var/cache/drydock-rig");
    if fs::create_dir_all(&sys).is_ok() && is_writable(&sys) {
        return sys;
    }
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("drydock-rig")
}

fn is_writable(d: &Path) -> bool {
    tempfile::tempfile_in(d).is_ok()
}

/// Returns the cached base tarball for `suite`/`variant`, building it first
/// if needed. Concurrent callers (threads or processes) serialize on a lock
/// file; the tarball appears atomically (written to a temp name, renamed).
pub fn base_tarball(suite: &str, variant: &str) -> Result<PathBuf> {
    let dir = cache_dir();
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let name = format!("debian-{suite}-{variant}-r{RECIPE_VERSION}.tar");
    let path = dir.join(&name);
    if path.is_file() {
        return Ok(path);
    }
    let mmdebstrap = require(MMDEBSTRAP, "mmdebstrap")?;
    let lock_path = dir.join(format!("{name}.lock"));
    let lock = File::create(&lock_path).map_err(|e| Error::io(&lock_path, e))?;
    lock.lock().map_err(|e| Error::io(&lock_path, e))?;
    if path.is_file() {
        return Ok(path); // another process built it while we waited
    }
    let work = tempfile::Builder::new()
        .prefix(&format!("{name}.tmp-"))
        .tempdir_in(&dir)
        .map_err(|e| Error::io(&dir, e))?;
    let sources = work.path().join("host.sources");
    fs::write(&sources, host_sources_deb822(suite)?).map_err(|e| Error::io(&sources, e))?;
    let out = work.path().join(&name);
    let start = Instant::now();
    let o = Command::new(mmdebstrap)
        .arg(format!("--variant={variant}"))
        .arg("--format=tar")
        .arg("--quiet")
        .arg(suite)
        .arg(&out)
        .arg(&sources)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::new(format!("cannot run mmdebstrap: {e}")))?;
    if !o.status.success() {
        return Err(Error::new(format!(
            "mmdebstrap {suite} failed ({}):\n{}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )));
    }
    fs::rename(&out, &path).map_err(|e| Error::io(&path, e))?;
    eprintln!(
        "drydock-rig: built base tarball {} in {:.1}s",
        path.display(),
        start.elapsed().as_secs_f64()
    );
    drop(lock);
    Ok(path)
}

/// One apt source entry read from the host configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSource {
    /// Mirror URI.
    pub uri: String,
    /// Suites (filtered to the requested family).
    pub suites: Vec<String>,
    /// `Signed-By` value, if any.
    pub signed_by: Option<String>,
}

/// The host's apt `deb` sources for `suite` and `suite-*` with component
/// `main`, rendered as deb822 stanzas (Components: main).
pub fn host_sources_deb822(suite: &str) -> Result<String> {
    let mut files = Vec::new();
    if Path::new("/etc/apt/sources.list").is_file() {
        files.push(PathBuf::from("/etc/apt/sources.list"));
    }
    if let Ok(rd) = fs::read_dir("/etc/apt/sources.list.d") {
        let mut v: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        v.sort();
        files.extend(v);
    }
    let mut sources = Vec::new();
    for f in files {
        let Some(fname) = f.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Ok(text) = fs::read_to_string(&f) else {
            continue;
        };
        if fname == "sources.list" || fname.ends_with(".list") {
            sources.extend(parse_one_line(&text, suite));
        } else if fname.ends_with(".sources") {
            sources.extend(parse_deb822(&text, suite));
        }
    }
    if sources.is_empty() {
        return Err(Error::new(format!(
            "no 'deb' source for suite {suite} (component main) in the host's apt configuration \
             (/etc/apt/sources.list, /etc/apt/sources.list.d/); mmdebstrap takes its mirror from there"
        )));
    }
    let mut out = String::new();
    for s in sources {
        out.push_str(&format!(
            "Types: deb\nURIs: {}\nSuites: {}\nComponents: main\n",
            s.uri,
            s.suites.join(" ")
        ));
        if let Some(k) = s.signed_by {
            out.push_str(&format!("Signed-By: {k}\n"));
        }
        out.push('\n');
    }
    Ok(out)
}

fn suite_matches(s: &str, suite: &str) -> bool {
    s == suite
        || s.strip_prefix(suite)
            .is_some_and(|r| r.starts_with('-') || r.starts_with('/'))
}

/// Parses one-line-style sources.
pub fn parse_one_line(text: &str, suite: &str) -> Vec<HostSource> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("deb ") else {
            continue;
        };
        let mut rest = rest.trim();
        let mut signed_by = None;
        if rest.starts_with('[') {
            let Some(end) = rest.find(']') else { continue };
            for opt in rest[1..end].split_whitespace() {
                if let Some(v) = opt.strip_prefix("signed-by=") {
                    signed_by = Some(v.to_owned());
                }
            }
            rest = rest[end + 1..].trim();
        }
        let parts: Vec<&str> = rest.split_whitespace().collect();
        if parts.len() >= 3 && suite_matches(parts[1], suite) && parts[2..].contains(&"main") {
            out.push(HostSource {
                uri: parts[0].to_owned(),
                suites: vec![parts[1].to_owned()],
                signed_by,
            });
        }
    }
    out
}

/// Parses deb822-style sources (skipping `Enabled: no` stanzas).
pub fn parse_deb822(text: &str, suite: &str) -> Vec<HostSource> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in stanza.lines() {
            if line.starts_with('#') {
                continue;
            }
            if line.starts_with(' ') || line.starts_with('\t') {
                if let Some(last) = fields.last_mut() {
                    last.1.push('\n');
                    last.1.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                fields.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if get("enabled").is_some_and(|v| v.eq_ignore_ascii_case("no")) {
            continue;
        }
        if !get("types")
            .unwrap_or("")
            .split_whitespace()
            .any(|t| t == "deb")
        {
            continue;
        }
        if !get("components")
            .unwrap_or("")
            .split_whitespace()
            .any(|c| c == "main")
        {
            continue;
        }
        let suites: Vec<String> = get("suites")
            .unwrap_or("")
            .split_whitespace()
            .filter(|s| suite_matches(s, suite))
            .map(str::to_owned)
            .collect();
        if suites.is_empty() {
            continue;
        }
        // Inline (multi-line) keys cannot be passed through here; keep paths only.
        let signed_by = get("signed-by")
            .filter(|v| !v.contains('\n'))
            .map(str::to_owned);
        for uri in get("uris").unwrap_or("").split_whitespace() {
            out.push(HostSource {
                uri: uri.to_owned(),
                suites: suites.clone(),
                signed_by: signed_by.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_deb822_and_one_line() {
        let t = "Types: deb\nURIs: http://m.example/debian\nSuites: bookworm bookworm-updates trixie\n\
                 Components: main\nSigned-By: /k.gpg\n\nTypes: deb\nURIs: http://x.example/\nSuites: nodistro\n\
                 Components: main\n\nEnabled: no\nTypes: deb\nURIs: http://off.example/\nSuites: bookworm\nComponents: main\n";
        let s = parse_deb822(t, "bookworm");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].suites, vec!["bookworm", "bookworm-updates"]);
        assert_eq!(s[0].signed_by.as_deref(), Some("/k.gpg"));
        let l = "deb [arch=amd64 signed-by=/a.gpg] http://m.example/debian-security bookworm-security main\n\
                 # deb http://c.example bookworm main\ndeb http://o.example bookworm contrib\n";
        let s = parse_one_line(l, "bookworm");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].uri, "http://m.example/debian-security");
        assert_eq!(s[0].signed_by.as_deref(), Some("/a.gpg"));
    }
}
