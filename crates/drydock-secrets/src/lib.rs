//! drydock's one secret-detection engine, shared by `drydock lint` (ARG/ENV
//! values, RUN lines, heredocs) and `drydock scan` (layer files, image config,
//! history).
//!
//! Pipeline: one Aho-Corasick pass finds rule keywords (ASCII
//! case-insensitive, gitleaks-style; a hand-built DFA walking four stretches
//! of the input at once, see `keywords.rs`) → only the rules whose keywords occur run
//! their regex, and only on windows around the keyword hits (span-bounded
//! searches with look-behind context) → validators (entropy, placeholders,
//! base64 payloads) → overlap resolution → redacted, fingerprinted [`Match`]es.
//!
//! Raw secret bytes never leave the scanner: a [`Match`] carries a redacted
//! rendering (`ghp_***`) and a [`Fingerprint`] (SHA-256 prefix) only.
//!
//! ```
//! let scanner = drydock_secrets::Scanner::global();
//! let token = format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
//! let text = format!("export GITHUB_TOKEN={token}\n");
//! let found = scanner.scan(text.as_bytes());
//! assert_eq!(found[0].rule_id, "github-pat");
//! assert_eq!(found[0].redacted, "ghp_***");
//! assert_eq!(scanner.redact_text(&text), "export GITHUB_TOKEN=ghp_***\n");
//! ```

mod binary;
mod keywords;
mod names;
mod reader;
mod rules;
mod validate;

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::OnceLock;

use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Input, meta};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use binary::{BINARY_SNIFF_LEN, BinaryKind, detect_binary, is_binary};
pub use names::secret_word;
pub use reader::{ReaderOptions, ReaderReport};
pub use validate::is_key_fingerprint;

use keywords::KeywordDfa;
use rules::{Keep, RULES, RuleDef};
use validate::{Candidate, Mode};

/// Severity hint of a rule. Ordered `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Public description of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Stable kebab-case id, e.g. `aws-access-key-id`.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
}

/// First 6 bytes (12 hex digits) of the SHA-256 of the raw secret: tells
/// identical secrets apart and lets users allow-list one without us printing it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 6]);

impl Fingerprint {
    pub fn of(secret: &[u8]) -> Fingerprint {
        let digest = Sha256::digest(secret);
        let mut out = [0u8; 6];
        out.copy_from_slice(&digest[..6]);
        Fingerprint(out)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Error parsing a [`Fingerprint`] (expects 12 hex digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFingerprintError;

impl fmt::Display for ParseFingerprintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a secret fingerprint is 12 hexadecimal digits")
    }
}

impl std::error::Error for ParseFingerprintError {}

impl FromStr for Fingerprint {
    type Err = ParseFingerprintError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().as_bytes();
        if s.len() != 12 {
            return Err(ParseFingerprintError);
        }
        let mut out = [0u8; 6];
        for (i, pair) in s.chunks(2).enumerate() {
            let hex = |b: u8| (b as char).to_digit(16).ok_or(ParseFingerprintError);
            out[i] = (hex(pair[0])? * 16 + hex(pair[1])?) as u8;
        }
        Ok(Fingerprint(out))
    }
}

/// The fixed mask that replaces secret material (never reveals the length).
pub const MASK: &str = "***";

/// One secret found in the input. Holds no raw secret bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    pub rule_id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Byte range of the secret in the input (stream offsets for [`Scanner::scan_reader`]).
    pub range: Range<usize>,
    /// 1-based line of `range.start`.
    pub line: usize,
    /// 1-based column of `range.start`, in characters (UTF-8 scalar values).
    pub column: usize,
    /// Identifying non-secret prefix plus [`MASK`], e.g. `AKIA***`, `https://***@`.
    pub redacted: String,
    pub fingerprint: Fingerprint,
}

impl fmt::Display for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} ({}, {}) {} [{}]",
            self.line,
            self.column,
            self.title,
            self.rule_id,
            self.severity,
            self.redacted,
            self.fingerprint
        )
    }
}

