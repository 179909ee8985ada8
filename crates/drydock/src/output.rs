//! Rendering a report in the chosen format, colour handling, and exit codes.

use std::io::Write;
use std::process::ExitCode;

use anstream::ColorChoice;
use drydock_findings::{Report, Severity};
use drydock_render::{HumanOptions, Tool, render_human, render_json, render_sarif};

use crate::cli::{ColorWhen, FailOn, Format, GlobalArgs};

const TOOL: Tool = Tool {
    name: "drydock",
    version: env!("CARGO_PKG_VERSION"),
};

/// Where and how results and errors are written.
pub struct Output {
    format: Format,
    color: bool,
    quiet: bool,
    fail_on: Option<FailOn>,
}

impl Output {
    pub fn new(global: &GlobalArgs) -> Self {
        let choice = match global.color {
            ColorWhen::Always => ColorChoice::Always,
            ColorWhen::Never => ColorChoice::Never,
            ColorWhen::Auto => ColorChoice::Auto,
        };
        choice.write_global();
        let color = !matches!(
            anstream::AutoStream::choice(&std::io::stdout()),
            ColorChoice::Never
        );
        Output {
            format: global.format,
            color,
            quiet: global.quiet,
            fail_on: global.fail_on,
        }
    }

    /// Write `report` to stdout and return the exit code `--fail-on` asks for; without the flag,
    /// a finding at or above `default_threshold` fails (`None`: never).
    pub fn report(
        &self,
        report: &Report,
        default_threshold: Option<Severity>,
    ) -> anyhow::Result<ExitCode> {
        // Stdout is line-buffered: a report of thousands of lines would cost a write per line.
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        match self.format {
            Format::Human => render_human(
                report,
                HumanOptions {
                    color: self.color,
                    quiet: self.quiet,
                },
                &mut out,
            )?,
            Format::Json => render_json(report, TOOL, &mut out)?,
            Format::Sarif => render_sarif(report, TOOL, &mut out)?,
        }
        out.flush()?;
        let threshold = match self.fail_on {
            Some(fail_on) => fail_on.threshold(),
            None => default_threshold,
        };
        let failed = match (threshold, report.worst()) {
            (Some(threshold), Some(worst)) => worst >= threshold,
            _ => false,
        };
        Ok(if failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }

    /// Print a run-stopping error as one line (plus its causes) on stderr.
    pub fn error(&self, error: &anyhow::Error) {
        let mut stderr = anstream::stderr();
        let mut line = format!("{error}");
        for cause in error.chain().skip(1) {
            line.push_str(&format!(": {cause}"));
        }
        let _ = writeln!(stderr, "drydock: error: {line}");
    }
}
