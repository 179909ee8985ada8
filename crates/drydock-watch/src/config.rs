//! The `[watch]` section of `drydock.toml` (documented in `docs/watch.md`).
//!
//! Secrets never appear in the file: tokens, webhook secrets and Slack URLs
//! are named by environment variable (`*-env` keys) and registry
//! credentials come from the Docker client configuration.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use drydock_config::{Config, ConfigError};
use drydock_registry::{Platform, Reference};
use serde::Deserialize;
use toml::Spanned;

/// The validated watch configuration.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// Where the HTTP server listens (default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// Database URL: `sqlite://…` or `postgres://…` (default: SQLite file
    /// `watch.db` in [`WatchConfig::data_dir`]).
    pub database: String,
    /// Directory for the SQLite file.
    pub data_dir: PathBuf,
    /// Token the JSON API (and, unless public, the dashboard) requires.
    pub api_token: Option<String>,
    /// Token registries must send (`Authorization: Bearer …`) to `/hooks/registry`.
    pub registry_token: Option<String>,
    /// The dashboard is served without a token.
    pub public_dashboard: bool,
    /// When to poll.
    pub schedule: Schedule,
    /// When to re-evaluate pending security updates.
    pub security_schedule: Schedule,
    /// References checked at once.
    pub concurrency: usize,
    /// The platform whose image is compared inside indexes.
    pub platform: Platform,
    /// Directory holding the Docker client `config.json` (default:
    /// `$DOCKER_CONFIG`, else `~/.docker`).
    pub docker_config: Option<PathBuf>,
    /// Package repository mirrors for the security re-evaluation, in
    /// `drydock updates --mirror` syntax (`FROM=TO`, or a bare `TO`).
    pub mirrors: Vec<String>,
    /// Policies applied to every image.
    pub policy: Policy,
    /// The tracked images.
    pub images: Vec<ImageConfig>,
    /// Where events are sent.
    pub notifiers: Vec<Notifier>,
    /// Rebuild triggers by name.
    pub rebuilds: Vec<RebuildTrigger>,
}

/// When an image counts as stale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Images older than this are stale.
    pub max_age: Option<Duration>,
    /// Pending security updates make an image stale.
    pub fail_on_security_updates: bool,
    /// A moved base makes an image stale.
    pub fail_on_base_moved: bool,
}

/// A tracked image.
#[derive(Debug, Clone)]
pub struct ImageConfig {
    /// The registry reference (a tag).
    pub reference: Reference,
    /// The reference as written.
    pub name: String,
    /// Explicit base (otherwise from the image's labels or the Dockerfile).
    pub base: Option<Reference>,
    /// The Dockerfile that builds it (final stage's `FROM` is the base).
    pub dockerfile: Option<PathBuf>,
    /// The build context.
    pub context: Option<PathBuf>,
    /// Names of [`RebuildTrigger`]s to fire when the image goes stale.
    pub rebuild: Vec<String>,
}

/// A cron schedule with jitter.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The cron pattern (5 fields, or 6 with seconds first).
    pub pattern: String,
    /// The parsed pattern.
    pub cron: croner::Cron,
    /// Up to this much random delay after each occurrence.
    pub jitter: Duration,
}

impl Schedule {
    /// Parses `pattern`.
    pub fn parse(pattern: &str, jitter: Duration) -> Result<Self, String> {
        let cron = croner::Cron::from_str(pattern)
            .map_err(|e| format!("invalid cron {pattern:?}: {e}"))?;
        Ok(Self {
            pattern: pattern.to_owned(),
            cron,
            jitter,
        })
    }

    /// How long from `now` until the next run (with jitter `fraction` ∈ [0, 1)).
    pub fn delay_from(&self, now: chrono::DateTime<chrono::Utc>, fraction: f64) -> Duration {
        let next = self
            .cron
            .find_next_occurrence(&now, false)
            .unwrap_or(now + chrono::TimeDelta::hours(1));
        let base = (next - now).to_std().unwrap_or(Duration::ZERO);
        base + self.jitter.mul_f64(fraction.clamp(0.0, 1.0))
    }
}