/// Regex evaluation strategy (exposed for benchmarking; `Windowed` is the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Run a triggered rule only on windows around its keyword hits.
    #[default]
    Windowed,
    /// Run a triggered rule over the whole buffer.
    WholeBuffer,
}

/// Configures a [`Scanner`].
#[derive(Debug, Clone, Default)]
pub struct ScannerBuilder {
    disabled: HashSet<String>,
    allowed: HashSet<Fingerprint>,
    strategy: Strategy,
}

impl ScannerBuilder {
    /// Do not run the rule with this id.
    pub fn disable_rule(mut self, id: &str) -> Self {
        self.disabled.insert(id.to_owned());
        self
    }
    /// Drop findings with this fingerprint from `scan*` results (redaction still applies).
    pub fn allow_fingerprint(mut self, fp: Fingerprint) -> Self {
        self.allowed.insert(fp);
        self
    }
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }
    pub fn build(self) -> Scanner {
        Scanner::from_builder(self)
    }
}

struct Compiled {
    def: &'static RuleDef,
    /// `None` for rules with a custom matcher.
    re: Option<meta::Regex>,
    slot_len: usize,
    secret_group: usize,
    key_group: Option<usize>,
    quote_group: Option<usize>,
}

/// The compiled engine. Build once, share everywhere (`Send + Sync`).
pub struct Scanner {
    keywords: KeywordDfa,
    /// keyword index → indices into `rules`
    keyword_rules: Vec<Vec<u16>>,
    rules: Vec<Compiled>,
    max_slots: usize,
    allowed: HashSet<Fingerprint>,
    strategy: Strategy,
}

impl fmt::Debug for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &self.rules.len())
            .field("keywords", &self.keyword_rules.len())
            .field("strategy", &self.strategy)
            .finish()
    }
}

/// A match before redaction: rule index and secret span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Raw {
    pub rule: u16,
    pub start: usize,
    pub end: usize,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new()
    }
}

impl Scanner {
    /// All built-in rules, windowed strategy, no allow-list.
    pub fn new() -> Scanner {
        ScannerBuilder::default().build()
    }

    pub fn builder() -> ScannerBuilder {
        ScannerBuilder::default()
    }

