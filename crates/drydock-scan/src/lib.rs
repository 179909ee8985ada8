//! `drydock scan`: secrets, risky configuration and bloat in a container image.
//!
//! [`scan`] opens an image reference (`docker-archive:PATH`, `oci:DIR[:TAG]`,
//! `docker:NAME`, a bare path; see [`drydock_image::ImageRef`]) and returns a
//! [`Report`] of findings with [`Location::Image`] / [`Location::Config`]
//! locations plus summary notices. [`scan_source`] does the same for an
//! already opened [`ImageSource`], [`scan_daemon`] for an image of a Docker
//! engine.
//!
//! * Secrets (DD501–DD503): every regular file of every layer, **including
//!   files later layers delete or overwrite** (they still ship), streamed
//!   through [`drydock_secrets::Scanner::scan_reader`] (bounded memory,
//!   binaries skipped and counted); config `Env`, `Labels`, `Cmd`,
//!   `Entrypoint`; history `created_by` (build ARGs used by RUN). Findings
//!   carry the engine's redacted value and fingerprint, never the secret;
//!   echoed instructions go through [`drydock_secrets::redact_text`].
//! * Configuration (DD511–DD516): root user, missing HEALTHCHECK, port 22,
//!   image age (`max_age`), setuid/setgid files, empty `/etc/shadow` passwords.
//! * Bloat (DD521–DD522): bytes hidden by later layers, package caches.
//!
//! Layers of an [`ImageSource`] are walked in parallel (rayon), one verified
//! stream per layer. An engine image arrives as one export stream
//! ([`drydock_image::DockerEngine::stream_image`]): its layers are walked one
//! after the other as they arrive, by the same per-layer scan, and the
//! results go through the same merge and checks, so both paths report the
//! same findings for the same image.

mod rules;
mod time;

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use drydock_findings::{
    ConfigLocation, Finding, ImageLocation, Location, Report, Severity, TargetKind,
};
use drydock_image::{
    DockerEngine, EntryKind, Error, Fate, Image, ImageRef, ImageSource, LayerListing, LayerVisitor,
    MergedTree, OpenOptions, WalkOptions, walk_layer_with,
};
use drydock_secrets::{Fingerprint, Match, ReaderOptions, Scanner, redact_text};
use rayon::prelude::*;

pub use rules::RULES;
pub use time::{human_bytes, human_duration, parse_age, parse_rfc3339};

use rules::*;

/// At most this many DD515 findings; the rest are counted in a notice.
pub const MAX_SETUID_FINDINGS: usize = 50;
/// At most this many secret findings per file; the rest are counted in a notice.
pub const MAX_MATCHES_PER_FILE: usize = 20;
/// DD521 fires for a layer hiding more than this many bytes.
pub const WASTE_THRESHOLD: u64 = 1 << 20;
/// `/etc/shadow` larger than this is not read.
const MAX_SHADOW_BYTES: u64 = 1 << 20;

/// Called with the size of each file as the scan walks past it, from several threads at once
/// (layers are walked in parallel): a progress bar's feed.
pub type Progress = std::sync::Arc<dyn Fn(u64) + Send + Sync>;

/// Scan settings.
#[derive(Clone, Default)]
pub struct ScanOptions {
    /// How the image is opened (limits, platform).
    pub open: OpenOptions,
    /// DD514 fires when the image is older than this; `None` disables it.
    pub max_age: Option<Duration>,
    /// "Now" for the age check (tests); `None` is the system clock.
    pub now: Option<SystemTime>,
    /// Told about every file walked.
    pub progress: Option<Progress>,
}

impl std::fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("open", &self.open)
            .field("max_age", &self.max_age)
            .field("now", &self.now)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Opens `reference` and scans it (`docker:NAME` from the engine at
/// `DOCKER_HOST`). Errors: the image cannot be opened, a layer cannot be
/// read or fails verification.
pub fn scan(reference: &str, opts: &ScanOptions) -> drydock_image::Result<Report> {
    match ImageRef::parse(reference)? {
        ImageRef::Daemon(name) => scan_daemon(&DockerEngine::from_env()?, &name, opts),
        other => {
            let source = drydock_image::open(&other, &opts.open)?;
            scan_source(&*source, opts)
        }
    }
}

/// What one layer's walk produced.
#[derive(Default, Clone)]
struct LayerScan {
    listing: LayerListing,
    /// (path, matches, matches dropped over the per-file cap)
    secrets: Vec<(String, Vec<Match>, usize)>,
    files_scanned: u64,
    bytes_scanned: u64,
    binary_skipped: u64,
    empty: u64,
    tar_bytes: u64,
    anomalies: u64,
    shadow: Option<Vec<u8>>,
}

struct Visitor<'a> {
    out: LayerScan,
    progress: Option<&'a Progress>,
}

