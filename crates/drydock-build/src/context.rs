//! The digest of everything a build reads besides its bases: the Dockerfile,
//! the context files `.dockerignore` lets through, build arguments, target
//! and platform. Equal digests and equal bases mean BuildKit would produce
//! the same image from its cache.

use std::io::Read;
use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// What goes into the digest besides the context directory.
#[derive(Debug, Clone, Default)]
pub struct Inputs<'a> {
    /// The Dockerfile as written by the user.
    pub dockerfile: &'a [u8],
    /// `--build-arg` pairs, in the order given.
    pub build_args: &'a [(String, String)],
    /// `--target`.
    pub target: Option<&'a str>,
    /// `--platform`.
    pub platform: Option<&'a str>,
}

/// `sha256:<hex>` over `inputs` and the files of `dir` that `.dockerignore`
/// does not exclude (path, executable bit, symlink target or content), in
/// path order.
///
/// # Errors
/// A file or directory of the context cannot be read, or `.dockerignore` has
/// an invalid pattern.
pub fn digest(dir: &Path, inputs: &Inputs<'_>) -> Result<String> {
    let ignore = DockerIgnore::read(dir)?;
    let mut hasher = Sha256::new();
    let mut field = |tag: &str, bytes: &[u8]| {
        hasher.update(tag.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field("dockerfile", inputs.dockerfile);
    for (k, v) in inputs.build_args {
        field("arg", k.as_bytes());
        field("value", v.as_bytes());
    }
    field("target", inputs.target.unwrap_or_default().as_bytes());
    field("platform", inputs.platform.unwrap_or_default().as_bytes());
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| {
            let rel = relative(dir, e.path());
            !(e.file_type().is_dir() && ignore.excludes_dir(&rel))
        });
    let mut buf = vec![0u8; 64 << 10];
    for entry in walker {
        let entry = entry.map_err(|e| Error::Context {
            path: e.path().unwrap_or(dir).display().to_string(),
            message: e.to_string(),
        })?;
        let rel = relative(dir, entry.path());
        if entry.file_type().is_dir() || ignore.excludes(&rel) {
            continue;
        }
        let io_error = |e: std::io::Error| Error::Context {
            path: entry.path().display().to_string(),
            message: e.to_string(),
        };
        let meta = entry.metadata().map_err(|e| Error::Context {
            path: entry.path().display().to_string(),
            message: e.to_string(),
        })?;
        field("path", rel.as_bytes());
        if entry.file_type().is_symlink() {
            let target = std::fs::read_link(entry.path()).map_err(io_error)?;
            field("symlink", target.to_string_lossy().as_bytes());
        } else if entry.file_type().is_file() {
            use std::os::unix::fs::PermissionsExt;
            let executable = meta.permissions().mode() & 0o111 != 0;
            field("exec", &[u8::from(executable)]);
            let mut file = std::fs::File::open(entry.path()).map_err(io_error)?;
            hasher_update_file(&mut field, &mut file, &mut buf).map_err(io_error)?;
        }
    }
    Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
}

fn hasher_update_file(
    field: &mut impl FnMut(&str, &[u8]),
    file: &mut std::fs::File,
    buf: &mut [u8],
) -> std::io::Result<()> {
    loop {
        let n = file.read(buf)?;
        if n == 0 {
            return Ok(());
        }
        field("data", &buf[..n]);
    }
}

fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// `.dockerignore` patterns as Docker applies them: Go `filepath.Match`
/// syntax plus `**`, paths relative to the context root (a leading `/` is
/// dropped), `!` re-includes, the last matching pattern wins, and a pattern
/// that matches a directory excludes everything below it.
#[derive(Debug, Default)]
pub struct DockerIgnore {
    patterns: Vec<(GlobMatcher, bool)>,
}

impl DockerIgnore {
    /// Reads `<dir>/.dockerignore`; empty when there is none.
    ///
    /// # Errors
    /// Unreadable file or an invalid pattern (with its line number).
    pub fn read(dir: &Path) -> Result<DockerIgnore> {
        let path = dir.join(".dockerignore");
        match std::fs::read_to_string(&path) {
            Ok(text) => DockerIgnore::parse(&text).map_err(|(line, message)| Error::Context {
                path: format!("{}:{line}", path.display()),
                message,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DockerIgnore::default()),
            Err(e) => Err(Error::Context {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
        }
    }

    /// Parses patterns; an error carries the 1-based line.
    pub fn parse(text: &str) -> std::result::Result<DockerIgnore, (usize, String)> {
        let mut patterns = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (include, pattern) = match line.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, line),
            };
            let pattern = clean(pattern);
            if pattern.is_empty() {
                continue;
            }
            let glob = GlobBuilder::new(&pattern)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| (i + 1, format!("invalid pattern {pattern:?}: {e}")))?;
            patterns.push((glob.compile_matcher(), include));
        }
        Ok(DockerIgnore { patterns })
    }

    /// Whether `rel` (a path relative to the context) is excluded: the last
    /// pattern matching it or one of its parent directories decides.
    pub fn excludes(&self, rel: &str) -> bool {
        let mut excluded = false;
        for (glob, include) in &self.patterns {
            if prefixes(rel).any(|p| glob.is_match(p)) {
                excluded = !include;
            }
        }
        excluded
    }

    /// Whether a whole directory can be skipped: it is excluded and no
    /// re-include pattern could match something below it.
    fn excludes_dir(&self, rel: &str) -> bool {
        self.excludes(rel) && !self.patterns.iter().any(|(_, include)| *include)
    }
}