    /// A process-wide default scanner, compiled on first use.
    pub fn global() -> &'static Scanner {
        static GLOBAL: OnceLock<Scanner> = OnceLock::new();
        GLOBAL.get_or_init(Scanner::new)
    }

    /// Every built-in rule, enabled or not.
    pub fn builtin_rules() -> impl Iterator<Item = RuleInfo> {
        RULES.iter().map(|d| RuleInfo {
            id: d.id,
            title: d.title,
            severity: d.severity,
        })
    }

    /// The rules this scanner runs.
    pub fn rules(&self) -> impl Iterator<Item = RuleInfo> + '_ {
        self.rules.iter().map(|c| RuleInfo {
            id: c.def.id,
            title: c.def.title,
            severity: c.def.severity,
        })
    }

    fn from_builder(b: ScannerBuilder) -> Scanner {
        let mut rules = Vec::new();
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<u16>> = Vec::new();
        for def in RULES.iter().filter(|d| !b.disabled.contains(d.id)) {
            // Custom-matcher patterns are still compiled: it keeps them honest.
            let re = meta::Regex::builder()
                .configure(meta::Config::new().utf8_empty(false))
                .build(def.pattern)
                .unwrap_or_else(|e| panic!("rule {}: bad pattern: {e}", def.id));
            let gi = re.group_info();
            let pid = regex_automata::PatternID::ZERO;
            let secret_group = gi.to_index(pid, "secret").unwrap_or(0);
            let key_group = gi.to_index(pid, "key");
            let quote_group = gi.to_index(pid, "q");
            let slot_len = gi.slot_len();
            let re = if def.custom.is_some() { None } else { Some(re) };
            let idx = rules.len() as u16;
            rules.push(Compiled {
                def,
                re,
                slot_len,
                secret_group,
                key_group,
                quote_group,
            });
            for kw in def.keywords {
                let kw = kw.to_ascii_lowercase();
                match keywords.iter().position(|k| *k == kw) {
                    Some(i) => keyword_rules[i].push(idx),
                    None => {
                        keywords.push(kw);
                        keyword_rules.push(vec![idx]);
                    }
                }
            }
        }
        let keywords = KeywordDfa::new(&keywords);
        let max_slots = rules.iter().map(|r| r.slot_len).max().unwrap_or(2);
        Scanner {
            keywords,
            keyword_rules,
            rules,
            max_slots,
            allowed: b.allowed,
            strategy: b.strategy,
        }
    }

    // ------------------------------------------------------------------
    // core

    /// Every candidate match in `buf`, unsorted, before overlap resolution.
    pub(crate) fn raw_matches(&self, buf: &[u8], mode: Mode, out: &mut Vec<Raw>) {
        let len = buf.len();
        let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.rules.len()];
        let mut any = false;
        let mut hits = Vec::with_capacity(len / 32);
        self.keywords.find_all(buf, &mut hits);
        for hit in hits {
            for &r in &self.keyword_rules[hit.keyword] {
                let def = self.rules[r as usize].def;
                if let Some(f) = def.hit_filter
                    && !f(buf, hit.start, hit.end)
                {
                    continue;
                }
                if let Some(m) = def.custom {
                    if let Some((start, end)) = m(buf, hit.start, hit.end, mode) {
                        out.push(Raw {
                            rule: r,
                            start,
                            end,
                        });
                    }
                    continue;
                }
                any = true;
                let w = &mut windows[r as usize];
                if self.strategy == Strategy::WholeBuffer {
                    if w.is_empty() {
                        w.push((0, len));
                    }
                    continue;
                }
                let s = hit.start.saturating_sub(def.before);
                let e = hit.end.saturating_add(def.after).min(len);
                match w.last_mut() {
                    Some(last) if s <= last.1 && e >= last.0 => {
                        last.0 = last.0.min(s);
                        last.1 = last.1.max(e);
                    }
                    _ => w.push((s, e)),
                }
            }
        }
        if !any {
            return;
        }
        let mut slots: Vec<Option<NonMaxUsize>> = vec![None; self.max_slots];
        for (r, w) in windows.iter_mut().enumerate() {
            if w.is_empty() {
                continue;
            }
            if !w.is_sorted() {
                w.sort_unstable();
                let mut merged: Vec<(usize, usize)> = Vec::with_capacity(w.len());
                for &(s, e) in w.iter() {
                    match merged.last_mut() {
                        Some(last) if s <= last.1 => last.1 = last.1.max(e),
                        _ => merged.push((s, e)),
                    }
                }
                *w = merged;
            }
            let rule = &self.rules[r];
            let slots = &mut slots[..rule.slot_len];
            for &(s, e) in w.iter() {
                self.run_rule(r as u16, rule, buf, s, e, mode, slots, out);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run_rule(
        &self,
        idx: u16,
        rule: &Compiled,
        buf: &[u8],
        start: usize,
        end: usize,
        mode: Mode,
        slots: &mut [Option<NonMaxUsize>],
        out: &mut Vec<Raw>,
    ) {
        let Some(re) = &rule.re else { return };
        let mut input = Input::new(buf).span(start..end);
        loop {
            slots.fill(None);
            if re.search_slots(&input, slots).is_none() {
                return;
            }
            let (Some(ms), Some(me)) = (slots[0], slots[1]) else {
                return;
            };
            let (ms, me) = (ms.get(), me.get());
            let span = |g: usize| match (slots[2 * g], slots[2 * g + 1]) {
                (Some(a), Some(b)) => Some((a.get(), b.get())),
                _ => None,
            };
            if let Some((ss, se)) = span(rule.secret_group)
                && se > ss
            {
                let ok = match rule.def.validate {
                    None => true,
                    Some(v) => v(&Candidate {
                        secret: &buf[ss..se],
                        key: rule.key_group.and_then(span).map(|(a, b)| &buf[a..b]),
                        quote: rule.quote_group.and_then(span).map(|(a, _)| buf[a]),
                        next: buf.get(se).copied(),
                        mode,
                    }),
                };
                if ok {
                    out.push(Raw {
                        rule: idx,
                        start: ss,
                        end: se,
                    });
                }
            }
            let next = if me > ms { me } else { ms + 1 };
            if next >= end {
                return;
            }
            input.set_start(next);
        }
    }

    /// Sort and resolve overlaps between tiers: a match overlapping a match of a
    /// more specific tier is dropped (a GitHub token inside `token = "…"` is
    /// reported once, as a GitHub token). Exact duplicates are removed.
    pub(crate) fn resolve(&self, raws: &mut Vec<Raw>) {
        raws.sort_unstable_by_key(|r| (r.start, r.end, r.rule));
        raws.dedup();
        let tier = |r: &Raw| self.rules[r.rule as usize].def.tier;
        let max_tier = raws.iter().map(tier).max().unwrap_or(0);
        for t in 1..=max_tier {
            // intervals of lower tiers, sorted by start, with running max end
            let lower: Vec<(usize, usize)> = raws
                .iter()
                .filter(|r| tier(r) < t)
                .map(|r| (r.start, r.end))
                .collect();
            if lower.is_empty() {
                continue;
            }
            let mut max_end = Vec::with_capacity(lower.len());
            let mut m = 0;
            for &(_, e) in &lower {
                m = m.max(e);
                max_end.push(m);
            }
            raws.retain(|r| {
                if tier(r) != t {
                    return true;
                }
                let n = lower.partition_point(|&(s, _)| s < r.end);
                !(n > 0 && max_end[n - 1] > r.start)
            });
        }
    }

    pub(crate) fn to_match(
        &self,
        raw: &Raw,
        secret: &[u8],
        offset: usize,
        line: usize,
        column: usize,
    ) -> Match {
        let def = self.rules[raw.rule as usize].def;
        Match {
            rule_id: def.id,
            title: def.title,
            severity: def.severity,
            range: raw.start + offset..raw.end + offset,
            line,
            column,
            redacted: render(def.keep, secret),
            fingerprint: Fingerprint::of(secret),
        }
    }

    pub(crate) fn is_allowed(&self, secret: &[u8]) -> bool {
        !self.allowed.is_empty() && self.allowed.contains(&Fingerprint::of(secret))
    }

    // ------------------------------------------------------------------
    // public scanning API

    /// Number of keyword hits in `buf` (the Aho-Corasick pass alone; for benchmarks).
    #[doc(hidden)]
    pub fn keyword_hits(&self, buf: &[u8]) -> usize {
        let mut hits = Vec::new();
        self.keywords.find_all(buf, &mut hits);
        hits.len()
    }

    /// All secrets in a complete buffer, sorted by position.
    pub fn scan(&self, buf: &[u8]) -> Vec<Match> {
        let mut out = Vec::new();
        self.scan_into(buf, &mut out);
        out
    }

    /// Like [`Scanner::scan`], appending to `out` (reuse it across files).
    pub fn scan_into(&self, buf: &[u8], out: &mut Vec<Match>) {
        let mut raws = Vec::new();
        self.raw_matches(buf, Mode::Scan, &mut raws);
        if raws.is_empty() {
            return;
        }
        self.resolve(&mut raws);
        let mut lines = LineTracker::default();
        for r in &raws {
            let secret = &buf[r.start..r.end];
            if self.is_allowed(secret) {
                continue;
            }
            lines.advance(&buf[lines.pos..r.start]);
            out.push(self.to_match(r, secret, 0, lines.line, lines.column + 1));
        }
    }

    /// Stream a reader (e.g. a tar entry inflating on the fly) through a bounded
    /// buffer with default [`ReaderOptions`] (1 MiB chunks, 4 KiB overlap, skip binaries).
    pub fn scan_reader<R: std::io::Read>(&self, reader: R) -> std::io::Result<ReaderReport> {
        self.scan_reader_with(reader, &ReaderOptions::default())
    }

    /// Replace every secret in `text` by its redacted rendering. Borrowed when
    /// nothing was found. Redaction is stricter than scanning: low-entropy
    /// values of secret-named assignments (`password=hunter2`) are masked too,
    /// and allow-listed fingerprints are still masked.
    pub fn redact_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.redact_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Replacements are ASCII and ranges are widened to char boundaries.
            Cow::Owned(v) => Cow::Owned(
                String::from_utf8(v)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }

    /// Byte version of [`Scanner::redact_text`].
    pub fn redact_bytes<'a>(&self, text: &'a [u8]) -> Cow<'a, [u8]> {
        let mut raws = Vec::new();
        self.raw_matches(text, Mode::Redact, &mut raws);
        if raws.is_empty() {
            return Cow::Borrowed(text);
        }
        raws.sort_unstable_by_key(|r| {
            (
                r.start,
                std::cmp::Reverse(r.end),
                self.rules[r.rule as usize].def.tier,
                r.rule,
            )
        });
        let is_boundary = |i: usize| i >= text.len() || (text[i] & 0xC0) != 0x80;
        let mut out = Vec::with_capacity(text.len());
        let mut pos = 0;
        let mut i = 0;
        while i < raws.len() {
            let first = raws[i];
            let mut start = first.start.max(pos);
            let mut end = first.end;
            i += 1;
            while i < raws.len() && raws[i].start < end {
                end = end.max(raws[i].end);
                i += 1;
            }
            if end <= start {
                continue;
            }
            while !is_boundary(start) {
                start -= 1;
            }
            while !is_boundary(end) {
                end += 1;
            }
            out.extend_from_slice(&text[pos..start]);
            let keep = self.rules[first.rule as usize].def.keep;
            // the kept prefix must come from the start of the first match
            let rendered = if start == first.start {
                render(keep, &text[first.start..first.end])
            } else {
                MASK.to_owned()
            };
            out.extend_from_slice(rendered.as_bytes());
            pos = end;
        }
        out.extend_from_slice(&text[pos..]);
        Cow::Owned(out)
    }

    /// Classify a named assignment (Dockerfile `ARG`/`ENV`, image config `Env`,
    /// a `KEY=value` line). `None` means "not a secret".
    pub fn check_assignment(&self, name: &str, value: &str) -> Option<Verdict> {
        let name_word = names::secret_word(name);
        let allow_listed = name_word.is_none() && is_public_name(name);
        let v = unquote(value.trim());
        if is_trivial_literal(v) {
            return None; // `ENABLE_BASIC_AUTH=true`: a flag, not a credential
        }
        let offset = v.as_ptr() as usize - value.as_ptr() as usize;
        let literal = !v.is_empty()
            && !validate::is_reference(v.as_bytes())
            && !validate::is_placeholder(v.as_bytes());
        let mut matches = Vec::new();
        if literal {
            let text = format!("{name}={v}");
            let base = name.len() + 1;
            let mut raws = Vec::new();
            self.raw_matches(text.as_bytes(), Mode::Scan, &mut raws);
            self.resolve(&mut raws);
            for r in raws.iter().filter(|r| r.start >= base) {
                let def = self.rules[r.rule as usize].def;
                if allow_listed && def.tier == 2 {
                    continue;
                }
                let secret = &text.as_bytes()[r.start..r.end];
                if self.is_allowed(secret) {
                    continue;
                }
                let col = text[base..r.start].chars().count() + 1;
                let mut m = self.to_match(r, secret, 0, 1, col);
                m.range = r.start - base + offset..r.end - base + offset;
                matches.push(m);
            }
        }
        // A public identifier (`GPG_KEY`, fingerprints) is not secret by name.
        let name_word = name_word.filter(|w| !(*w == "key" && validate::is_fingerprint_list(v)));
        let by_name_literal = name_word.is_some() && literal && !is_trivial_literal(v);
        let kind = match (name_word.is_some(), !matches.is_empty() || by_name_literal) {
            (true, true) => VerdictKind::NameAndValue,
            (true, false) => VerdictKind::Name,
            (false, true) => VerdictKind::Value,
            (false, false) => return None,
        };
        let redacted_value = match kind {
            VerdictKind::Name => value.to_owned(),
            VerdictKind::NameAndValue if matches.is_empty() => MASK.to_owned(),
            _ => {
                let mut s = String::with_capacity(value.len());
                let mut pos = 0;
                for m in &matches {
                    s.push_str(&value[pos..m.range.start.max(pos)]);
                    s.push_str(&m.redacted);
                    pos = m.range.end.max(pos);
                }
                s.push_str(&value[pos..]);
                s
            }
        };
        Some(Verdict {
            kind,
            name_word,
            matches,
            redacted_value,
        })
    }
}