impl LayerVisitor for Visitor<'_> {
    fn entry(&mut self, entry: &mut drydock_image::Entry<'_>) -> drydock_image::Result<()> {
        self.out.listing.record(&entry.meta);
        if entry.meta.kind != EntryKind::File {
            return Ok(());
        }
        let size = entry.meta.size;
        if let Some(progress) = self.progress {
            progress(size);
        }
        if size == 0 {
            self.out.empty += 1;
            return Ok(());
        }
        let path = entry.meta.path.clone();
        if path == "/etc/shadow" && size <= MAX_SHADOW_BYTES {
            // Small and needed whole: read it, then scan the copy.
            let mut buf = Vec::with_capacity(size as usize);
            entry
                .read_to_end(&mut buf)
                .map_err(|e| Error::from_io(&path, e))?;
            let report = Scanner::global()
                .scan_reader(&buf[..])
                .map_err(|e| Error::from_io(&path, e))?;
            self.record(path, report);
            self.out.shadow = Some(buf);
            return Ok(());
        }
        // Small files get a small buffer: the default is 1 MiB per call.
        let opts = ReaderOptions {
            chunk_size: (size as usize).clamp(16 << 10, 1 << 20),
            ..ReaderOptions::default()
        };
        let report = Scanner::global()
            .scan_reader_with(&mut *entry, &opts)
            .map_err(|e| Error::from_io(&path, e))?;
        self.record(path, report);
        Ok(())
    }

    fn anomaly(&mut self, anomaly: drydock_image::Anomaly) {
        self.out.anomalies += 1;
        self.out.listing.anomaly(anomaly);
    }
}

impl Visitor<'_> {
    fn record(&mut self, path: String, report: drydock_secrets::ReaderReport) {
        if report.skipped {
            self.out.binary_skipped += 1;
            return;
        }
        self.out.files_scanned += 1;
        self.out.bytes_scanned += report.bytes_read;
        if !report.matches.is_empty() {
            let mut matches = report.matches;
            let dropped = matches.len().saturating_sub(MAX_MATCHES_PER_FILE);
            matches.truncate(MAX_MATCHES_PER_FILE);
            self.out.secrets.push((path, matches, dropped));
        }
    }
}

/// Scans one layer's decompressed tar (all but `tar_bytes`, which the
/// caller's stream knows). `context` names the layer in errors.
fn scan_layer(
    tar: &mut dyn Read,
    index: usize,
    context: String,
    opts: &ScanOptions,
) -> drydock_image::Result<LayerScan> {
    let walk_opts = WalkOptions {
        context,
        max_entries: opts.open.limits.max_layer_entries,
    };
    let mut visitor = Visitor {
        out: LayerScan {
            listing: LayerListing::new(index),
            ..LayerScan::default()
        },
        progress: opts.progress.as_ref(),
    };
    walk_layer_with(tar, &mut visitor, &walk_opts)?;
    Ok(visitor.out)
}

fn walk(
    source: &dyn ImageSource,
    index: usize,
    opts: &ScanOptions,
) -> drydock_image::Result<LayerScan> {
    let mut stream = source.open_layer(index)?;
    let context = stream.label().to_owned();
    let mut scan = scan_layer(&mut stream, index, context, opts)?;
    scan.tar_bytes = stream.decompressed_bytes();
    Ok(scan)
}

/// Scans an opened image.
pub fn scan_source(source: &dyn ImageSource, opts: &ScanOptions) -> drydock_image::Result<Report> {
    let image = source.image();
    let layers: Vec<LayerScan> = (0..image.layers.len())
        .into_par_iter()
        .map(|i| walk(source, i, opts))
        .collect::<drydock_image::Result<_>>()?;
    report(image, &layers, source.limits().max_tree_paths, opts)
}

