//! The catalogue of scan rules.

use std::borrow::Cow::Borrowed as B;

use drydock_findings::{RuleInfo, Severity};

const fn rule(
    code: &'static str,
    name: &'static str,
    severity: Severity,
    summary: &'static str,
) -> RuleInfo {
    RuleInfo {
        code: B(code),
        name: B(name),
        summary: B(summary),
        default_severity: severity,
        hadolint: None,
        docs: None,
    }
}

pub const SECRET_IN_LAYER_FILE: (&str, &str) = ("DD501", "secret-in-layer-file");
pub const SECRET_IN_CONFIG: (&str, &str) = ("DD502", "secret-in-config");
pub const SECRET_IN_HISTORY: (&str, &str) = ("DD503", "secret-in-history");
pub const RUNS_AS_ROOT: (&str, &str) = ("DD511", "image-runs-as-root");
pub const NO_HEALTHCHECK: (&str, &str) = ("DD512", "missing-healthcheck");
pub const SSH_PORT: (&str, &str) = ("DD513", "ssh-port-exposed");
pub const TOO_OLD: (&str, &str) = ("DD514", "image-too-old");
pub const SETUID_FILE: (&str, &str) = ("DD515", "setuid-file");
pub const SHADOW_EMPTY: (&str, &str) = ("DD516", "shadow-empty-password");
pub const WASTED_BYTES: (&str, &str) = ("DD521", "wasted-bytes");
pub const PACKAGE_CACHE: (&str, &str) = ("DD522", "package-cache-shipped");

/// Every rule `drydock scan` can report, in code order.
pub static RULES: &[RuleInfo] = &[
    rule(
        SECRET_IN_LAYER_FILE.0,
        SECRET_IN_LAYER_FILE.1,
        Severity::Error,
        "A secret is in a file of a layer (also when a later layer deletes or overwrites the file: it still ships)",
    ),
    rule(
        SECRET_IN_CONFIG.0,
        SECRET_IN_CONFIG.1,
        Severity::Error,
        "A secret is in the image configuration: Env, Labels, Cmd or Entrypoint",
    ),
    rule(
        SECRET_IN_HISTORY.0,
        SECRET_IN_HISTORY.1,
        Severity::Error,
        "A secret is in the build history (e.g. a build ARG used by RUN)",
    ),
    rule(
        RUNS_AS_ROOT.0,
        RUNS_AS_ROOT.1,
        Severity::Warning,
        "The image runs as root, implicitly (no USER) or explicitly",
    ),
    rule(
        NO_HEALTHCHECK.0,
        NO_HEALTHCHECK.1,
        Severity::Info,
        "The image runs a command but defines no HEALTHCHECK",
    ),
    rule(
        SSH_PORT.0,
        SSH_PORT.1,
        Severity::Warning,
        "The image exposes port 22 (SSH)",
    ),
    rule(
        TOO_OLD.0,
        TOO_OLD.1,
        Severity::Warning,
        "The image was created longer ago than --max-age",
    ),
    rule(
        SETUID_FILE.0,
        SETUID_FILE.1,
        Severity::Info,
        "A setuid or setgid file is in the final filesystem",
    ),
    rule(
        SHADOW_EMPTY.0,
        SHADOW_EMPTY.1,
        Severity::Error,
        "An account in /etc/shadow has an empty password",
    ),
    rule(
        WASTED_BYTES.0,
        WASTED_BYTES.1,
        Severity::Info,
        "A layer ships more than 1 MiB that later layers delete or overwrite",
    ),
    rule(
        PACKAGE_CACHE.0,
        PACKAGE_CACHE.1,
        Severity::Info,
        "Package manager lists or caches (apt, apk, pip, npm) are shipped in a layer",
    ),
];