fn unquote(v: &str) -> &str {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// `true`/`false`/`0`/`1`: a flag, not a credential (`ENABLE_TOKEN_AUTH=true`).
fn is_trivial_literal(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "0" | "1" | "null" | "none"
    )
}

fn is_public_name(name: &str) -> bool {
    let toks = names::tokens(name);
    toks.iter().any(|t| {
        matches!(
            t.as_str(),
            "public" | "pub" | "gpg" | "pgp" | "gnupg" | "fingerprint" | "fingerprints"
        )
    }) || toks
        .windows(2)
        .any(|w| matches!(w[0].as_str(), "key" | "keys") && matches!(w[1].as_str(), "id" | "ids"))
}

/// How [`Scanner::check_assignment`] judged a named assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictKind {
    /// The name is a secret name but the value is empty, a `$VAR`/`${VAR}`
    /// reference or a placeholder: a secret will be passed at build/run time
    /// (recommend `RUN --mount=type=secret`).
    Name,
    /// The name is ordinary but the value is a recognised secret.
    Value,
    /// A secret-named variable holding a literal value: the secret is in the file.
    NameAndValue,
}

/// Result of [`Scanner::check_assignment`]. Holds no raw secret bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub kind: VerdictKind,
    /// The word that made the name secret (`"password"`, `"token"`, `"key"` …).
    pub name_word: Option<&'static str>,
    /// Rule matches inside the value; ranges are byte offsets into `value`.
    pub matches: Vec<Match>,
    /// The value safe to print: unchanged for [`VerdictKind::Name`], secrets
    /// replaced otherwise (`***` when the whole value is the secret).
    pub redacted_value: String,
}