/// `a`, `a/b`, `a/b/c` for `a/b/c`.
fn prefixes(rel: &str) -> impl Iterator<Item = &str> {
    rel.match_indices('/')
        .map(|(i, _)| &rel[..i])
        .chain(std::iter::once(rel))
}

/// Go's `filepath.Clean` as far as patterns need it, minus a leading `/`.
fn clean(pattern: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_semantics() {
        let ig =
            DockerIgnore::parse("# comment\n/node_modules\n*.log\n**/tmp\n!keep.log\ndocs/*.md\n")
                .unwrap();
        assert!(ig.excludes("node_modules"));
        assert!(ig.excludes("node_modules/x/y.js"));
        assert!(ig.excludes("a.log"));
        assert!(!ig.excludes("keep.log"));
        assert!(!ig.excludes("src/a.log"), "`*` does not cross `/`");
        assert!(ig.excludes("src/deep/tmp/file"));
        assert!(ig.excludes("docs/a.md"));
        assert!(!ig.excludes("docs/sub/a.md"));
        assert!(!ig.excludes("src/main.rs"));
        assert_eq!(DockerIgnore::parse("ok\n[\n").unwrap_err().0, 2);
    }

    #[test]
    fn digest_follows_files_args_and_ignores() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.py"), "print(1)\n").unwrap();
        std::fs::write(dir.path().join("debug.log"), "noise").unwrap();
        std::fs::write(dir.path().join(".dockerignore"), "*.log\n").unwrap();
        let inputs = Inputs {
            dockerfile: b"FROM x\n",
            ..Inputs::default()
        };
        let first = digest(dir.path(), &inputs).unwrap();
        assert!(first.starts_with("sha256:"));
        std::fs::write(dir.path().join("debug.log"), "more noise").unwrap();
        assert_eq!(
            digest(dir.path(), &inputs).unwrap(),
            first,
            "ignored files do not count"
        );
        std::fs::write(dir.path().join("app.py"), "print(2)\n").unwrap();
        let second = digest(dir.path(), &inputs).unwrap();
        assert_ne!(second, first);
        let args = [("V".to_owned(), "1".to_owned())];
        let with_arg = Inputs {
            build_args: &args,
            ..inputs.clone()
        };
        assert_ne!(digest(dir.path(), &with_arg).unwrap(), second);
        let other_file = Inputs {
            dockerfile: b"FROM y\n",
            ..inputs
        };
        assert_ne!(digest(dir.path(), &other_file).unwrap(), second);
    }
}
