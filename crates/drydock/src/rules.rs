//! `drydock rules` and `drydock rule CODE`: the rule catalogue (lint rules, then the rules of
//! scan, updates, advisories and check).

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;
use drydock_findings::RuleInfo;
use drydock_lint::rules::ALL;

/// The image rule catalogues, with the commands that report them.
const IMAGE_RULES: [(&[RuleInfo], &str); 4] = [
    (drydock_scan::RULES, "`drydock scan`"),
    (drydock_updates::RULES, "`drydock updates`"),
    (
        drydock_advisories::RULES,
        "`drydock advisories` and `drydock check --osv`",
    ),
    (drydock_check::RULES, "`drydock check`"),
];

fn image_rules() -> impl Iterator<Item = (&'static RuleInfo, &'static str)> {
    IMAGE_RULES
        .iter()
        .flat_map(|(rules, command)| rules.iter().map(move |rule| (rule, *command)))
}

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
            for (rule, _) in image_rules() {
                writeln!(
                    out,
                    "{:<7} {:<36} {:<8} {:<9} {}",
                    rule.code,
                    rule.name,
                    rule.default_severity.as_str(),
                    "-",
                    rule.summary
                )?;
            }
        }
        Format::Json | Format::Sarif => {
            let mut rules: Vec<_> = ALL
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
            rules.extend(image_rules().map(|(rule, _)| {
                serde_json::json!({
                    "code": rule.code,
                    "name": rule.name,
                    "summary": rule.summary,
                    "severity": rule.default_severity.as_str(),
                    "enabled_by_default": true,
                    "hadolint": null,
                })
            }));
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
        let Some((rule, command)) = image_rules()
            .find(|(rule, _)| rule.code.eq_ignore_ascii_case(code) || rule.name == code)
        else {
            bail!("unknown rule `{code}` (see `drydock rules` for the list)");
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "# {} {}\n", rule.code, rule.name)?;
        writeln!(out, "{}\n", rule.summary)?;
        writeln!(
            out,
            "Default severity: {}; reported by {command}.",
            rule.default_severity
        )?;
        if let Some(docs) = &rule.docs {
            write!(out, "\n{docs}")?;
        }
        return Ok(ExitCode::SUCCESS);
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