/// Scans image `name` (tag, id or digest) of `engine`, reading its export
/// once as a stream: each layer is walked as it arrives (memory stays
/// bounded by one layer's walk plus the per-layer listings every scan
/// keeps), then the layers are merged and checked as in [`scan_source`].
pub fn scan_daemon(
    engine: &DockerEngine,
    name: &str,
    opts: &ScanOptions,
) -> drydock_image::Result<Report> {
    let streamed = engine.stream_image(name, &opts.open.limits, |layer| {
        // The index is known once the layer is matched by its diff_id.
        let context = layer.context().to_owned();
        let mut scan = scan_layer(layer, 0, context, opts)?;
        scan.tar_bytes = layer.decompressed_bytes();
        Ok(scan)
    })?;
    let mut layers = streamed.layers;
    for (index, layer) in layers.iter_mut().enumerate() {
        layer.listing.layer = index;
    }
    report(
        &streamed.image,
        &layers,
        opts.open.limits.max_tree_paths,
        opts,
    )
}

/// Merges the layers' walks (base first) and runs every check.
fn report(
    image: &Image,
    layers: &[LayerScan],
    max_tree_paths: usize,
    opts: &ScanOptions,
) -> drydock_image::Result<Report> {
    let mut tree = MergedTree::with_max_paths(max_tree_paths);
    for layer in layers {
        tree.apply(&layer.listing)?;
    }

    let mut s = Scan {
        image,
        findings: Vec::new(),
        notices: Vec::new(),
    };
    s.layer_secrets(layers, &tree);
    let config_fps = s.config_secrets();
    s.history_secrets(&config_fps);
    s.config_checks(opts);
    s.tree_checks(layers, &tree);
    s.bloat(&tree);

    let mut notices = vec![summary(image, layers, opts)];
    let (scanned, bytes, skipped, empty, anomalies) =
        layers.iter().fold((0, 0, 0, 0, 0), |a, l| {
            (
                a.0 + l.files_scanned,
                a.1 + l.bytes_scanned,
                a.2 + l.binary_skipped,
                a.3 + l.empty,
                a.4 + l.anomalies,
            )
        });
    notices.push(format!(
        "secrets: scanned {} ({}) in {}; skipped {} and {}",
        plural(scanned, "file"),
        human_bytes(bytes),
        plural(layers.len() as u64, "layer"),
        plural(skipped, "binary file"),
        plural(empty, "empty file"),
    ));
    if anomalies > 0 {
        notices.push(format!(
            "{anomalies} suspicious tar entries (absolute paths, `..`, duplicates, …) were normalised"
        ));
    }
    notices.extend(image.notes.iter().cloned());
    notices.extend(s.notices);

    let mut report = Report {
        target_kind: TargetKind::Image,
        targets: vec![image.source.clone()],
        findings: s.findings,
        rules: RULES.to_vec(),
        notices,
        ..Report::default()
    };
    report.sort();
    Ok(report)
}

/// `image: … (linux/amd64), 3 layers, 80.1 MiB, user: root (implicit), created … (12d 3h ago)`.
fn summary(image: &Image, layers: &[LayerScan], opts: &ScanOptions) -> String {
    let size: u64 = layers.iter().map(|l| l.tar_bytes).sum();
    let mut s = format!("image: {}", image.source);
    if let Some(r) = &image.reference {
        s.push_str(&format!(" ({r})"));
    }
    s.push_str(&format!(
        ", {}, {}, {} uncompressed",
        image.platform(),
        plural(layers.len() as u64, "layer"),
        human_bytes(size)
    ));
    let user = image
        .config
        .config
        .as_ref()
        .and_then(|c| c.user.as_deref())
        .filter(|u| !u.is_empty());
    s.push_str(&match user {
        Some(u) => format!(", user: {u}"),
        None => ", user: root (no USER)".to_owned(),
    });
    match &image.config.created {
        Some(c) => {
            s.push_str(&format!(", created {c}"));
            if let Some(age) = age_secs(c, opts) {
                s.push_str(&format!(
                    " ({} ago)",
                    time::human_duration(age.max(0) as u64)
                ));
            }
        }
        None => s.push_str(", creation time unknown"),
    }
    s
}

fn age_secs(created: &str, opts: &ScanOptions) -> Option<i64> {
    let created = parse_rfc3339(created)?;
    let now = opts.now.unwrap_or_else(SystemTime::now);
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(now - created)
}

