//! Versioned JSON output.
//!
//! The shape is documented by `docs/schema/scan-v1.schema.json`; `schemaVersion` is
//! raised whenever a field changes meaning or disappears (adding fields does not).
//!
//! The report is serialized straight from borrowed views of the findings: a scan of a
//! large cluster has tens of thousands of findings, and building a `serde_json::Value`
//! for each one first cost more than the rules themselves.

use std::collections::HashMap;
use std::io::{self, Write};

use rampart_model::facts::VersionSource;
use rampart_model::{InputDiagnostic, ObjectRef, Pos};
use rampart_rules::{Finding, Practice, Severity};
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use crate::{InputStatus, Report, Scorecard};

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

#[derive(Serialize)]
struct EvidenceJson<'a> {
    kind: &'a str,
    length: usize,
    hash: String,
}

#[derive(Serialize)]
struct StepJson<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    object: Option<&'a ObjectRef>,
}

#[derive(Serialize)]
struct RelatedJson<'a> {
    file: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    message: &'a str,
}

/// The suppression that covered a finding until it expired.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuppressionJson<'a> {
    expired: bool,
    expires: String,
    reason: &'a str,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
}

/// An active suppression and how many findings it removed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuppressionUseJson<'a> {
    reason: &'a str,
    rules: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    suppressed: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FindingJson<'a> {
    code: &'a str,
    name: &'a str,
    practice: &'a str,
    severity: &'a str,
    message: &'a str,
    object: &'a ObjectRef,
    location: Location<'a>,
    remediation: &'a str,
    docs_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<EvidenceJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    steps: Vec<StepJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<RelatedJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<SuppressionJson<'a>>,
}

fn known(pos: Pos) -> (Option<u32>, Option<u32>) {
    if pos.is_known() {
        (Some(pos.line), Some(pos.col))
    } else {
        (None, None)
    }
}

/// A rule's remediation and docs link, rendered once per rule rather than per finding.
struct RuleText {
    remediation: String,
    docs_url: String,
}

/// The findings array, serialized one element at a time.
struct Findings<'r, 'a> {
    report: &'r Report<'a>,
}

impl<'r> Findings<'r, '_> {
    fn file(&self, id: Option<rampart_model::FileId>) -> &'r str {
        id.map_or("", |id| self.report.inventory.files.name(id))
    }

    fn view<'s>(&'s self, f: &'s Finding, rule: &'s RuleText) -> FindingJson<'s> {
        let (line, column) = known(f.pos);
        FindingJson {
            code: f.rule.code,
            name: f.rule.name,
            practice: f.rule.practice.slug(),
            severity: f.severity.as_str(),
            message: &f.message,
            object: &f.object,
            location: Location {
                file: self.file(f.file),
                line,
                column,
                field_path: &f.field_path,
            },
            remediation: f.help.as_deref().unwrap_or(&rule.remediation),
            docs_url: &rule.docs_url,
            evidence: f.evidence.as_ref().map(|e| EvidenceJson {
                kind: &e.kind,
                length: e.length,
                hash: format!("sha256:{}", e.hash),
            }),
            steps: f
                .steps
                .iter()
                .map(|s| StepJson {
                    text: &s.text,
                    object: s.object.as_ref(),
                })
                .collect(),
            related: f
                .related
                .iter()
                .map(|r| {
                    let (line, column) = known(r.pos);
                    RelatedJson {
                        file: self.file(r.file),
                        line,
                        column,
                        message: &r.message,
                    }
                })
                .collect(),
            suppression: f.suppression.as_ref().map(|s| SuppressionJson {
                expired: true,
                expires: s.expires.to_string(),
                reason: &s.reason,
                file: &s.declared.path,
                line: known(s.declared.pos).0,
            }),
        }
    }
}

impl Serialize for Findings<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut texts: HashMap<&str, RuleText> = HashMap::new();
        let mut seq = serializer.serialize_seq(Some(self.report.findings.len()))?;
        for f in self.report.findings {
            let rule = texts.entry(f.rule.code).or_insert_with(|| RuleText {
                remediation: f.rule.remediation(),
                docs_url: f.rule.docs_url(),
            });
            seq.serialize_element(&self.view(f, rule))?;
        }
        seq.end()
    }
}

/// Severity names to counts, in severity order: of one practice, or of all.
struct Counts<'c>(&'c Scorecard, Option<Practice>);

impl Serialize for Counts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Severity::ALL.len()))?;
        for s in Severity::ALL {
            let count = match self.1 {
                Some(p) => self.0.get(p, s),
                None => self.0.total(s),
            };
            map.serialize_entry(s.as_str(), &count)?;
        }
        map.end()
    }
}

/// Practice slugs to their severity counts.
struct ByPractice<'c>(&'c Scorecard);

impl Serialize for ByPractice<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Practice::ALL.len()))?;
        for p in Practice::ALL {
            map.serialize_entry(p.slug(), &Counts(self.0, Some(p)))?;
        }
        map.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'c> {
    findings: usize,
    suppressed: usize,
    baselined: usize,
    objects: usize,
    input_errors: usize,
    by_severity: Counts<'c>,
    by_practice: ByPractice<'c>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct VersionJson {
    version: String,
    source: VersionSource,
}

#[derive(Serialize)]
struct InputJson<'a> {
    path: &'a str,
    status: &'a str,
    documents: u32,
    objects: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportJson<'r, 'a, 'c> {
    schema_version: u32,
    tool: Tool,
    kubernetes_version: Option<VersionJson>,
    summary: Summary<'c>,
    inputs: Vec<InputJson<'r>>,
    diagnostics: &'a [InputDiagnostic],
    suppressions: Vec<SuppressionUseJson<'a>>,
    findings: Findings<'r, 'a>,
}

/// Writes the report as pretty JSON.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let card = Scorecard::new(report.findings);
    let input_errors = report
        .diagnostics
        .iter()
        .filter(|d| d.level == rampart_model::InputLevel::Error)
        .count();
    let json = ReportJson {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "rampart",
            version: env!("CARGO_PKG_VERSION"),
        },
        kubernetes_version: report
            .inventory
            .facts
            .version
            .map(|(v, source)| VersionJson {
                version: v.to_string(),
                source,
            }),
        summary: Summary {
            findings: report.findings.len(),
            suppressed: report.suppressed,
            baselined: report.baselined,
            objects: report.inventory.objects.len(),
            input_errors,
            by_severity: Counts(&card, None),
            by_practice: ByPractice(&card),
        },
        inputs: report.inputs.iter().map(input_json).collect(),
        diagnostics: report.diagnostics,
        suppressions: report
            .suppressions
            .iter()
            .map(|s| SuppressionUseJson {
                reason: &s.reason,
                rules: &s.rules,
                expires: s.expires.map(|d| d.to_string()),
                file: &s.declared.path,
                line: known(s.declared.pos).0,
                suppressed: s.suppressed,
            })
            .collect(),
        findings: Findings { report },
    };
    serde_json::to_writer_pretty(&mut *out, &json)?;
    writeln!(out)
}

fn input_json(i: &InputStatus) -> InputJson<'_> {
    InputJson {
        path: &i.path,
        status: i.status.as_str(),
        documents: i.documents,
        objects: i.objects,
    }
}
