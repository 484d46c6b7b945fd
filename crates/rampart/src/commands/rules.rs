use std::io::Write;
use std::process::ExitCode;

use rampart_rules::RULES;

use crate::args::RulesFormat;

pub(crate) fn run(format: RulesFormat) -> anyhow::Result<ExitCode> {
    let mut out = anstream::stdout().lock();
    match format {
        RulesFormat::Markdown => write!(out, "{}", rampart_rules::docs::rules_table())?,
        RulesFormat::Json => {
            let rules: Vec<serde_json::Value> = RULES
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code, "name": r.name, "practice": r.practice.slug(),
                        "severity": r.severity.as_str(), "summary": r.summary(), "docsUrl": r.docs_url(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rules)?;
            writeln!(out)?;
        }
        RulesFormat::Text => {
            writeln!(
                out,
                "{:<8} {:<36} {:<15} {:<9} summary",
                "code", "name", "practice", "severity"
            )?;
            for r in RULES {
                writeln!(
                    out,
                    "{:<8} {:<36} {:<15} {:<9} {}",
                    r.code,
                    r.name,
                    r.practice.title(),
                    r.severity,
                    r.summary()
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
