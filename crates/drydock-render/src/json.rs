use std::io::{self, Write};

use drydock_findings::{Applicability, Finding, Location, Report, Summary, TargetKind};
use serde::Serialize;

use crate::Tool;

/// Version of the JSON output schema (`docs/json-output.md`); bumped on incompatible changes.
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: ToolJson<'a>,
    target_kind: TargetKind,
    targets: &'a [String],
    findings: Vec<FindingJson<'a>>,
    summary: SummaryJson,
    notices: &'a [String],
}

#[derive(Serialize)]
struct ToolJson<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct SummaryJson {
    #[serde(flatten)]
    counts: Summary,
    total: usize,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    rule: &'a str,
    name: &'a str,
    severity: &'a str,
    message: &'a str,
    help: Option<&'a str>,
    hadolint: Option<&'a str>,
    location: LocationJson<'a>,
    fix: Option<FixJson<'a>>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum LocationJson<'a> {
    File {
        file: &'a str,
        line: usize,
        column: usize,
        end_line: usize,
        end_column: usize,
    },
    Image {
        layer: usize,
        diff_id: &'a str,
        created_by: Option<&'a str>,
        path: Option<&'a str>,
    },
    Config {
        config_field: &'a str,
    },
}

#[derive(Serialize)]
struct FixJson<'a> {
    message: &'a str,
    applicability: Applicability,
    edits: Vec<EditJson<'a>>,
}

#[derive(Serialize)]
struct EditJson<'a> {
    start_byte: usize,
    end_byte: usize,
    replacement: &'a str,
}

/// Render `report` as the versioned JSON document described in `docs/json-output.md`.
pub fn render_json(report: &Report, tool: Tool, out: &mut dyn Write) -> io::Result<()> {
    let summary = report.summary();
    let document = Document {
        schema_version: JSON_SCHEMA_VERSION,
        tool: ToolJson {
            name: tool.name,
            version: tool.version,
        },
        target_kind: report.target_kind,
        targets: &report.targets,
        findings: report.findings.iter().map(finding_json).collect(),
        summary: SummaryJson {
            counts: summary,
            total: summary.total(),
        },
        notices: &report.notices,
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

fn finding_json(finding: &Finding) -> FindingJson<'_> {
    FindingJson {
        rule: &finding.code,
        name: &finding.name,
        severity: finding.severity.as_str(),
        message: &finding.message,
        help: finding.help.as_deref(),
        hadolint: finding.hadolint.as_deref(),
        location: match &finding.location {
            Location::File(file) => LocationJson::File {
                file: &file.path,
                line: file.line,
                column: file.column,
                end_line: file.end_line,
                end_column: file.end_column,
            },
            Location::Image(image) => LocationJson::Image {
                layer: image.layer,
                diff_id: &image.diff_id,
                created_by: image.created_by.as_deref(),
                path: image.path.as_deref(),
            },
            Location::Config(config) => LocationJson::Config {
                config_field: &config.field,
            },
        },
        fix: finding.fix.as_ref().map(|fix| FixJson {
            message: &fix.message,
            applicability: fix.applicability,
            edits: fix
                .edits
                .iter()
                .map(|edit| EditJson {
                    start_byte: edit.span.start,
                    end_byte: edit.span.end,
                    replacement: &edit.replacement,
                })
                .collect(),
        }),
    }
}