impl Verdict {
    /// Severity hint: the worst matched rule; `High` for a literal in a
    /// secret-named variable; `Medium` for a name-only verdict.
    pub fn severity(&self) -> Severity {
        let rules = self.matches.iter().map(|m| m.severity).max();
        match self.kind {
            VerdictKind::Name => Severity::Medium,
            VerdictKind::NameAndValue => rules.unwrap_or(Severity::High).max(Severity::High),
            VerdictKind::Value => rules.unwrap_or(Severity::Medium),
        }
    }
    pub fn by_name(&self) -> bool {
        matches!(self.kind, VerdictKind::Name | VerdictKind::NameAndValue)
    }
    pub fn by_value(&self) -> bool {
        matches!(self.kind, VerdictKind::Value | VerdictKind::NameAndValue)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            VerdictKind::Name => write!(f, "secret by name ({})", self.name_word.unwrap_or("?")),
            VerdictKind::Value => write!(
                f,
                "secret value ({})",
                self.matches.first().map_or("?", |m| m.rule_id)
            ),
            VerdictKind::NameAndValue => write!(
                f,
                "literal secret in secret-named variable ({}): {}",
                self.name_word.unwrap_or("?"),
                self.redacted_value
            ),
        }
    }
}

/// `scanner.redact_text` on the [`Scanner::global`] scanner.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    Scanner::global().redact_text(text)
}

