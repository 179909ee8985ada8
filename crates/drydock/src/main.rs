//! The `drydock` command: a thin layer that parses arguments, loads configuration, runs one
//! library crate's job and renders its report.

mod advisories;
mod build;
mod check;
mod cli;
mod lint;
mod output;
mod rules;
mod sbom;
mod scan;
mod updates;
mod watch;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::output::Output;

// Linting and scanning allocate many small, short-lived strings on several threads; mimalloc
// serves them faster than glibc's allocator (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The service logs what it does by default.
    let service = matches!(&cli.command, Command::Watch(a) if !a.once);
    init_logging(if service {
        cli.global.verbose.max(1)
    } else {
        cli.global.verbose
    });
    let output = Output::new(&cli.global);
    match run(cli, &output) {
        Ok(code) => code,
        Err(error) => {
            output.error(&error);
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli, output: &Output) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Lint(args) => lint::run(args, &cli.global, output),
        Command::Scan(args) => scan::run(args, &cli.global, output),
        Command::Sbom(args) => sbom::run(args, &cli.global),
        Command::Updates(args) => updates::run(args, output),
        Command::Build(args) => build::run(args, &cli.global),
        Command::Watch(args) => watch::run(args, &cli.global),
        Command::Check(args) => check::run(args, &cli.global, output),
        Command::Advisories(args) => advisories::run(args, &cli.global, output),
        Command::Rules => rules::list(cli.global.format),
        Command::Rule { rule } => rules::show(&rule),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "drydock", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut page)?;
            std::io::stdout().write_all(&page)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
            "drydock={level}"
        )))
        .with_writer(std::io::stderr)
        .without_time()
        .init();
}