/// A notification target.
#[derive(Debug, Clone)]
pub struct Notifier {
    /// Name (unique; used in the outbox).
    pub name: String,
    /// What to send.
    pub kind: NotifierKind,
    /// Where to send it.
    pub url: String,
}

/// The message format of a [`Notifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifierKind {
    /// Generic JSON signed with HMAC-SHA256 using this secret.
    Webhook {
        /// The HMAC key.
        secret: String,
    },
    /// A Slack-compatible incoming webhook.
    Slack,
}

/// What to do to rebuild an image.
#[derive(Debug, Clone)]
pub struct RebuildTrigger {
    /// Name images refer to.
    pub name: String,
    /// How.
    pub action: RebuildAction,
}

/// How a [`RebuildTrigger`] fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebuildAction {
    /// POST the event JSON to `url` (with `Authorization: Bearer token` if set).
    Http {
        /// The URL.
        url: String,
        /// The bearer token.
        token: Option<String>,
    },
    /// Run `argv` (no shell) with the event in environment variables.
    Command {
        /// Program and arguments.
        argv: Vec<String>,
        /// Working directory (the config file's directory).
        dir: PathBuf,
    },
}

#[derive(Deserialize)]
struct File {
    watch: Option<Spanned<RawWatch>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawWatch {
    listen: Option<Spanned<String>>,
    database: Option<Spanned<String>>,
    data_dir: Option<String>,
    api_token_env: Option<Spanned<String>>,
    registry_token_env: Option<Spanned<String>>,
    #[serde(default)]
    public_dashboard: bool,
    schedule: Option<Spanned<String>>,
    security_schedule: Option<Spanned<String>>,
    jitter: Option<Spanned<String>>,
    concurrency: Option<Spanned<usize>>,
    platform: Option<Spanned<String>>,
    docker_config: Option<String>,
    #[serde(default)]
    mirrors: Vec<String>,
    #[serde(default)]
    policy: RawPolicy,
    #[serde(default)]
    image: Vec<RawImage>,
    #[serde(default)]
    notify: Vec<RawNotify>,
    #[serde(default)]
    rebuild: Vec<RawRebuild>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPolicy {
    max_age: Option<Spanned<String>>,
    #[serde(default)]
    fail_on_security_updates: bool,
    #[serde(default = "yes")]
    fail_on_base_moved: bool,
}

fn yes() -> bool {
    true
}

impl Default for RawPolicy {
    /// No `[watch.policy]`: the same defaults as an empty one.
    fn default() -> Self {
        Self {
            max_age: None,
            fail_on_security_updates: false,
            fail_on_base_moved: true,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawImage {
    name: Spanned<String>,
    base: Option<Spanned<String>>,
    dockerfile: Option<String>,
    context: Option<String>,
    #[serde(default)]
    rebuild: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawNotify {
    name: Spanned<String>,
    kind: Spanned<String>,
    url: Option<Spanned<String>>,
    url_env: Option<Spanned<String>>,
    secret_env: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRebuild {
    name: Spanned<String>,
    url: Option<Spanned<String>>,
    token_env: Option<Spanned<String>>,
    command: Option<Spanned<Vec<String>>>,
}

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl WatchConfig {
    /// Reads `[watch]` from `config` (already parsed and checked by
    /// drydock-config), looking up `*-env` variables with `env`. Every error
    /// points at its place in the file.
    pub fn from_config(
        config: &Config,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let source = config.source();
        let file: File = toml::from_str(source).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            config.error_at(span, e.message().trim_end())
        })?;
        let Some(raw) = file.watch else {
            return Err(ConfigError {
                path: config
                    .path
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(drydock_config::FILE_NAME)),
                position: None,
                message: "no [watch] section: nothing to watch (see docs/watch.md)".into(),
            });
        };
        let watch_span = raw.span();
        let raw = raw.into_inner();
        let base_dir = config
            .path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let at = |span: std::ops::Range<usize>, msg: String| config.error_at(span, msg);
        let secret_from_env = |name: &Spanned<String>, what: &str| {
            env(name.get_ref())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    at(
                        name.span(),
                        format!("{what}: environment variable {} is not set", name.get_ref()),
                    )
                })
        };
        let listen = match &raw.listen {
            Some(l) => l
                .get_ref()
                .parse()
                .map_err(|e| at(l.span(), format!("listen: {e} (expected ADDRESS:PORT)")))?,
            None => DEFAULT_LISTEN.parse().expect("valid default"),
        };
        let data_dir = base_dir.join(raw.data_dir.as_deref().unwrap_or(".drydock"));
        let database = match &raw.database {
            Some(d) => {
                let url = d.get_ref();
                if !(url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://"))
                {
                    return Err(at(
                        d.span(),
                        "database: expected a sqlite: or postgres:// URL".into(),
                    ));
                }
                url.clone()
            }
            None => format!("sqlite://{}?mode=rwc", data_dir.join("watch.db").display()),
        };
        let jitter = match &raw.jitter {
            Some(j) => parse_duration(j.get_ref()).map_err(|m| at(j.span(), m))?,
            None => Duration::ZERO,
        };
        let schedule = |s: &Option<Spanned<String>>, default: &str| match s {
            Some(s) => Schedule::parse(s.get_ref(), jitter).map_err(|m| at(s.span(), m)),
            None => Ok(Schedule::parse(default, jitter).expect("valid default schedule")),
        };
        let policy = Policy {
            max_age: match &raw.policy.max_age {
                Some(m) => Some(parse_duration(m.get_ref()).map_err(|e| at(m.span(), e))?),
                None => None,
            },
            fail_on_security_updates: raw.policy.fail_on_security_updates,
            fail_on_base_moved: raw.policy.fail_on_base_moved,
        };
        let platform = match &raw.platform {
            Some(p) => parse_platform(p.get_ref()).map_err(|m| at(p.span(), m))?,
            None => Platform::linux_amd64(),
        };
        let mut rebuilds = Vec::new();
        for r in &raw.rebuild {
            let action = match (&r.url, &r.command) {
                (Some(url), None) => RebuildAction::Http {
                    url: check_url(url).map_err(|m| at(url.span(), m))?,
                    token: match &r.token_env {
                        Some(t) => Some(secret_from_env(t, "token-env")?),
                        None => None,
                    },
                },
                (None, Some(cmd)) if !cmd.get_ref().is_empty() => RebuildAction::Command {
                    argv: cmd.get_ref().clone(),
                    dir: base_dir.clone(),
                },
                _ => {
                    return Err(at(
                        r.name.span(),
                        "a rebuild trigger needs exactly one of `url` or a non-empty `command`"
                            .into(),
                    ));
                }
            };
            if rebuilds
                .iter()
                .any(|x: &RebuildTrigger| x.name == *r.name.get_ref())
            {
                return Err(at(
                    r.name.span(),
                    format!("duplicate rebuild trigger {:?}", r.name.get_ref()),
                ));
            }
            rebuilds.push(RebuildTrigger {
                name: r.name.get_ref().clone(),
                action,
            });
        }
        let mut images: Vec<ImageConfig> = Vec::new();
        for i in &raw.image {
            let reference = parse_reference(&i.name).map_err(|m| at(i.name.span(), m))?;
            if images.iter().any(|x| x.reference == reference) {
                return Err(at(
                    i.name.span(),
                    format!("image {} is listed twice", i.name.get_ref()),
                ));
            }
            for r in &i.rebuild {
                if !rebuilds.iter().any(|t| t.name == *r.get_ref()) {
                    return Err(at(
                        r.span(),
                        format!("no [[watch.rebuild]] named {:?}", r.get_ref()),
                    ));
                }
            }
            images.push(ImageConfig {
                name: i.name.get_ref().clone(),
                reference,
                base: match &i.base {
                    Some(b) => Some(parse_reference(b).map_err(|m| at(b.span(), m))?),
                    None => None,
                },
                dockerfile: i.dockerfile.as_ref().map(|d| base_dir.join(d)),
                context: i.context.as_ref().map(|c| base_dir.join(c)),
                rebuild: i.rebuild.iter().map(|r| r.get_ref().clone()).collect(),
            });
        }
        if images.is_empty() {
            return Err(at(watch_span, "[watch] lists no [[watch.image]]".into()));
        }
        let mut notifiers = Vec::new();
        for n in &raw.notify {
            let url = match (&n.url, &n.url_env) {
                (Some(u), None) => check_url(u).map_err(|m| at(u.span(), m))?,
                (None, Some(e)) => secret_from_env(e, "url-env")?,
                _ => {
                    return Err(at(
                        n.name.span(),
                        "a notifier needs exactly one of `url` or `url-env`".into(),
                    ));
                }
            };
            let kind = match n.kind.get_ref().as_str() {
                "webhook" => NotifierKind::Webhook {
                    secret: match &n.secret_env {
                        Some(s) => secret_from_env(s, "secret-env")?,
                        None => {
                            return Err(at(
                                n.name.span(),
                                "a webhook notifier needs `secret-env` (its HMAC key)".into(),
                            ));
                        }
                    },
                },
                "slack" => NotifierKind::Slack,
                other => {
                    return Err(at(
                        n.kind.span(),
                        format!(
                            "unknown notifier kind {other:?} (expected \"webhook\" or \"slack\")"
                        ),
                    ));
                }
            };
            if notifiers
                .iter()
                .any(|x: &Notifier| x.name == *n.name.get_ref())
            {
                return Err(at(
                    n.name.span(),
                    format!("duplicate notifier {:?}", n.name.get_ref()),
                ));
            }
            notifiers.push(Notifier {
                name: n.name.get_ref().clone(),
                kind,
                url,
            });
        }
        Ok(Self {
            listen,
            database,
            data_dir,
            api_token: match &raw.api_token_env {
                Some(t) => Some(secret_from_env(t, "api-token-env")?),
                None => None,
            },
            registry_token: match &raw.registry_token_env {
                Some(t) => Some(secret_from_env(t, "registry-token-env")?),
                None => None,
            },
            public_dashboard: raw.public_dashboard,
            schedule: schedule(&raw.schedule, "*/5 * * * *")?,
            security_schedule: schedule(&raw.security_schedule, "0 */6 * * *")?,
            concurrency: match &raw.concurrency {
                Some(c) if *c.get_ref() == 0 => {
                    return Err(at(c.span(), "concurrency must be at least 1".into()));
                }
                Some(c) => *c.get_ref(),
                None => 16,
            },
            platform,
            docker_config: raw.docker_config.as_ref().map(|d| base_dir.join(d)),
            mirrors: raw.mirrors.clone(),
            policy,
            images,
            notifiers,
            rebuilds,
        })
    }
}

fn parse_reference(s: &Spanned<String>) -> Result<Reference, String> {
    let r = Reference::parse(s.get_ref()).map_err(|e| e.to_string())?;
    if r.digest().is_some() {
        return Err(format!(
            "{}: watch a tag, not a digest (a digest never changes)",
            s.get_ref()
        ));
    }
    Ok(r)
}

fn check_url(u: &Spanned<String>) -> Result<String, String> {
    let url = u.get_ref();
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.clone())
    } else {
        Err(format!("{url:?} is not an http:// or https:// URL"))
    }
}

fn parse_platform(s: &str) -> Result<Platform, String> {
    let mut parts = s.split('/');
    let (Some(os), Some(arch)) = (parts.next(), parts.next()) else {
        return Err(format!("platform {s:?}: expected OS/ARCH[/VARIANT]"));
    };
    let variant = parts.next().map(str::to_owned);
    if parts.next().is_some() || os.is_empty() || arch.is_empty() {
        return Err(format!("platform {s:?}: expected OS/ARCH[/VARIANT]"));
    }
    let mut p = Platform::linux_amd64();
    p.os = os.to_owned();
    p.architecture = arch.to_owned();
    p.variant = variant;
    Ok(p)
}

/// `30s`, `15m`, `12h`, `30d`, `2w`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad =
        || format!("invalid duration {s:?} (expected a number and s, m, h, d or w, e.g. 30d)");
    let s = s.trim();
    let unit_at = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let n: u64 = s[..unit_at].parse().map_err(|_| bad())?;
    let secs = match &s[unit_at..] {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    n.checked_mul(secs).map(Duration::from_secs).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<WatchConfig, ConfigError> {
        let config = Config::parse(Path::new("/etc/drydock/drydock.toml"), text.to_owned())?;
        WatchConfig::from_config(&config, |k| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn full_example_loads() {
        let c = load(
            r#"
[watch]
listen = "127.0.0.1:9000"
schedule = "*/10 * * * * *"
jitter = "5s"
api-token-env = "API"
[watch.policy]
max-age = "30d"
fail-on-security-updates = true
[[watch.image]]
name = "127.0.0.1:5000/team/app:1.2"
dockerfile = "app/Dockerfile"
rebuild = ["ci"]
[[watch.notify]]
name = "ops"
kind = "webhook"
url = "https://hooks.example.test/drydock"
secret-env = "HOOK"
[[watch.notify]]
name = "chat"
kind = "slack"
url-env = "SLACK"
[[watch.rebuild]]
name = "ci"
command = ["./rebuild.sh"]
"#,
            &[
                ("API", "t0k"),
                ("HOOK", "s3cret"),
                ("SLACK", "https://chat.example.test/x"),
            ],
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.api_token.as_deref(), Some("t0k"));
        assert_eq!(c.policy.max_age, Some(Duration::from_secs(30 * 86_400)));
        assert!(c.policy.fail_on_base_moved);
        assert_eq!(
            c.images[0].dockerfile.as_deref(),
            Some(Path::new("/etc/drydock/app/Dockerfile"))
        );
        assert_eq!(
            c.notifiers[0].kind,
            NotifierKind::Webhook {
                secret: "s3cret".into()
            }
        );
        assert_eq!(c.notifiers[1].url, "https://chat.example.test/x");
        assert!(
            c.database
                .starts_with("sqlite:///etc/drydock/.drydock/watch.db")
        );
        assert_eq!(c.schedule.jitter, Duration::from_secs(5));
    }

    #[test]
    fn errors_point_at_the_value() {
        let e = load(
            "[watch]\n[[watch.image]]\nname = \"a/b:1\"\nrebild = []\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.position, Some((4, 1)), "{e}");
        assert!(e.message.contains("unknown field `rebild`"), "{e}");
        let e = load(
            "[watch]\nschedule = \"every day\"\n[[watch.image]]\nname = \"a/b:1\"\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.position, Some((2, 12)), "{e}");
        let e = load(
            "[watch]\n[[watch.image]]\nname = \"a/b:1\"\nrebuild = [\"ci\"]\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.position, Some((4, 12)), "{e}");
    }

    #[test]
    fn missing_secret_names_the_variable_not_a_value() {
        let e = load(
            "[watch]\napi-token-env = \"NOPE\"\n[[watch.image]]\nname = \"a/b:1\"\n",
            &[],
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("environment variable NOPE is not set"),
            "{e}"
        );
    }

    #[test]
    fn policy_defaults_hold_without_a_policy_table() {
        let c = load("[watch]\n[[watch.image]]\nname = \"a/b:1\"\n", &[]).unwrap();
        assert!(c.policy.fail_on_base_moved);
        assert!(!c.policy.fail_on_security_updates);
        assert_eq!(c.policy.max_age, None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("12h").unwrap(), Duration::from_secs(43_200));
        assert!(parse_duration("12").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("99999999999999999999w").is_err());
    }
}
