//! Benchmark: `drydock build` against nightly `docker build --pull --no-cache` for a small fleet
//! of two-stage applications, over a simulated timeline of upstream changes (see
//! `docs/benchmarks.md`). Driven by `bench/build`; not a test.
//!
//! Usage: `build_fleet DRYDOCK_BIN [--apps N] [--days D] [--compile-secs S] [--backstop-days B]`
//!
//! Each strategy runs on its own fresh rig (engine, registry, signed apt repo), one after the
//! other, so neither profits from the other's BuildKit cache. Build wall time is measured per
//! command; staleness is computed in simulated hours from the package version read out of every
//! image built (`dpkg-query` in a `--network=none` container), never assumed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use drydock_rig::{BuildInput, BuildOpts, DebPackage, Rig};

const SUITE: &str = "drydock-security";
const KEYRING: &str = "/etc/apt/keyrings/drydock.gpg";
/// Simulated hour of day of the nightly rebuild (and of drydock's daily check).
const NIGHTLY_HOUR: u32 = 2;

/// One upstream change at a simulated hour (hours since the start of day 0).
#[derive(Clone, Copy, Debug)]
enum Event {
    /// A new `drydock-demo` revision published in the security suite.
    Fix(u32),
    /// The runtime base image rebuilt and pushed under the same tag.
    BaseMoved,
    /// A code commit to app N.
    SourceChange(usize),
    /// The daily slot: nightly rebuild, or drydock's daily check / weekly backstop.
    Nightly,
}

struct Config {
    drydock: PathBuf,
    apps: usize,
    days: u32,
    compile_secs: u32,
    /// drydock's backstop: a full rebuild every this many days.
    backstop_days: u32,
}

/// The simulated timeline: fixes, base moves and commits spread over the days, some days quiet.
fn timeline(cfg: &Config) -> Vec<(u32, Event)> {
    let mut events = Vec::new();
    let mut revision = 2;
    for day in 0..cfg.days {
        let at = |h: u32| day * 24 + h;
        match day % 7 {
            1 | 4 => {
                events.push((at(10 + day % 5), Event::Fix(revision)));
                revision += 1;
            }
            3 => events.push((at(8), Event::BaseMoved)),
            2 | 5 => events.push((at(11), Event::SourceChange(day as usize % cfg.apps))),
            _ => {} // quiet days
        }
        if day > 0 {
            events.push((at(NIGHTLY_HOUR), Event::Nightly));
        }
    }
    events.push((cfg.days * 24 + NIGHTLY_HOUR, Event::Nightly));
    events.sort_by_key(|(h, _)| *h);
    events
}

#[derive(Clone, Copy, PartialEq)]
enum Strategy {
    Nightly,
    Drydock,
}

/// What one strategy did: every build with its wall time, and the demo package's revision in
/// each image it produced.
#[derive(Default)]
struct Run {
    builds: Vec<Build>,
    load_before: f64,
    load_after: f64,
}

struct Build {
    hour: u32,
    app: usize,
    kind: &'static str,
    secs: f64,
    revision: u32,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let drydock = PathBuf::from(args.next().expect("usage: build_fleet DRYDOCK_BIN [--apps N] [--days D] [--compile-secs S] [--backstop-days B]"));
    let mut cfg = Config {
        drydock,
        apps: 2,
        days: 14,
        compile_secs: 10,
        backstop_days: 7,
    };
    while let Some(flag) = args.next() {
        let value: u32 = args
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{flag}: expected a number"));
        match flag.as_str() {
            "--apps" => cfg.apps = value as usize,
            "--days" => cfg.days = value,
            "--compile-secs" => cfg.compile_secs = value,
            "--backstop-days" => cfg.backstop_days = value,
            _ => panic!("unknown flag {flag}"),
        }
    }
    let events = timeline(&cfg);
    let nightly = replay(&cfg, &events, Strategy::Nightly);
    let drydock = replay(&cfg, &events, Strategy::Drydock);
    report(&cfg, &events, &nightly, &drydock);
}

fn log(msg: &str) {
    eprintln!("[build_fleet] {msg}");
}

