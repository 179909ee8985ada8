//! `drydock.toml`: discovery, parsing and validation, with every error pointing at `file:line:column`.
//!
//! The file is optional. It is looked up from the current directory upwards unless `--config`
//! names one. Unknown keys and bad values are errors, never ignored. See `docs/configuration.md`.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use drydock_findings::{LineIndex, Severity};
use serde::Deserialize;
use toml::Spanned;

/// The file name looked up from the current directory upwards.
pub const FILE_NAME: &str = "drydock.toml";

/// A loaded configuration; [`Config::default`] when there is no file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    source: String,
    pub rules: RulesConfig,
    pub scan: ScanConfig,
}

/// `[rules]`: which rules run and how severe their findings are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RulesConfig {
    /// Rule codes, code prefixes (`DD1`) or names to run instead of the default set.
    pub select: Option<Vec<Spanned<String>>>,
    /// Added to the selected rules (the default set when `select` is absent).
    #[serde(default)]
    pub extend_select: Vec<Spanned<String>>,
    /// Rule codes, code prefixes or names never to run.
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
    /// Severity overrides: rule code or name → `error`, `warning`, `info` or `style`.
    #[serde(default)]
    pub severity: BTreeMap<Spanned<String>, Spanned<Severity>>,
}

/// `[scan]`: which `drydock scan` rules report, at which severity, and scan settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScanConfig {
    /// Scan rule codes, code prefixes (`DD51`) or names to run instead of all of them.
    pub select: Option<Vec<Spanned<String>>>,
    /// Scan rules never to run.
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
    /// Severity overrides: scan rule code or name → severity.
    #[serde(default)]
    pub severity: BTreeMap<Spanned<String>, Spanned<Severity>>,
    /// Maximum image age (`30d`, `12h`), as `--max-age`.
    pub max_age: Option<Spanned<String>>,
    /// Glob patterns of image paths not searched for secrets (`/usr/share/doc/**`).
    #[serde(default)]
    pub secret_allow_paths: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rules: RulesConfig,
    #[serde(default)]
    scan: ScanConfig,
    /// `[watch]` is read and checked by drydock-watch (`Config::source`).
    #[serde(default)]
    #[allow(dead_code)]
    watch: Option<serde::de::IgnoredAny>,
}