/// `scanner.check_assignment` on the [`Scanner::global`] scanner.
pub fn check_assignment(name: &str, value: &str) -> Option<Verdict> {
    Scanner::global().check_assignment(name, value)
}

/// `prefix***` for a secret, per the rule's [`Keep`] policy.
fn render(keep: Keep, secret: &[u8]) -> String {
    let find = |needle: &[u8]| memchr::memmem::find(secret, needle);
    let n = match keep {
        Keep::Nothing => 0,
        Keep::Prefix(n) => n,
        Keep::GitlabPrefix => {
            if secret.starts_with(b"GR1348941") {
                9
            } else {
                memchr::memchr(b'-', secret).map_or(0, |i| i + 1)
            }
        }
        Keep::PemHeader => secret
            .get(5..)
            .and_then(|rest| memchr::memmem::find(rest, b"-----"))
            .map_or(0, |i| i + 10),
        Keep::Scheme => find(b"://").map_or(0, |i| i + 3),
        Keep::SlackWebhook => [&b"/services/"[..], b"/workflows/", b"/triggers/"]
            .iter()
            .find_map(|p| find(p).map(|i| i + p.len()))
            .unwrap_or(0),
    };
    // never keep the whole secret
    let n = n.min(secret.len().saturating_sub(1));
    let mut s = String::with_capacity(n + MASK.len() + 1);
    s.push_str(&String::from_utf8_lossy(&secret[..n]));
    s.push_str(MASK);
    if matches!(keep, Keep::Scheme) && secret.ends_with(b"@") {
        s.push('@');
    }
    s
}

