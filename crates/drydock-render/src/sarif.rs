use std::collections::BTreeMap;
use std::io::{self, Write};

use drydock_findings::{Finding, Location, Report, Severity, SourceFile};
use serde_json::{Value, json};

use crate::Tool;

/// Render `report` as a SARIF 2.1.0 log with one run.
///
/// Rules referenced by findings are listed in `tool.driver.rules` (with their docs as help text);
/// file findings carry a `physicalLocation` region, image findings the path inside the image plus
/// a logical location for the layer, config findings a logical location for the field. Fixes are
/// SARIF `fixes` with line/column regions.
pub fn render_sarif(report: &Report, tool: Tool, out: &mut dyn Write) -> io::Result<()> {
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules = Vec::new();
    for finding in &report.findings {
        if rule_index.contains_key(finding.code.as_ref()) {
            continue;
        }
        rule_index.insert(&finding.code, rules.len());
        rules.push(rule_json(report, finding));
    }
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| result_json(report, finding, rule_index[finding.code.as_ref()]))
        .collect();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": tool.name,
                "version": tool.version,
                "semanticVersion": tool.version,
                "rules": rules,
            }
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
    });
    if !report.notices.is_empty() {
        run["invocations"] = json!([{
            "executionSuccessful": true,
            "toolExecutionNotifications": report.notices.iter().map(|notice| json!({
                "level": "note",
                "message": { "text": notice },
            })).collect::<Vec<_>>(),
        }]);
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Style => "note",
    }
}

fn rule_json(report: &Report, finding: &Finding) -> Value {
    let mut rule = json!({
        "id": finding.code,
        "name": finding.name,
        "defaultConfiguration": { "level": level(finding.severity) },
    });
    let mut properties = json!({ "drydockSeverity": finding.severity.as_str() });
    if let Some(info) = report.rule(&finding.code) {
        rule["shortDescription"] = json!({ "text": info.summary });
        rule["defaultConfiguration"] = json!({ "level": level(info.default_severity) });
        properties["drydockSeverity"] = json!(info.default_severity.as_str());
        if let Some(docs) = &info.docs {
            rule["help"] = json!({ "text": docs, "markdown": docs });
        }
    }
    if let Some(hadolint) = &finding.hadolint {
        properties["hadolint"] = json!(hadolint);
    }
    rule["properties"] = properties;
    rule
}

fn result_json(report: &Report, finding: &Finding, rule_index: usize) -> Value {
    let mut result = json!({
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": { "text": message_text(finding) },
        "locations": [location_json(&finding.location)],
    });
    let mut properties = json!({ "severity": finding.severity.as_str() });
    if let Some(hadolint) = &finding.hadolint {
        properties["hadolint"] = json!(hadolint);
    }
    result["properties"] = properties;
    if let (Some(fix), Location::File(file)) = (&finding.fix, &finding.location)
        && let Some(source) = report.sources.get(&file.path)
    {
        let replacements: Vec<Value> = fix
            .edits
            .iter()
            .map(|edit| {
                json!({
                    "deletedRegion": region(source, edit.span.start, edit.span.end),
                    "insertedContent": { "text": edit.replacement },
                })
            })
            .collect();
        result["fixes"] = json!([{
            "description": { "text": fix.message },
            "artifactChanges": [{
                "artifactLocation": { "uri": uri(&file.path) },
                "replacements": replacements,
            }],
        }]);
    }
    result
}

fn message_text(finding: &Finding) -> String {
    match &finding.help {
        Some(help) => format!("{} {}", finding.message, help),
        None => finding.message.clone(),
    }
}

fn location_json(location: &Location) -> Value {
    match location {
        Location::File(file) => json!({
            "physicalLocation": {
                "artifactLocation": { "uri": uri(&file.path) },
                "region": {
                    "startLine": file.line,
                    "startColumn": file.column,
                    "endLine": file.end_line,
                    "endColumn": file.end_column,
                },
            }
        }),
        Location::Image(image) => {
            let mut location = json!({
                "logicalLocations": [{
                    "name": format!("layer {}", image.layer),
                    "fullyQualifiedName": image.diff_id,
                    "kind": "module",
                }],
                "properties": {
                    "layer": image.layer,
                    "diffId": image.diff_id,
                    "createdBy": image.created_by,
                },
            });
            if let Some(path) = &image.path {
                location["physicalLocation"] = json!({
                    "artifactLocation": { "uri": uri(path.trim_start_matches('/')) },
                });
            }
            location
        }
        Location::Config(config) => json!({
            "logicalLocations": [{
                "fullyQualifiedName": config.field,
                "kind": "member",
            }]
        }),
    }
}

fn region(source: &SourceFile, start: usize, end: usize) -> Value {
    let (start_line, start_column) = source.index.line_column(&source.text, start);
    let (end_line, end_column) = source.index.line_column(&source.text, end);
    json!({
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
    })
}

/// A relative URI reference for `path`: characters that are not allowed unescaped in a URI are
/// percent-encoded, separators become `/`.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b'@' => out.push(byte as char),
            b'\\' => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
