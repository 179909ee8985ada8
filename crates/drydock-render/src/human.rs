use std::io::{self, Write};

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use drydock_findings::{
    Applicability, FileLocation, Finding, Location, Report, Severity, SourceFile, Summary,
};

/// Options of the human renderer.
#[derive(Debug, Clone, Copy, Default)]
pub struct HumanOptions {
    /// Emit ANSI colours.
    pub color: bool,
    /// Print only the summary line and notices (`-q`).
    pub quiet: bool,
}

/// Render `report` as rustc-style diagnostics followed by a summary line.
pub fn render_human(report: &Report, options: HumanOptions, out: &mut dyn Write) -> io::Result<()> {
    let renderer = if options.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
    .decor_style(DecorStyle::Ascii);
    if !options.quiet {
        for finding in &report.findings {
            let text = render_finding(&renderer, report, finding);
            writeln!(out, "{text}\n")?;
        }
    }
    for notice in &report.notices {
        writeln!(out, "note: {notice}")?;
    }
    writeln!(out, "{}", summary_line(report))
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
        Severity::Style => Level::NOTE.with_name("style"),
    }
}

fn render_finding(renderer: &Renderer, report: &Report, finding: &Finding) -> String {
    let title = level(finding.severity)
        .primary_title(finding.message.as_str())
        .id(finding.code.as_ref());
    let mut group = match &finding.location {
        Location::File(file) => match report.sources.get(&file.path) {
            Some(source) => title.element(snippet(file, source)),
            None => title.element(
                Origin::path(file.path.as_str())
                    .line(file.line)
                    .char_column(file.column),
            ),
        },
        Location::Image(image) => {
            let mut place = format!("layer {} ({})", image.layer, short_digest(&image.diff_id));
            if let Some(path) = &image.path {
                place.push_str(&format!(" {path}"));
            }
            let mut group = title.element(Origin::path(place));
            if let Some(created_by) = &image.created_by {
                group = group.element(
                    Level::NOTE
                        .with_name("created by")
                        .message(one_line(created_by, 160)),
                );
            }
            group
        }
        Location::Config(config) => {
            title.element(Origin::path(format!("image config {}", config.field)))
        }
    };
    if let Some(help) = &finding.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    if let Some(fix) = &finding.fix {
        let how = match fix.applicability {
            Applicability::Safe => "safe fix",
            Applicability::Unsafe => "unsafe fix",
        };
        group = group.element(Level::HELP.with_name(how).message(fix.message.as_str()));
    }
    let mut rule = format!("rule {} ({})", finding.code, finding.name);
    if let Some(hadolint) = &finding.hadolint {
        rule.push_str(&format!(", hadolint {hadolint}"));
    }
    group = group.element(Level::NOTE.no_name().message(rule));
    renderer.render(&[group as Group])
}

/// A snippet of only the lines the span covers, so rendering cost does not grow with file size.
fn snippet<'a>(
    file: &'a FileLocation,
    source: &'a SourceFile,
) -> Snippet<'a, annotate_snippets::Annotation<'a>> {
    let text = source.text.as_str();
    let start = file.span.start.min(text.len());
    let end = file.span.end.clamp(start, text.len());
    let (first_line, _) = source.index.line_column(text, start);
    let (last_line, _) = source.index.line_column(text, end);
    let from = source.index.line_start(first_line).unwrap_or(0);
    let to = source
        .index
        .line_start(last_line + 1)
        .map_or(text.len(), |next| next.saturating_sub(1).max(from));
    let to = to.max(end);
    let excerpt = &text[from..to];
    Snippet::source(excerpt)
        .line_start(first_line)
        .path(file.path.as_str())
        .annotation(AnnotationKind::Primary.span(start - from..end - from))
}

fn short_digest(digest: &str) -> &str {
    let hex_start = digest.find(':').map_or(0, |i| i + 1);
    &digest[..(hex_start + 12).min(digest.len())]
}

fn one_line(text: &str, max_chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

fn summary_line(report: &Report) -> String {
    let summary = report.summary();
    let targets = report.target_kind.count(report.targets.len());
    if summary.total() == 0 {
        return format!("No problems found in {targets}.");
    }
    let fixable = |applicability| {
        report
            .findings
            .iter()
            .filter(|f| {
                f.fix
                    .as_ref()
                    .is_some_and(|fix| fix.applicability == applicability)
            })
            .count()
    };
    let (safe, unsafe_) = (fixable(Applicability::Safe), fixable(Applicability::Unsafe));
    let mut line = format!(
        "Found {} in {targets}: {}",
        plural(summary.total(), "problem"),
        counts(&summary)
    );
    match (safe, unsafe_) {
        (0, 0) => {}
        (safe, 0) => line.push_str(&format!(". {safe} fixable with --fix")),
        (0, unsafe_) => line.push_str(&format!(". {unsafe_} fixable with --fix --unsafe-fixes")),
        (safe, unsafe_) => line.push_str(&format!(
            ". {safe} fixable with --fix ({unsafe_} more with --unsafe-fixes)"
        )),
    }
    line.push('.');
    line
}

fn counts(summary: &Summary) -> String {
    Severity::ALL
        .iter()
        .filter(|&&severity| summary.count(severity) > 0)
        .map(|&severity| {
            let n = summary.count(severity);
            match severity {
                Severity::Error => plural(n, "error"),
                Severity::Warning => plural(n, "warning"),
                Severity::Info => format!("{n} info"),
                Severity::Style => format!("{n} style"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