/// Tracks 1-based line and 0-based character column while walking forward.
#[derive(Debug, Clone)]
pub(crate) struct LineTracker {
    /// Bytes consumed so far (buffer or stream offset).
    pub pos: usize,
    pub line: usize,
    /// Characters since the last newline.
    pub column: usize,
}

impl Default for LineTracker {
    fn default() -> Self {
        LineTracker {
            pos: 0,
            line: 1,
            column: 0,
        }
    }
}

impl LineTracker {
    /// Consume `bytes` (which start at `self.pos`).
    pub fn advance(&mut self, bytes: &[u8]) {
        let chars = |b: &[u8]| b.iter().filter(|&&c| (c & 0xC0) != 0x80).count();
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count();
                self.column = chars(&bytes[last + 1..]);
            }
            None => self.column += chars(bytes),
        }
        self.pos += bytes.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanner_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Scanner>();
        assert_send_sync::<Match>();
    }

    #[test]
    fn fingerprint_roundtrip() {
        let fp = Fingerprint::of(b"abc");
        assert_eq!(fp.to_string(), "ba7816bf8f01"); // sha256("abc") = ba7816bf8f01cfea…
        assert_eq!(fp.to_string().parse::<Fingerprint>(), Ok(fp));
        assert!("xyz".parse::<Fingerprint>().is_err());
        assert!("ba7816bf8f0g".parse::<Fingerprint>().is_err());
    }

    #[test]
    fn line_tracker() {
        let mut t = LineTracker::default();
        t.advance("ab\ncé".as_bytes());
        assert_eq!((t.line, t.column), (2, 2));
        t.advance(b"x");
        assert_eq!((t.line, t.column), (2, 3));
    }

    #[test]
    fn render_keeps_only_prefix() {
        assert_eq!(render(Keep::Prefix(4), b"AKIAABCDEFGHIJKLMNOP"), "AKIA***");
        assert_eq!(render(Keep::Nothing, b"abc"), "***");
        assert_eq!(render(Keep::Scheme, b"https://u:p@"), "https://***@");
        assert_eq!(
            render(Keep::PemHeader, b"-----BEGIN RSA PRIVATE KEY-----\nMIIE"),
            "-----BEGIN RSA PRIVATE KEY-----***"
        );
        assert_eq!(render(Keep::GitlabPrefix, b"glrt-abcdefghij"), "glrt-***");
        assert_eq!(render(Keep::Prefix(8), b"ab"), "a***");
    }

    #[test]
    fn every_rule_compiles_and_has_keywords() {
        let s = Scanner::new();
        assert_eq!(s.rules().count(), RULES.len());
        let mut ids = HashSet::new();
        for d in RULES {
            assert!(!d.keywords.is_empty(), "{}", d.id);
            assert!(
                d.keywords.iter().all(|k| *k == k.to_ascii_lowercase()),
                "{}",
                d.id
            );
            assert!(
                d.id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                d.id
            );
            assert!(ids.insert(d.id), "duplicate id {}", d.id);
            assert!(
                !d.pattern.contains(r"\b")
                    || d.pattern.matches(r"\b").count() == d.pattern.matches(r"(?-u:\b)").count(),
                "{} uses a Unicode \\b",
                d.id
            );
        }
    }
}