/// An error in a configuration file, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line and column, when the error has a place in the file.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(
                f,
                "{}:{line}:{column}: {}",
                self.path.display(),
                self.message
            ),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Load `explicit` if given, else the first `drydock.toml` found from `start` upwards, else the
    /// defaults.
    pub fn discover(explicit: Option<&Path>, start: &Path) -> Result<Config, ConfigError> {
        if let Some(path) = explicit {
            return Config::load(path);
        }
        for dir in start.ancestors() {
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                return Config::load(&candidate);
            }
        }
        Ok(Config::default())
    }

    /// Load and parse the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let source = std::fs::read_to_string(path).map_err(|error| ConfigError {
            path: path.to_path_buf(),
            position: None,
            message: format!("cannot read: {error}"),
        })?;
        Config::parse(path, source)
    }

    /// Parse `source` as the contents of `path`.
    pub fn parse(path: &Path, source: String) -> Result<Config, ConfigError> {
        match toml::from_str::<File>(&source) {
            Ok(file) => Ok(Config {
                path: Some(path.to_path_buf()),
                source,
                rules: file.rules,
                scan: file.scan,
            }),
            Err(error) => {
                let position = error.span().map(|span| position(&source, span.start));
                Err(ConfigError {
                    path: path.to_path_buf(),
                    position,
                    message: error.message().trim_end().to_string(),
                })
            }
        }
    }

    /// The file's text (empty without a file), for sections other crates read.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// An error about the value at `span` of this configuration's file.
    pub fn error_at(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: self
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from(FILE_NAME)),
            position: Some(position(&self.source, span.start)),
            message: message.into(),
        }
    }

    /// Check every rule selector against `is_known` (which accepts codes, code prefixes and
    /// names), reporting the first unknown one at its place in the file.
    pub fn validate_rule_selectors(
        &self,
        is_known: impl Fn(&str) -> bool,
    ) -> Result<(), ConfigError> {
        let rules = &self.rules;
        let selectors = rules
            .select
            .iter()
            .flatten()
            .chain(&rules.extend_select)
            .chain(&rules.ignore)
            .chain(rules.severity.keys());
        self.check_selectors(selectors, is_known)
    }

    /// Like [`Config::validate_rule_selectors`], for the selectors of `[scan]`.
    pub fn validate_scan_selectors(
        &self,
        is_known: impl Fn(&str) -> bool,
    ) -> Result<(), ConfigError> {
        let scan = &self.scan;
        let selectors = scan
            .select
            .iter()
            .flatten()
            .chain(&scan.ignore)
            .chain(scan.severity.keys());
        self.check_selectors(selectors, is_known)
    }

    fn check_selectors<'a>(
        &self,
        selectors: impl Iterator<Item = &'a Spanned<String>>,
        is_known: impl Fn(&str) -> bool,
    ) -> Result<(), ConfigError> {
        for selector in selectors {
            if !is_known(selector.get_ref()) {
                return Err(self.error_at(
                    selector.span(),
                    format!(
                        "unknown rule `{}` (see `drydock rules` for the list)",
                        selector.get_ref()
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn position(source: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(source).line_column(source, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("drydock.toml"), text.to_string())
    }

    #[test]
    fn reads_rule_selection_and_severity_overrides() {
        let config = parse(
            "[rules]\nselect = [\"DD\", \"DL3008\"]\nignore = [\"DD105\"]\n\n[rules.severity]\nDD101 = \"error\"\n",
        )
        .unwrap();
        let select: Vec<&str> = config
            .rules
            .select
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| s.get_ref().as_str())
            .collect();
        assert_eq!(select, ["DD", "DL3008"]);
        assert_eq!(config.rules.ignore[0].get_ref(), "DD105");
        let (code, severity) = config.rules.severity.iter().next().unwrap();
        assert_eq!(code.get_ref(), "DD101");
        assert_eq!(*severity.get_ref(), Severity::Error);
    }

    #[test]
    fn reads_the_scan_table() {
        let config = parse(
            "[scan]\nselect = [\"DD5\"]\nignore = [\"DD512\"]\nmax-age = \"30d\"\n\
             secret-allow-paths = [\"/usr/share/doc/**\"]\n[scan.severity]\nDD511 = \"error\"\n",
        )
        .unwrap();
        let scan = &config.scan;
        assert_eq!(scan.select.as_ref().unwrap()[0].get_ref(), "DD5");
        assert_eq!(scan.ignore[0].get_ref(), "DD512");
        assert_eq!(scan.max_age.as_ref().unwrap().get_ref(), "30d");
        assert_eq!(scan.secret_allow_paths[0].get_ref(), "/usr/share/doc/**");
        let error = config
            .validate_scan_selectors(|s| s == "DD5" || s == "DD511")
            .unwrap_err();
        assert_eq!(error.position, Some((3, 11)), "{error}");
        assert!(parse("[scan]\nmaxage = \"1d\"\n").is_err());
    }

    #[test]
    fn empty_file_is_the_default() {
        let config = parse("").unwrap();
        assert!(config.rules.select.is_none());
        assert!(config.rules.ignore.is_empty());
    }

    #[test]
    fn unknown_key_is_an_error_with_line_and_column() {
        let error = parse("[rules]\nselect = []\nignored = [\"DD1\"]\n").unwrap_err();
        assert_eq!(error.position, Some((3, 1)));
        let text = error.to_string();
        assert!(
            text.starts_with("drydock.toml:3:1: unknown field `ignored`"),
            "{text}"
        );
    }

    #[test]
    fn unknown_section_is_an_error() {
        let error = parse("[rulez]\n").unwrap_err();
        assert_eq!(error.position, Some((1, 2)));
        assert!(
            error.message.contains("unknown field `rulez`"),
            "{}",
            error.message
        );
    }

    #[test]
    fn bad_severity_is_an_error_at_the_value() {
        let error = parse("[rules.severity]\nDD101 = \"fatal\"\n").unwrap_err();
        assert_eq!(error.position, Some((2, 9)));
        assert!(
            error.message.contains("unknown severity `fatal`"),
            "{}",
            error.message
        );
    }

    #[test]
    fn wrong_type_is_an_error() {
        let error = parse("[rules]\nselect = \"DD101\"\n").unwrap_err();
        assert_eq!(error.position, Some((2, 10)));
    }

    #[test]
    fn syntax_error_is_an_error_with_position() {
        let error = parse("[rules\n").unwrap_err();
        assert_eq!(error.position.map(|p| p.0), Some(1));
    }

    #[test]
    fn unknown_rule_selector_is_reported_at_its_place() {
        let config = parse("[rules]\nignore = [\"DD101\", \"NOPE1\"]\n").unwrap();
        let error = config
            .validate_rule_selectors(|selector| selector.starts_with("DD"))
            .unwrap_err();
        assert_eq!(error.position, Some((2, 20)));
        assert_eq!(
            error.to_string(),
            "drydock.toml:2:20: unknown rule `NOPE1` (see `drydock rules` for the list)"
        );
    }

    #[test]
    fn discovery_walks_up_from_the_start_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "[rules]\nignore = [\"DD1\"]\n").unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        let config = Config::discover(None, &nested).unwrap();
        assert_eq!(
            config.path.as_deref(),
            Some(dir.path().join(FILE_NAME).as_path())
        );
        assert_eq!(config.rules.ignore.len(), 1);
    }

    #[test]
    fn explicit_missing_file_is_an_error() {
        let error = Config::discover(Some(Path::new("/nonexistent/drydock.toml")), Path::new("/"))
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("/nonexistent/drydock.toml: cannot read:")
        );
    }
}
