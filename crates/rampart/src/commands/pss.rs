//! `rampart pss`: Pod Security admission's verdict for every pod-bearing object.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;
use rampart_model::{Inventory, PodTemplate};
use rampart_rules::pss::{self, LevelVersion, Version};
use rampart_source::LoadOptions;
use serde_json::json;

use super::{EXIT_ERROR, EXIT_FINDINGS};
use crate::args::{PssArgs, PssFormat};

pub(crate) fn run(args: &PssArgs) -> anyhow::Result<ExitCode> {
    let Some(version) = Version::parse(&args.version) else {
        bail!(
            "--version takes `latest` or `v1.N` (as the enforce-version label does), not `{}`",
            args.version
        );
    };
    let lv = LevelVersion {
        level: args.level.level(),
        version,
    };
    let inputs = super::inputs(&args.paths);
    let loaded = rampart_source::load(&inputs, &LoadOptions::default());
    let has_errors = loaded.has_errors();
    let inventory = Inventory::new(loaded.files, loaded.objects, None);

    let mut verdicts = Vec::new();
    for (_, pod) in inventory.pod_templates() {
        let violations = pss::evaluate(&pod, lv);
        verdicts.push((pod, violations));
    }
    let forbidden = verdicts.iter().any(|(_, v)| !v.is_empty());
    let mut out = std::io::BufWriter::new(anstream::stdout().lock());
    match args.output {
        PssFormat::Json => {
            let list: Vec<serde_json::Value> = verdicts
                .iter()
                .map(|(pod, v)| verdict_json(&inventory, pod, v))
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        PssFormat::Text => {
            for (pod, violations) in &verdicts {
                let o = &pod.object.id;
                let file = pod.object.file().map_or("-", |f| inventory.files.name(f));
                let ns = o
                    .namespace
                    .as_deref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default();
                if violations.is_empty() {
                    writeln!(
                        out,
                        "{file}: {} {ns}{}: allowed by PodSecurity \"{lv}\"",
                        o.kind, o.name
                    )?;
                } else {
                    writeln!(
                        out,
                        "{file}: {} {ns}{}: violates PodSecurity \"{lv}\": {}",
                        o.kind,
                        o.name,
                        aggregate(violations)
                    )?;
                }
            }
        }
    }
    out.flush()?;
    drop(out);
    rampart_report::text::write_diagnostics_of(
        &loaded.diagnostics,
        &mut anstream::stderr().lock(),
    )?;
    let code = if has_errors {
        EXIT_ERROR
    } else if forbidden {
        EXIT_FINDINGS
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

/// Upstream's `AggregateCheckResult.ForbiddenDetail()`: `reason (detail), reason (detail)`.
fn aggregate(violations: &[pss::Violation]) -> String {
    violations
        .iter()
        .map(|v| {
            if v.detail.is_empty() {
                v.reason.clone()
            } else {
                format!("{} ({})", v.reason, v.detail)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn verdict_json(
    inventory: &Inventory,
    pod: &PodTemplate<'_>,
    violations: &[pss::Violation],
) -> serde_json::Value {
    let o = &pod.object.id;
    json!({
        "file": pod.object.file().map_or("-", |f| inventory.files.name(f)),
        "kind": o.kind,
        "namespace": o.namespace,
        "name": o.name,
        "allowed": violations.is_empty(),
        "violations": violations.iter().map(|v| json!({"check": v.check, "reason": v.reason, "detail": v.detail})).collect::<Vec<_>>(),
    })
}
