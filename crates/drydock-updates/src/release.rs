//! apt `Release` files (the text signed in `InRelease`): suite metadata and
//! the SHA256 list of the indexes.

use crate::error::{Error, Result};

/// A parsed `Release`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Release {
    /// `Label` (`Debian-Security`).
    pub label: Option<String>,
    /// `Suite`, the archive name (`stable-security`); `apt list` shows it.
    pub suite: Option<String>,
    /// `Codename` (`bookworm-security`).
    pub codename: Option<String>,
    /// `Valid-Until`, seconds since the Unix epoch.
    pub valid_until: Option<i64>,
    /// `Acquire-By-Hash: yes`: indexes are also served under `by-hash/SHA256/<hex>`.
    pub by_hash: bool,
    /// apt's default pin priority for the suite's versions: 500, or 1 for
    /// `NotAutomatic: yes` (never picked by itself), or 100 when
    /// `ButAutomaticUpgrades: yes` is added (upgrades only what is installed
    /// from it, like backports).
    pub priority: u16,
    /// The `SHA256` list.
    pub files: Vec<IndexFile>,
}

/// One entry of the `SHA256` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    /// Path relative to the Release's directory (`main/binary-amd64/Packages.xz`).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

impl Release {
    /// Parses the text of a `Release` (already verified, for `InRelease`).
    ///
    /// # Errors
    /// Not a deb822 paragraph, a malformed `SHA256` line or `Valid-Until`,
    /// or no `SHA256` list (apt refuses weaker hashes).
    pub fn parse(url: &str, text: &str) -> Result<Self> {
        let doc: deb822_fast::Deb822 = text
            .parse()
            .map_err(|e| Error::index(url, format!("malformed Release: {e}")))?;
        let Some(p) = doc.iter().next() else {
            return Err(Error::index(url, "empty Release"));
        };
        let get = |name: &str| {
            p.get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let yes = |name: &str| get(name).is_some_and(|v| v.eq_ignore_ascii_case("yes"));
        let valid_until = match get("Valid-Until") {
            Some(v) => Some(
                parse_date(&v)
                    .ok_or_else(|| Error::index(url, format!("malformed Valid-Until {v:?}")))?,
            ),
            None => None,
        };
        let Some(sums) = p.get("SHA256") else {
            return Err(Error::index(url, "Release has no SHA256 list"));
        };
        let mut files = Vec::new();
        for line in sums.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let mut w = line.split_whitespace();
            let (Some(sha256), Some(size), Some(path), None) =
                (w.next(), w.next(), w.next(), w.next())
            else {
                return Err(Error::index(url, format!("malformed SHA256 line {line:?}")));
            };
            let size = size
                .parse()
                .ok()
                .filter(|_| sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()));
            let Some(size) = size else {
                return Err(Error::index(url, format!("malformed SHA256 line {line:?}")));
            };
            files.push(IndexFile {
                path: path.to_owned(),
                size,
                sha256: sha256.to_ascii_lowercase(),
            });
        }
        Ok(Release {
            label: get("Label"),
            suite: get("Suite"),
            codename: get("Codename"),
            valid_until,
            by_hash: yes("Acquire-By-Hash"),
            priority: match (yes("NotAutomatic"), yes("ButAutomaticUpgrades")) {
                (false, _) => 500,
                (true, false) => 1,
                (true, true) => 100,
            },
            files,
        })
    }

    /// The archive name apt shows (`Suite`, else `Codename`, else `fallback`).
    pub fn archive(&self, fallback: &str) -> String {
        self.suite
            .clone()
            .or_else(|| self.codename.clone())
            .unwrap_or_else(|| fallback.to_owned())
    }

    /// Whether this is a security suite: `Suite`/`Codename` ending in
    /// `-security` or `/updates` (Debian before 11), or a `Label` naming security.
    pub fn is_security(&self, configured_suite: &str) -> bool {
        let security_name =
            |s: &str| s.ends_with("-security") || s.ends_with("/updates") || s == "security";
        [
            self.suite.as_deref(),
            self.codename.as_deref(),
            Some(configured_suite),
        ]
        .into_iter()
        .flatten()
        .any(security_name)
            || self
                .label
                .as_deref()
                .is_some_and(|l| l.to_ascii_lowercase().contains("security"))
    }

    /// The entry for `path`, if listed.
    pub fn file(&self, path: &str) -> Option<&IndexFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// Parses an RFC 2822 date as apt writes it (`Sat, 21 Nov 2026 00:53:02 UTC`,