struct Scan<'a> {
    image: &'a Image,
    findings: Vec<Finding>,
    notices: Vec<String>,
}

const SECRET_HELP: &str = "remove the secret from the build and rotate it: pass build secrets with \
    `RUN --mount=type=secret` (never COPY, ARG or ENV), and inject runtime secrets when the \
    container starts; deleting a file in a later layer does not remove it from the image";

fn describe(m: &Match) -> String {
    format!(
        "{} `{}` (fingerprint {})",
        m.title, m.redacted, m.fingerprint
    )
}

fn config_loc(field: String) -> Location {
    Location::Config(ConfigLocation { field })
}

impl Scan<'_> {
    fn image_loc(&self, layer: usize, path: Option<&str>) -> Location {
        let l = self.image.layers.get(layer);
        Location::Image(ImageLocation {
            layer,
            diff_id: l
                .and_then(|l| l.diff_id.as_ref())
                .map(ToString::to_string)
                .unwrap_or_default(),
            created_by: l
                .and_then(|l| l.created_by())
                .map(|c| redact_text(c).into_owned()),
            path: path.map(str::to_owned),
        })
    }

    fn push(
        &mut self,
        rule: (&'static str, &'static str),
        severity: Severity,
        message: String,
        location: Location,
    ) -> &mut Finding {
        self.findings
            .push(Finding::new(rule.0, rule.1, severity, message, location));
        self.findings.last_mut().expect("just pushed")
    }

    fn layer_secrets(&mut self, layers: &[LayerScan], tree: &MergedTree) {
        let mut dropped_total = 0;
        for layer in layers {
            let n = layer.listing.layer;
            for (path, matches, dropped) in &layer.secrets {
                dropped_total += dropped;
                let fate = tree
                    .versions(path)
                    .and_then(|vs| vs.iter().rev().find(|v| v.layer == n))
                    .map_or(Fate::Present, |v| v.fate);
                let fate = match fate {
                    Fate::Present => String::new(),
                    Fate::Deleted { by_layer, .. } => {
                        format!("; deleted in layer {by_layer} but still shipped in layer {n}")
                    }
                    Fate::Overwritten { by_layer } => {
                        format!("; overwritten in layer {by_layer} but still shipped in layer {n}")
                    }
                };
                for m in matches {
                    let message = format!("{} in {path} line {}{fate}", describe(m), m.line);
                    let loc = self.image_loc(n, Some(path));
                    self.push(SECRET_IN_LAYER_FILE, Severity::Error, message, loc)
                        .help = Some(SECRET_HELP.to_owned());
                }
            }
        }
        if dropped_total > 0 {
            self.notices.push(format!(
                "{dropped_total} more secret matches not reported (at most {MAX_MATCHES_PER_FILE} per file)"
            ));
        }
    }

    /// Env, Labels, Cmd, Entrypoint. Returns the fingerprints found (the
    /// history repeats `ENV` lines; those are not reported twice).
    fn config_secrets(&mut self) -> HashSet<Fingerprint> {
        let mut fps = HashSet::new();
        let Some(c) = self.image.config.config.as_ref() else {
            return fps;
        };
        for (i, kv) in c.env.iter().enumerate() {
            let (name, value) = kv.split_once('=').unwrap_or((kv, ""));
            if let Some(message) = assignment(name, value, &mut fps) {
                let message = format!("secret in ENV {message}");
                self.push(
                    SECRET_IN_CONFIG,
                    Severity::Error,
                    message,
                    config_loc(format!("config.Env[{i}]")),
                )
                .help = Some(SECRET_HELP.to_owned());
            }
        }
        for (key, value) in &c.labels {
            if let Some(message) = assignment(key, value, &mut fps) {
                let message = format!("secret in LABEL {message}");
                self.push(
                    SECRET_IN_CONFIG,
                    Severity::Error,
                    message,
                    config_loc(format!("config.Labels[{key:?}]")),
                )
                .help = Some(SECRET_HELP.to_owned());
            }
        }
        for (field, args) in [("Cmd", &c.cmd), ("Entrypoint", &c.entrypoint)] {
            for (i, arg) in args.iter().flatten().enumerate() {
                for m in Scanner::global().scan(arg.as_bytes()) {
                    fps.insert(m.fingerprint);
                    let message = format!("secret in {}: {}", field.to_uppercase(), describe(&m));
                    self.push(
                        SECRET_IN_CONFIG,
                        Severity::Error,
                        message,
                        config_loc(format!("config.{field}[{i}]")),
                    )
                    .help = Some(SECRET_HELP.to_owned());
                }
            }
        }
        fps
    }

    fn history_secrets(&mut self, config_fps: &HashSet<Fingerprint>) {
        // history index -> layer index
        let layer_of: BTreeMap<usize, usize> = self
            .image
            .layers
            .iter()
            .filter_map(|l| Some((l.history.as_ref()?.index, l.index)))
            .collect();
        for (hi, h) in self.image.config.history.iter().enumerate() {
            let Some(created_by) = h.created_by.as_deref() else {
                continue;
            };
            let mut fps = HashSet::new();
            let mut found: Vec<String> = Vec::new();
            // `RUN |2 A=x B=y /bin/sh -c …`: build args used by RUN.
            for (name, value) in run_args(created_by) {
                if let Some(m) = assignment(name, value, &mut fps) {
                    found.push(format!("build arg {m}"));
                }
            }
            for m in Scanner::global().scan(created_by.as_bytes()) {
                if fps.insert(m.fingerprint) {
                    found.push(describe(&m));
                }
            }
            // An `ENV` step repeats config.Env, already reported (DD502).
            let env_step = created_by.starts_with("ENV ") || created_by.contains("#(nop)  ENV ");
            if found.is_empty() || (env_step && fps.iter().all(|fp| config_fps.contains(fp))) {
                continue;
            }
            let message = format!("secret in build history: {}", found.join(", "));
            let loc = match layer_of.get(&hi) {
                Some(&layer) => self.image_loc(layer, None),
                None => config_loc(format!("history[{hi}].created_by")),
            };
            self.push(SECRET_IN_HISTORY, Severity::Error, message, loc)
                .help = Some(
                "build instructions, with the build arguments they use, are stored in the image; \
                 pass secrets with `RUN --mount=type=secret`, not ARG or ENV, and rotate this one"
                    .to_owned(),
            );
        }
    }

    fn config_checks(&mut self, opts: &ScanOptions) {
        let c = self.image.config.config.clone().unwrap_or_default();
        // DD511
        let user = c.user.as_deref().unwrap_or("").trim();
        let name = user.split(':').next().unwrap_or("");
        if user.is_empty() {
            self.push(RUNS_AS_ROOT, Severity::Warning, "the image runs as root: no USER is set".into(), config_loc("config.User".into()))
                .help = Some("add `USER <non-root user>` (create it with `useradd` / `adduser`) after the steps that need root".into());
        } else if name == "root" || name == "0" {
            self.push(
                RUNS_AS_ROOT,
                Severity::Warning,
                format!("the image runs as root: USER {user}"),
                config_loc("config.User".into()),
            )
            .help = Some("switch to a non-root user with `USER` as the last user change".into());
        }
        // DD512
        let runs = c.cmd.as_ref().is_some_and(|v| !v.is_empty())
            || c.entrypoint.as_ref().is_some_and(|v| !v.is_empty());
        let health = c
            .healthcheck
            .as_ref()
            .is_some_and(|h| !h.test.is_empty() && h.test[0] != "NONE");
        if runs && !health {
            self.push(NO_HEALTHCHECK, Severity::Info, "the image runs a command but defines no HEALTHCHECK".into(), config_loc("config.Healthcheck".into()))
                .help = Some("add `HEALTHCHECK CMD …` so orchestrators can tell a hung container from a healthy one".into());
        }
        // DD513
        for port in c.exposed_ports.keys() {
            if port.split('/').next() == Some("22") {
                self.push(
                    SSH_PORT,
                    Severity::Warning,
                    format!("the image exposes port {port} (SSH)"),
                    config_loc(format!("config.ExposedPorts[{port:?}]")),
                )
                .help = Some(
                    "do not run an SSH server in a container; use `docker exec` / `kubectl exec`"
                        .into(),
                );
            }
        }
        // DD514
        if let Some(max) = opts.max_age {
            match self.image.config.created.as_deref() {
                Some(created) => match age_secs(created, opts) {
                    Some(age) if age > max.as_secs() as i64 => {
                        self.push(TOO_OLD, Severity::Warning, format!(
                            "the image was created {} ago ({created}), more than the maximum age of {}",
                            time::human_duration(age as u64),
                            time::human_duration(max.as_secs())
                        ), config_loc("created".into()))
                        .help = Some("rebuild the image regularly (with `--pull`) to pick up security fixes".into());
                    }
                    Some(_) => {}
                    None => self.notices.push(format!(
                        "age check skipped: cannot parse the creation time `{created}`"
                    )),
                },
                None => self
                    .notices
                    .push("age check skipped: the image has no creation time".into()),
            }
        }
    }

    fn tree_checks(&mut self, layers: &[LayerScan], tree: &MergedTree) {
        // DD515
        let setuid: Vec<(String, usize, u32)> = tree
            .iter()
            .filter_map(|(p, vs)| {
                let v = vs.last().filter(|v| v.fate == Fate::Present)?;
                (v.kind == EntryKind::File && v.mode & 0o6000 != 0)
                    .then(|| (p.to_owned(), v.layer, v.mode))
            })
            .collect();
        for (path, layer, mode) in setuid.iter().take(MAX_SETUID_FINDINGS) {
            let bits = match (mode & 0o4000 != 0, mode & 0o2000 != 0) {
                (true, true) => "setuid and setgid",
                (true, false) => "setuid",
                _ => "setgid",
            };
            let loc = self.image_loc(*layer, Some(path));
            self.push(SETUID_FILE, Severity::Info, format!("{path} is {bits} (mode {:04o})", mode & 0o7777), loc)
                .help = Some("remove the bit (`chmod u-s,g-s`) unless the image needs it; it is a privilege-escalation path".into());
        }
        if setuid.len() > MAX_SETUID_FINDINGS {
            self.notices.push(format!(
                "{} more setuid/setgid files not reported (at most {MAX_SETUID_FINDINGS})",
                setuid.len() - MAX_SETUID_FINDINGS
            ));
        }
        // DD516
        if let Some(v) = tree.present("/etc/shadow") {
            match layers.get(v.layer).and_then(|l| l.shadow.as_deref()) {
                Some(text) => {
                    for line in String::from_utf8_lossy(text).lines() {
                        let mut fields = line.split(':');
                        let (Some(user), Some(pw)) = (fields.next(), fields.next()) else {
                            continue;
                        };
                        if !user.is_empty() && pw.is_empty() {
                            let loc = self.image_loc(v.layer, Some("/etc/shadow"));
                            self.push(SHADOW_EMPTY, Severity::Error, format!("account `{user}` has an empty password in /etc/shadow: anyone can log in as it"), loc)
                                .help = Some(format!("lock the account: `passwd -l {user}` (or `usermod -p '*' {user}`)"));
                        }
                    }
                }
                None if v.kind == EntryKind::File && v.size > 0 => self
                    .notices
                    .push("/etc/shadow not checked: too large or not a regular file".into()),
                None => {}
            }
        }
    }

    fn bloat(&mut self, tree: &MergedTree) {
        // DD521
        for (layer, b) in tree.layer_bytes().iter().enumerate() {
            if b.hidden_bytes > WASTE_THRESHOLD {
                let loc = self.image_loc(layer, None);
                self.push(WASTED_BYTES, Severity::Info, format!(
                    "layer {layer} ships {} in {} that later layers delete or overwrite",
                    human_bytes(b.hidden_bytes), plural(b.hidden_files, "file")
                ), loc)
                .help = Some("delete temporary files in the same RUN that creates them, or build in a separate stage and COPY only the result (multi-stage build)".into());
            }
        }
        // DD522: (layer, category) -> (files, bytes)
        let mut caches: BTreeMap<(usize, &str), (u64, u64)> = BTreeMap::new();
        for (path, vs) in tree.iter() {
            let Some(category) = cache_category(path) else {
                continue;
            };
            for v in vs.iter().filter(|v| v.kind == EntryKind::File) {
                let e = caches.entry((v.layer, category)).or_default();
                e.0 += 1;
                e.1 += v.size;
            }
        }
        for ((layer, category), (files, bytes)) in caches {
            if bytes == 0 {
                continue;
            }
            let loc = self.image_loc(layer, None);
            self.push(
                PACKAGE_CACHE,
                Severity::Info,
                format!(
                    "layer {layer} ships {category}: {} in {}",
                    human_bytes(bytes),
                    plural(files, "file")
                ),
                loc,
            )
            .help = Some(cache_help(category).into());
        }
    }
}

