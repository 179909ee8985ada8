//! `drydock rules` and `drydock rule CODE`: the rule catalogue.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;
use drydock_lint::rules::ALL;

use crate::cli::Format;

pub fn list(format: Format) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Human => {
            writeln!(
                out,
                "{:<7} {:<36} {:<8} {:<9} SUMMARY",
                "CODE", "NAME", "SEVERITY", "HADOLINT"
            )?;
            for rule in ALL {
                let severity = if rule.enabled_by_default {
                    rule.severity.to_string()
                } else {
                    "off".to_string()
                };
                writeln!(
                    out,
                    "{:<7} {:<36} {:<8} {:<9} {}",
                    rule.code,
                    rule.name,
                    severity,
                    rule.hadolint.unwrap_or("-"),
                    rule.summary
                )?;
            }
        }
        Format::Json | Format::Sarif => {
            let rules: Vec<_> = ALL
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "code": rule.code,
                        "name": rule.name,
                        "summary": rule.summary,
                        "severity": rule.severity.as_str(),
                        "enabled_by_default": rule.enabled_by_default,
                        "hadolint": rule.hadolint,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rules)?;
            writeln!(out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn show(code: &str) -> anyhow::Result<ExitCode> {
    let Some(rule) = ALL.iter().find(|rule| {
        rule.code.eq_ignore_ascii_case(code)
            || rule.name == code
            || rule.hadolint.is_some_and(|h| h.eq_ignore_ascii_case(code))
    }) else {
        bail!("unknown rule `{code}` (see `drydock rules` for the list)");
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "# {} {}\n", rule.code, rule.name)?;
    writeln!(out, "{}\n", rule.summary)?;
    writeln!(
        out,
        "Default severity: {}{}{}\n",
        rule.severity,
        if rule.enabled_by_default {
            ""
        } else {
            " (off by default)"
        },
        rule.hadolint
            .map(|h| format!("; hadolint equivalent: {h}"))
            .unwrap_or_default()
    )?;
    write!(out, "{}", rule.docs)?;
    Ok(ExitCode::SUCCESS)
}