/// also `GMT`, `Z` or `+0000`; the weekday is optional) into Unix seconds.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.split_once(',').map_or(s, |(_, rest)| rest).trim();
    let mut w = s.split_whitespace();
    let day: i64 = w.next()?.parse().ok()?;
    let month = w.next()?;
    let year: i64 = w.next()?.parse().ok()?;
    let time = w.next()?;
    let offset = match w.next() {
        None | Some("UTC" | "GMT" | "Z" | "UT") => 0,
        Some(z) => {
            let (sign, digits) = z.split_at_checked(1)?;
            let sign = match sign {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hh: i64 = digits[..2].parse().ok()?;
            let mm: i64 = digits[2..].parse().ok()?;
            sign * (hh * 3600 + mm * 60)
        }
    };
    if w.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? as i64 + 1;
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, sec) = (t.next()??, t.next()??, t.next().unwrap_or(Some(0))?);
    if !(1970..=9999).contains(&year)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..=60).contains(&sec)
    {
        return None;
    }
    // Days from civil (proleptic Gregorian), after H. Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + sec - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASE: &str = "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\n\
        Codename: bookworm-security\nDate: Sat, 21 Nov 2026 00:53:02 UTC\n\
        Valid-Until: Sat, 28 Nov 2026 00:53:02 UTC\nAcquire-By-Hash: yes\n\
        Architectures: amd64 arm64\nComponents: updates/main\n\
        MD5Sum:\n 00000000000000000000000000000000 1 main/binary-amd64/Packages\n\
        SHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855        0 main/binary-amd64/Packages\n \
        8575ec1f224d635ce30646a2a1388bee267a7f37fae3f997687643c9ebb8fb43   378100 main/binary-amd64/Packages.xz\n";

    #[test]
    fn release_fields_and_sha256_list() {
        let r = Release::parse("u", RELEASE).unwrap();
        assert_eq!(r.archive("x"), "stable-security");
        assert!(r.is_security("bookworm-security") && r.by_hash && r.priority == 500);
        assert_eq!(r.valid_until, Some(1_795_827_182));
        assert_eq!(r.files.len(), 2);
        let xz = r.file("main/binary-amd64/Packages.xz").unwrap();
        assert_eq!(xz.size, 378_100);
        assert!(xz.sha256.starts_with("8575ec1f"));
        assert!(r.file("main/binary-amd64/Packages.gz").is_none());
    }

    #[test]
    fn regular_suites_and_not_automatic() {
        let r = Release::parse(
            "u",
            "Suite: stable\nCodename: bookworm\nLabel: Debian\nSHA256:\n",
        )
        .unwrap();
        assert!(!r.is_security("bookworm") && r.files.is_empty());
        assert!(
            Release::parse("u", "Suite: x\nSHA256:\n")
                .unwrap()
                .is_security("bookworm/updates")
        );
        let backports =
            "Suite: bookworm-backports\nNotAutomatic: yes\nButAutomaticUpgrades: yes\nSHA256:\n";
        assert_eq!(Release::parse("u", backports).unwrap().priority, 100);
        let experimental = "Suite: experimental\nNotAutomatic: yes\nSHA256:\n";
        assert_eq!(Release::parse("u", experimental).unwrap().priority, 1);
    }

    #[test]
    fn malformed_releases_are_errors() {
        for (text, want) in [
            ("Suite: x\n", "no SHA256"),
            ("SHA256:\n abc 1 p\n", "malformed SHA256"),
            (
                "SHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 x p\n",
                "malformed SHA256",
            ),
            ("Valid-Until: tomorrow\nSHA256:\n", "Valid-Until"),
        ] {
            let e = Release::parse("http://r.example.test/InRelease", text)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(want) && e.contains("r.example.test"),
                "{text}: {e}"
            );
        }
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("Thu, 01 Jan 1970 00:00:00 UTC"), Some(0));
        assert_eq!(parse_date("01 Jan 1970 01:00:00 +0100"), Some(0));
        assert_eq!(
            parse_date("Sat, 28 Nov 2026 00:53:02 GMT"),
            Some(1_795_827_182)
        );
        assert_eq!(
            parse_date("Mon, 29 Feb 2024 12:00:00 UTC"),
            Some(1_709_208_000)
        );
        for bad in [
            "",
            "x",
            "Sat, 28 Foo 2026 00:53:02 UTC",
            "28 Nov 2026 25:00:00",
            "28 Nov 2026 1:2:3 +01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