fn cache_category(path: &str) -> Option<&'static str> {
    if path.starts_with("/var/lib/apt/lists/") {
        Some("apt package lists (/var/lib/apt/lists)")
    } else if path.starts_with("/var/cache/apt/archives/") && path.ends_with(".deb") {
        Some("apt package cache (/var/cache/apt/archives)")
    } else if path.starts_with("/root/.cache/pip/") {
        Some("pip cache (/root/.cache/pip)")
    } else if path.starts_with("/root/.npm/") {
        Some("npm cache (/root/.npm)")
    } else if path.starts_with("/var/cache/apk/") {
        Some("apk cache (/var/cache/apk)")
    } else {
        None
    }
}

fn cache_help(category: &str) -> &'static str {
    if category.starts_with("apt") {
        "in the same RUN: `apt-get install … && rm -rf /var/lib/apt/lists/*`, or use `RUN --mount=type=cache,target=/var/cache/apt`"
    } else if category.starts_with("pip") {
        "use `pip install --no-cache-dir` or `RUN --mount=type=cache,target=/root/.cache/pip`"
    } else if category.starts_with("npm") {
        "use `npm ci && npm cache clean --force` in the same RUN, or `RUN --mount=type=cache,target=/root/.npm`"
    } else {
        "use `apk add --no-cache`"
    }
}