fn load() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// The rig, the runtime base, the apps' contexts; then every event of the timeline.
fn replay(cfg: &Config, events: &[(u32, Event)], strategy: Strategy) -> Run {
    let name = match strategy {
        Strategy::Nightly => "nightly",
        Strategy::Drydock => "drydock",
    };
    log(&format!("{name}: starting a fresh rig"));
    let rig = Rig::start().expect("rig");
    let base = rig.base_image().expect("base image");
    let runtime = rig.image_ref("bench/runtime", "1");
    push_runtime_base(&rig, &base, &runtime, 1);
    rig.apt()
        .publish_to(SUITE, &DebPackage::new("drydock-demo", "1.0-1"))
        .expect("publish");
    let scratch = tempfile::tempdir().expect("tempdir");
    let apps: Vec<(PathBuf, String)> = (0..cfg.apps)
        .map(|i| {
            let dir = scratch.path().join(format!("app{i}"));
            write_app(&rig, &dir, i, &base, &runtime, cfg.compile_secs);
            (dir, rig.image_ref(&format!("bench/app{i}"), "main"))
        })
        .collect();
    // Day 0: every app built once (not timed; both strategies start from the same state).
    for (dir, tag) in &apps {
        match strategy {
            Strategy::Nightly => docker_build(&rig, dir, tag, true),
            Strategy::Drydock => drydock_build(cfg, &rig, dir, tag, false),
        }
    }
    let mut run = Run {
        load_before: load(),
        ..Run::default()
    };
    let mut base_revision = 1;
    let mut commits = vec![0; cfg.apps];
    for &(hour, event) in events {
        log(&format!(
            "{name}: day {} {:02}:00 {event:?}",
            hour / 24,
            hour % 24
        ));
        // Which apps to build, and how.
        let (targets, kind): (Vec<usize>, &'static str) = match (event, strategy) {
            (Event::Fix(revision), _) => {
                rig.apt()
                    .publish_to(
                        SUITE,
                        &DebPackage::new("drydock-demo", format!("1.0-{revision}")),
                    )
                    .expect("publish");
                match strategy {
                    // Nobody rebuilds on a published fix: the nightly picks it up.
                    Strategy::Nightly => (vec![], ""),
                    Strategy::Drydock => ((0..cfg.apps).collect(), "on fix"),
                }
            }
            (Event::BaseMoved, _) => {
                base_revision += 1;
                push_runtime_base(&rig, &base, &runtime, base_revision);
                match strategy {
                    Strategy::Nightly => (vec![], ""),
                    Strategy::Drydock => ((0..cfg.apps).collect(), "on base move"),
                }
            }
            (Event::SourceChange(app), _) => {
                commits[app] += 1;
                write_source(&apps[app].0, app, commits[app]);
                (vec![app], "on commit")
            }
            (Event::Nightly, Strategy::Nightly) => ((0..cfg.apps).collect(), "nightly full"),
            (Event::Nightly, Strategy::Drydock) => {
                if (hour / 24) % cfg.backstop_days == 0 {
                    ((0..cfg.apps).collect(), "backstop full")
                } else {
                    ((0..cfg.apps).collect(), "daily check")
                }
            }
        };
        for app in targets {
            let (dir, tag) = &apps[app];
            let t = Instant::now();
            match strategy {
                Strategy::Nightly => docker_build(&rig, dir, tag, kind == "nightly full"),
                Strategy::Drydock => drydock_build(cfg, &rig, dir, tag, kind == "backstop full"),
            }
            let secs = t.elapsed().as_secs_f64();
            let revision = installed_revision(&rig, tag);
            log(&format!(
                "  app{app} {kind}: {secs:.1} s, drydock-demo 1.0-{revision}"
            ));
            run.builds.push(Build {
                hour,
                app,
                kind,
                secs,
                revision,
            });
        }
    }
    run.load_after = load();
    run
}

fn push_runtime_base(rig: &Rig, base: &str, reference: &str, revision: u32) {
    rig.build(
        &BuildInput::Dockerfile(format!(
            "FROM {base}\nRUN echo {revision} > /etc/runtime-revision\n"
        )),
        reference,
        &BuildOpts::default(),
    )
    .expect("runtime base build");
    rig.push(reference).expect("runtime base push");
}

/// A two-stage app: a compile stage (a `sleep` standing in for the compiler, see the docs) and
/// a slim runtime stage installing `drydock-demo` from the signed security suite.
fn write_app(rig: &Rig, dir: &Path, app: usize, base: &str, runtime: &str, compile_secs: u32) {
    std::fs::create_dir_all(dir.join("src")).expect("mkdir");
    std::fs::write(dir.join("drydock.gpg"), rig.apt().public_key()).expect("key");
    std::fs::write(
        dir.join("Dockerfile"),
        format!(
            "FROM {base} AS build\n\
             COPY src/ /src/\n\
             RUN sleep {compile_secs} && sha256sum /src/* > /out\n\
             FROM {runtime}\n\
             COPY drydock.gpg {KEYRING}\n\
             RUN rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* \
              && echo '{line}' > /etc/apt/sources.list.d/drydock.list\n\
             RUN apt-get update && apt-get install -y --no-install-recommends drydock-demo \
              && rm -rf /var/lib/apt/lists/*\n\
             COPY --from=build /out /app/out\n\
             CMD [\"cat\", \"/app/out\"]\n",
            line = rig.apt().signed_sources_line(SUITE, KEYRING),
        ),
    )
    .expect("Dockerfile");
    write_source(dir, app, 0);
}

fn write_source(dir: &Path, app: usize, commit: u32) {
    std::fs::write(
        dir.join("src/main.c"),
        format!("/* app {app}, commit {commit} */\nint main(void) {{ return 0; }}\n"),
    )
    .expect("source");
}

fn docker_build(rig: &Rig, dir: &Path, tag: &str, full: bool) {
    let mut build = rig.engine().docker();
    build.args(["build", "--network", "host", "-t", tag]);
    if full {
        build.args(["--pull", "--no-cache"]);
    }
    run_ok(build.arg(dir));
    run_ok(rig.engine().docker().args(["push", tag]));
}

