//! The advisory rules (`DD7xx`).

use std::borrow::Cow::Borrowed as B;

use drydock_findings::{RuleInfo, Severity};

/// `DD701`: an advisory applies and the distribution has a fix.
pub const FIX_AVAILABLE: (&str, &str) = ("DD701", "vulnerable-package-fix-available");
/// `DD702`: an advisory applies and no fix is published yet.
pub const NO_FIX_YET: (&str, &str) = ("DD702", "vulnerable-package-no-fix");

/// Every rule `drydock advisories` (and `drydock check --osv`) can report.
pub static RULES: &[RuleInfo] = &[
    RuleInfo {
        code: B(FIX_AVAILABLE.0),
        name: B(FIX_AVAILABLE.1),
        summary: B(
            "An installed package is affected by an advisory that its distribution has fixed",
        ),
        default_severity: Severity::Warning,
        hadolint: None,
        docs: Some(B(r#"## What it does
Matches the image's installed OS packages (dpkg, apk) against OSV advisories given with
`--osv PATH` (a directory or zip of OSV JSON records, as osv.dev exports them per ecosystem,
e.g. `Debian:12` or `Alpine:v3.19`). The image's `os-release` picks the ecosystem; Debian and
Ubuntu packages are looked up by their **source** package and compared by source version,
Alpine packages by origin and by name; versions are ordered by the distribution's own rules
(dpkg, apk). Reports each advisory whose `ECOSYSTEM` ranges or listed versions include the
installed version and whose range ends with a `fixed` version above it.

## Why is this bad?
A known vulnerability ships in the image although the distribution already publishes the fix:
the image was built before the fix, or a cached layer keeps the old package.

## Example
`openssl 3.0.11-1~deb12u1` installed, advisory fixed in `3.0.11-1~deb12u2`.

## How to fix
Rebuild so the fixed version is installed: pull the newest base image (`docker build --pull`)
and make sure the layer that installs the package is rebuilt (a cached `apt-get install` layer
keeps the old version). `drydock check` tells whether the base moved.
"#)),
    },
    RuleInfo {
        code: B(NO_FIX_YET.0),
        name: B(NO_FIX_YET.1),
        summary: B("An installed package is affected by an advisory with no fix published yet"),
        default_severity: Severity::Info,
        hadolint: None,
        docs: Some(B(r#"## What it does
Like `DD701`, for advisories whose matching range has no `fixed` version: the range is open
(`introduced` only) or ends with `last_affected`, or the advisory only lists affected versions.

## Why is this bad?
The vulnerability is in the image and rebuilding does not remove it yet. It is reported as
information so that CI does not fail on something the image's authors cannot fix.

## Example
`zlib 1:1.2.13.dfsg-1` installed, advisory `introduced: 0` with no fix in `Debian:12`.

## How to fix
Decide whether the package is needed (remove it, or use a smaller base image), mitigate, and
watch for the fix: once the distribution publishes it, the finding becomes `DD701`.
"#)),
    },
];
