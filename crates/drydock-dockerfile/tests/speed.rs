//! Parse speed on a typical multi-stage Dockerfile. Run with
//! `cargo test -p drydock-dockerfile --release --test speed -- --ignored --nocapture`.

use std::time::Instant;

use drydock_dockerfile::{GraphOptions, parse};

const TYPICAL: &str = include_str!("data/typical.Dockerfile");

#[test]
#[ignore = "timing; run in release"]
fn parse_speed() {
    assert!(TYPICAL.lines().count() >= 60);
    let rounds = 2_000;
    let start = Instant::now();
    let mut instructions = 0;
    for _ in 0..rounds {
        let file = parse(TYPICAL);
        assert!(file.errors.is_empty());
        instructions += file.instructions.len();
        let graph = file.stage_graph(&GraphOptions::default());
        assert_eq!(graph.stages.len(), 3);
    }
    let per_file = start.elapsed() / rounds;
    println!(
        "{} lines, {} instructions: {per_file:?} per file (parse + shell + stage graph)",
        TYPICAL.lines().count(),
        instructions / rounds as usize
    );
}

#[test]
#[ignore = "timing; run in release"]
fn shell_parser_share() {
    let script = "apt-get update  && apt-get install -y --no-install-recommends ca-certificates git python3 make g++  && rm -rf /var/lib/apt/lists/*";
    let rounds = 2_000;
    let start = Instant::now();
    for _ in 0..rounds {
        let mut parser =
            brush_parser::Parser::new(script.as_bytes(), &brush_parser::ParserOptions::default());
        assert!(parser.parse_program().is_ok());
    }
    println!(
        "brush-parser on one apt-get RUN: {:?}",
        start.elapsed() / rounds
    );
}

/// Slowest file of a directory (e.g. the fuzz corpus) given in
/// `DRYDOCK_CORPUS`, to catch pathological inputs.
#[test]
#[ignore = "timing; needs DRYDOCK_CORPUS"]
fn corpus_worst_case() {
    let Ok(dir) = std::env::var("DRYDOCK_CORPUS") else {
        return;
    };
    let mut worst = (std::time::Duration::ZERO, String::new());
    let mut total = std::time::Duration::ZERO;
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let start = Instant::now();
        if let Ok(file) = drydock_dockerfile::parse_bytes(&bytes) {
            let _ = file.stage_graph(&GraphOptions::default());
        }
        let elapsed = start.elapsed();
        total += elapsed;
        count += 1;
        if elapsed > worst.0 {
            worst = (elapsed, path.display().to_string());
        }
    }
    println!(
        "{count} files, mean {:?}, worst {:?} ({})",
        total / count.max(1),
        worst.0,
        worst.1
    );
}
