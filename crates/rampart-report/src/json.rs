//! Versioned JSON output.
//!
//! The shape is documented by `docs/schema/scan-v1.schema.json`; `schemaVersion` is
//! raised whenever a field changes meaning or disappears (adding fields does not).

use std::io::{self, Write};

use rampart_model::Pos;
use rampart_rules::{Finding, Practice, Severity};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::{Report, Scorecard};

/// The version of the JSON shape.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<u32>,
    field_path: &'a str,
}

fn known(pos: Pos) -> (Option<u32>, Option<u32>) {
    if pos.is_known() {
        (Some(pos.line), Some(pos.col))
    } else {
        (None, None)
    }
}

/// One finding as JSON.
pub fn finding_json(report: &Report<'_>, f: &Finding) -> Value {
    let file = f.file.map_or("", |id| report.inventory.files.name(id));
    let (line, column) = known(f.pos);
    let mut out = Map::new();
    out.insert("code".into(), json!(f.rule.code));
    out.insert("name".into(), json!(f.rule.name));
    out.insert("practice".into(), json!(f.rule.practice.slug()));
    out.insert("severity".into(), json!(f.severity.as_str()));
    out.insert("message".into(), json!(f.message));
    out.insert("object".into(), json!(f.object));
    out.insert(
        "location".into(),
        json!(Location {
            file,
            line,
            column,
            field_path: &f.field_path
        }),
    );
    out.insert(
        "remediation".into(),
        json!(f.help.clone().unwrap_or_else(|| f.rule.remediation())),
    );
    out.insert("docsUrl".into(), json!(f.rule.docs_url()));
    if let Some(e) = &f.evidence {
        out.insert(
            "evidence".into(),
            json!({"kind": e.kind, "length": e.length, "hash": format!("sha256:{}", e.hash)}),
        );
    }
    if !f.steps.is_empty() {
        let steps: Vec<Value> = f
            .steps
            .iter()
            .map(|s| match &s.object {
                Some(o) => json!({"text": s.text, "object": o}),
                None => json!({"text": s.text}),
            })
            .collect();
        out.insert("steps".into(), Value::Array(steps));
    }
    if !f.related.is_empty() {
        let related: Vec<Value> = f
            .related
            .iter()
            .map(|r| {
                let (line, column) = known(r.pos);
                json!({"file": r.file.map_or("", |id| report.inventory.files.name(id)), "line": line, "column": column, "message": r.message})
            })
            .collect();
        out.insert("related".into(), Value::Array(related));
    }
    Value::Object(out)
}

/// The whole report as a JSON value.
pub fn report_json(report: &Report<'_>) -> Value {
    let card = Scorecard::new(report.findings);
    let by_severity: Map<String, Value> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), json!(card.total(*s))))
        .collect();
    let by_practice: Map<String, Value> = Practice::ALL
        .iter()
        .map(|p| {
            let counts: Map<String, Value> = Severity::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), json!(card.get(*p, *s))))
                .collect();
            (p.slug().to_string(), Value::Object(counts))
        })
        .collect();
    let version = report
        .inventory
        .facts
        .version
        .map(|(v, source)| json!({"version": v.to_string(), "source": source}));
    let inputs: Vec<Value> = report
        .inputs
        .iter()
        .map(|i| json!({"path": i.path, "status": i.status.as_str(), "documents": i.documents, "objects": i.objects}))
        .collect();
    let input_errors = report
        .diagnostics
        .iter()
        .filter(|d| d.level == rampart_model::InputLevel::Error)
        .count();
    json!({
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "rampart", "version": env!("CARGO_PKG_VERSION")},
        "kubernetesVersion": version,
        "summary": {
            "findings": report.findings.len(),
            "suppressed": report.suppressed,
            "objects": report.inventory.objects.len(),
            "inputErrors": input_errors,
            "bySeverity": by_severity,
            "byPractice": by_practice,
        },
        "inputs": inputs,
        "diagnostics": report.diagnostics,
        "findings": report.findings.iter().map(|f| finding_json(report, f)).collect::<Vec<_>>(),
    })
}

/// Writes the report as pretty JSON.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &report_json(report))?;
    writeln!(out)
}