/// Judges `name=value`; `Some(message)` (redacted) when the value is a secret.
fn assignment(name: &str, value: &str, fps: &mut HashSet<Fingerprint>) -> Option<String> {
    let v = drydock_secrets::check_assignment(name, value)?;
    if !v.by_value() {
        return None;
    }
    let mut parts = Vec::new();
    if v.matches.is_empty() {
        let fp = Fingerprint::of(value.trim().as_bytes());
        fps.insert(fp);
        parts.push(format!(
            "literal value of a secret-named variable (fingerprint {fp})"
        ));
    }
    for m in &v.matches {
        fps.insert(m.fingerprint);
        parts.push(format!("{} (fingerprint {})", m.title, m.fingerprint));
    }
    Some(format!(
        "{name}={}: {}",
        one_line(&v.redacted_value, 120),
        parts.join(", ")
    ))
}

/// `RUN |2 A=x B=y /bin/sh -c …` (and the legacy `|2 A=x B=y /bin/sh -c …`):
/// the build args passed to a RUN step.
fn run_args(created_by: &str) -> Vec<(&str, &str)> {
    let rest = created_by.strip_prefix("RUN ").unwrap_or(created_by);
    let Some(rest) = rest.strip_prefix('|') else {
        return Vec::new();
    };
    let mut words = rest.split(' ');
    let Some(n) = words.next().and_then(|n| n.parse::<usize>().ok()) else {
        return Vec::new();
    };
    words.take(n).filter_map(|w| w.split_once('=')).collect()
}

/// `1 file`, `2 files`.
fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_args_are_parsed() {
        assert_eq!(
            run_args("RUN |2 A=x B=y=z /bin/sh -c echo"),
            vec![("A", "x"), ("B", "y=z")]
        );
        assert_eq!(run_args("|1 T=v /bin/sh -c x"), vec![("T", "v")]);
        assert!(run_args("RUN /bin/sh -c echo |1 A=b").is_empty());
        assert!(run_args("RUN |x A=b").is_empty());
    }

    #[test]
    fn cache_categories() {
        assert!(cache_category("/var/lib/apt/lists/mirror.example.test_dists").is_some());
        assert!(cache_category("/var/cache/apt/archives/x.deb").is_some());
        assert!(cache_category("/var/cache/apt/archives/lock").is_none());
        assert!(cache_category("/var/lib/apt/lists").is_none());
        assert!(cache_category("/usr/bin/apt").is_none());
    }

    #[test]
    fn rules_are_unique_and_sorted() {
        let codes: Vec<_> = RULES.iter().map(|r| r.code.as_ref()).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
        assert!(RULES.iter().all(|r| r.code.starts_with("DD5")));
    }
}