fn drydock_build(cfg: &Config, rig: &Rig, dir: &Path, tag: &str, full: bool) {
    let mut build = std::process::Command::new(&cfg.drydock);
    build
        .env("DOCKER_HOST", rig.docker_host())
        .env("NO_COLOR", "1")
        .args([
            "--quiet",
            "build",
            "--no-lint",
            "--push",
            "--network",
            "host",
        ])
        .args(["--docker", "/usr/bin/docker", "-t", tag])
        .arg(format!("--full-rebuild-every={}d", cfg.backstop_days))
        // One cache directory per run (next to the apps), kept between builds as a CI
        // runner's cache would be: package indexes and what was read of each image.
        .arg("--cache-dir")
        .arg(dir.with_file_name("drydock-cache"));
    if full {
        build.arg("--no-cache");
    }
    run_ok(build.arg(dir));
}

fn run_ok(cmd: &mut std::process::Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `N` of the image's `drydock-demo 1.0-N`, read from the image itself.
fn installed_revision(rig: &Rig, image: &str) -> u32 {
    let out = rig
        .run(
            image,
            &["dpkg-query", "-W", "-f", "${Version}", "drydock-demo"],
            &Default::default(),
        )
        .expect("dpkg-query");
    let version = out.stdout.trim();
    version
        .strip_prefix("1.0-")
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("unexpected drydock-demo version {version:?}"))
}

/// Hours from each fix's publication until each app's newest image had it (or until the end
/// of the timeline, marked, if it never did).
fn staleness(cfg: &Config, events: &[(u32, Event)], run: &Run) -> (Vec<u32>, bool) {
    let end = events.last().map_or(0, |(h, _)| *h);
    let mut hours = Vec::new();
    let mut censored = false;
    for &(published, event) in events {
        let Event::Fix(revision) = event else {
            continue;
        };
        for app in 0..cfg.apps {
            let fixed_at = run
                .builds
                .iter()
                .find(|b| b.app == app && b.hour >= published && b.revision >= revision)
                .map(|b| b.hour);
            censored |= fixed_at.is_none();
            hours.push(fixed_at.unwrap_or(end) - published);
        }
    }
    (hours, censored)
}

fn report(cfg: &Config, events: &[(u32, Event)], nightly: &Run, drydock: &Run) {
    let total = |run: &Run| run.builds.iter().map(|b| b.secs).sum::<f64>();
    let total_without_commits = |run: &Run| {
        run.builds
            .iter()
            .filter(|b| b.kind != "on commit")
            .map(|b| b.secs)
            .sum::<f64>()
    };
    let fixes = events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Fix(_)))
        .count();
    let moves = events
        .iter()
        .filter(|(_, e)| matches!(e, Event::BaseMoved))
        .count();
    let commits = events
        .iter()
        .filter(|(_, e)| matches!(e, Event::SourceChange(_)))
        .count();
    println!(
        "Fleet: {} apps, {} simulated days, compile step `sleep {}`, drydock backstop every {} \
         days; {fixes} security fixes, {moves} base moves, {commits} commits. Machine: {} CPUs.\n",
        cfg.apps,
        cfg.days,
        cfg.compile_secs,
        cfg.backstop_days,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| strategy | builds | build wall time | without commit builds | worst staleness | mean staleness | load avg (start → end) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    for (name, run) in [
        ("nightly --pull --no-cache", nightly),
        ("drydock build", drydock),
    ] {
        let (hours, censored) = staleness(cfg, events, run);
        let worst = hours.iter().max().copied().unwrap_or(0);
        let mean = hours.iter().sum::<u32>() as f64 / hours.len().max(1) as f64;
        println!(
            "| {name} | {} | {:.0} s | {:.0} s | {worst} h{} | {mean:.1} h | {:.2} → {:.2} |",
            run.builds.len(),
            total(run),
            total_without_commits(run),
            if censored { " (never fixed)" } else { "" },
            run.load_before,
            run.load_after
        );
    }
    println!();
    for (name, run) in [("nightly", nightly), ("drydock", drydock)] {
        let mut kinds: Vec<&str> = run.builds.iter().map(|b| b.kind).collect();
        kinds.sort();
        kinds.dedup();
        for kind in kinds {
            let secs: Vec<f64> = run
                .builds
                .iter()
                .filter(|b| b.kind == kind)
                .map(|b| b.secs)
                .collect();
            let mut sorted = secs.clone();
            sorted.sort_by(f64::total_cmp);
            println!(
                "- {name} {kind}: {} builds, {:.0} s total, median {:.1} s",
                secs.len(),
                secs.iter().sum::<f64>(),
                sorted[sorted.len() / 2]
            );
        }
    }
    println!(
        "\nBuild time ratio nightly / drydock: {:.1}x (all builds), {:.1}x (without the commit \
         builds both strategies share). Goal: >= 10x at equal or better staleness.",
        total(nightly) / total(drydock),
        total_without_commits(nightly) / total_without_commits(drydock)
    );
}
