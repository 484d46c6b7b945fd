//! SARIF 2.1.0, shaped the way GitHub code scanning reads it.
//!
//! - `tool.driver.rules` lists every registered rule (not just those that fired), with
//!   `security-severity` and `tags`, so GitHub ranks alerts by our severities.
//! - Each result points at `%SRCROOT%`-relative URIs with forward slashes and carries
//!   `partialFingerprints["rampartFingerprint/v1"]`: [`crate::fingerprint`] numbered by
//!   occurrence, which does not change when lines move, so alerts survive edits.
//! - Input problems become `invocations[0].toolExecutionNotifications`.
//!
//! Output never carries a code snippet: GitHub reads the lines from the repository, and a
//! snippet of a line holding a secret would print the secret.
//!
//! Like the JSON report, results are serialized one at a time from borrowed views.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Component, Path};

use rampart_model::{FileId, InputDiagnostic, InputLevel, ObjectRef, Pos};
use rampart_rules::{Finding, RuleMeta, Severity};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use crate::{Occurrences, Report, fingerprint, object_label};

/// The key of our fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "rampartFingerprint/v1";

/// The base id that relative artifact URIs are resolved against.
pub const SRCROOT: &str = "%SRCROOT%";

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/rampart-k8s/rampart";

/// Options for the SARIF format.
#[derive(Clone, Copy, Debug, Default)]
pub struct SarifOptions<'p> {
    /// The directory the scan ran in (absolute). Absolute file names under it become
    /// relative URIs, and it is recorded as `%SRCROOT%` in `originalUriBaseIds`.
    pub root: Option<&'p Path>,
}

/// SARIF `level` of a severity: what GitHub shows as error, warning or note.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` of a severity. GitHub maps scores above 9.0 to critical,
/// 7.0 to 8.9 to high, 4.0 to 6.9 to medium and below to low; each value sits inside
/// its band. GitHub has no "info" band, so info lands at the bottom of low.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

#[derive(Serialize)]
struct OwnedText {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: [&'static str; 3],
    practice: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleJson {
    id: &'static str,
    name: &'static str,
    short_description: OwnedText,
    full_description: OwnedText,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

fn rule_json(rule: &'static RuleMeta) -> RuleJson {
    let flat = |heading: &str| {
        rule.section(heading)
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let what = flat("What it does");
    let why = flat("Why is this bad?");
    let full = match (what.is_empty(), why.is_empty()) {
        (false, false) => format!("{what} {why}"),
        (false, true) => what,
        (true, _) => rule.summary(),
    };
    let remediation = rule.remediation();
    let docs_url = rule.docs_url();
    RuleJson {
        id: rule.code,
        name: rule.name,
        short_description: OwnedText {
            text: rule.summary(),
        },
        full_description: OwnedText { text: full },
        help: Help {
            text: format!("{remediation}\n\nDocumentation: {docs_url}"),
            markdown: rule.markdown(),
        },
        help_uri: docs_url,
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(rule.severity),
            tags: ["security", "kubernetes", rule.practice.slug()],
            practice: rule.practice.title(),
        },
    }
}

#[derive(Serialize)]
struct Driver {
    name: &'static str,
    version: &'static str,
    #[serde(rename = "semanticVersion")]
    semantic_version: &'static str,
    #[serde(rename = "informationUri")]
    information_uri: &'static str,
    rules: Vec<RuleJson>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

fn logical(object: &ObjectRef) -> LogicalLocation {
    LogicalLocation {
        name: object.name.to_string(),
        fully_qualified_name: object_label(object),
        kind: "resource",
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names)] // SARIF's names
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<OwnedText>,
}

#[derive(Serialize)]
struct ThreadFlowLocation {
    location: Location,
}

#[derive(Serialize)]
struct ThreadFlow {
    locations: Vec<ThreadFlowLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeFlow {
    message: OwnedText,
    thread_flows: [ThreadFlow; 1],
}

#[derive(Serialize)]
struct EvidenceJson<'a> {
    kind: &'a str,
    length: usize,
    hash: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    severity: &'static str,
    practice: &'static str,
    object: &'a ObjectRef,
    field_path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    remediation: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<EvidenceJson<'a>>,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "rampartFingerprint/v1")]
    v1: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultJson<'a> {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: OwnedText,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    code_flows: Vec<CodeFlow>,
    partial_fingerprints: Fingerprints,
    properties: ResultProperties<'a>,
}

/// Turns file display names into artifact locations, once per file.
struct Artifacts<'r> {
    report: &'r Report<'r>,
    root: Option<&'r Path>,
    cache: HashMap<FileId, (ArtifactUri, bool)>,
}

#[derive(Clone)]
struct ArtifactUri {
    uri: String,
    relative: bool,
}

impl<'r> Artifacts<'r> {
    fn new(report: &'r Report<'r>, root: Option<&'r Path>) -> Self {
        Artifacts {
            report,
            root,
            cache: HashMap::new(),
        }
    }

    /// The location of a position in a file; `None` when the finding has no file.
    fn physical(&mut self, file: Option<FileId>, pos: Pos) -> Option<PhysicalLocation> {
        let id = file?;
        let (uri, synthetic) = self
            .cache
            .entry(id)
            .or_insert_with(|| {
                let name = self.report.inventory.files.name(id);
                let (path, synthetic) = split_synthetic(name);
                (artifact_uri(path, self.root), synthetic)
            })
            .clone();
        Some(physical_location(uri, pos, synthetic))
    }
}

fn physical_location(uri: ArtifactUri, pos: Pos, synthetic: bool) -> PhysicalLocation {
    // A rendered kustomization or a saved command line has no file whose lines the
    // positions count: point at the source without a region.
    let region = (pos.is_known() && !synthetic).then_some(Region {
        start_line: pos.line,
        start_column: (pos.col > 0).then_some(pos.col),
    });
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri_base_id: uri.relative.then_some(SRCROOT),
            uri: uri.uri,
        },
        region,
    }
}

/// `dir (kubectl kustomize)` -> (`dir`, true): names of texts Rampart made from a source.
fn split_synthetic(name: &str) -> (&str, bool) {
    match name.rfind(" (") {
        Some(i) if name.ends_with(')') => (name.get(..i).unwrap_or(name), true),
        _ => (name, false),
    }
}

/// A file name as a URI: relative to `root` with forward slashes when it can be,
/// `file://` when it is absolute elsewhere. Every byte outside RFC 3986's unreserved
/// and sub-delimiter sets is percent-encoded (`:` too, so `a:b.yaml` is not a scheme).
fn artifact_uri(name: &str, root: Option<&Path>) -> ArtifactUri {
    let path = Path::new(name);
    let path = match root {
        Some(root) if path.is_absolute() => path.strip_prefix(root).unwrap_or(path),
        _ => path,
    };
    let mut segments: Vec<String> = Vec::new();
    let mut absolute = false;
    for c in path.components() {
        match c {
            Component::Prefix(p) => {
                absolute = true;
                segments.push(encode(&p.as_os_str().to_string_lossy().replace('\\', "/")));
            }
            Component::RootDir => absolute = true,
            Component::CurDir => {}
            Component::ParentDir => segments.push("..".to_string()),
            Component::Normal(s) => segments.push(encode(&s.to_string_lossy())),
        }
    }
    if absolute {
        ArtifactUri {
            uri: format!("file:///{}", segments.join("/")),
            relative: false,
        }
    } else {
        ArtifactUri {
            uri: segments.join("/"),
            relative: true,
        }
    }
}

fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `file:///abs/root/`: the root as a directory URI (with the trailing slash SARIF needs).
fn root_uri(root: &Path) -> Option<String> {
    let uri = artifact_uri(&root.to_string_lossy(), None);
    (!uri.relative).then(|| {
        if uri.uri.ends_with('/') {
            uri.uri
        } else {
            format!("{}/", uri.uri)
        }
    })
}

/// The results array, serialized one element at a time.
struct Results<'r> {
    report: &'r Report<'r>,
    root: Option<&'r Path>,
    rule_index: &'r HashMap<&'static str, usize>,
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut artifacts = Artifacts::new(self.report, self.root);
        let mut occurrences = Occurrences::default();
        let mut remediations: HashMap<&str, String> = HashMap::new();
        let mut seq = serializer.serialize_seq(Some(self.report.findings.len()))?;
        for f in self.report.findings {
            let remediation: &str = match &f.help {
                Some(h) => h,
                None => remediations
                    .entry(f.rule.code)
                    .or_insert_with(|| f.rule.remediation()),
            };
            let result = result_json(
                f,
                &mut artifacts,
                occurrences.key(fingerprint(f)),
                self.rule_index.get(f.rule.code).copied(),
                remediation,
            );
            seq.serialize_element(&result)?;
        }
        seq.end()
    }
}

fn result_json<'a>(
    f: &'a Finding,
    artifacts: &mut Artifacts<'_>,
    fingerprint: String,
    rule_index: Option<usize>,
    remediation: &'a str,
) -> ResultJson<'a> {
    let label = object_label(&f.object);
    let related_locations = f
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| Location {
            id: Some(i + 1),
            physical_location: artifacts.physical(r.file, r.pos),
            logical_locations: Vec::new(),
            message: Some(OwnedText {
                text: r.message.clone(),
            }),
        })
        .collect();
    let code_flows = if f.steps.is_empty() {
        Vec::new()
    } else {
        let locations = f
            .steps
            .iter()
            .map(|s| ThreadFlowLocation {
                location: Location {
                    id: None,
                    physical_location: None,
                    logical_locations: s.object.iter().map(logical).collect(),
                    message: Some(OwnedText {
                        text: s.text.clone(),
                    }),
                },
            })
            .collect();
        vec![CodeFlow {
            message: OwnedText {
                text: f.message.to_string(),
            },
            thread_flows: [ThreadFlow { locations }],
        }]
    };
    ResultJson {
        rule_id: f.rule.code,
        rule_index,
        level: level(f.severity),
        message: OwnedText {
            text: format!("{} ({label})", f.message),
        },
        locations: [Location {
            id: None,
            physical_location: artifacts.physical(f.file, f.pos),
            logical_locations: vec![logical(&f.object)],
            message: None,
        }],
        related_locations,
        code_flows,
        partial_fingerprints: Fingerprints { v1: fingerprint },
        properties: ResultProperties {
            severity: f.severity.as_str(),
            practice: f.rule.practice.slug(),
            object: &f.object,
            field_path: &f.field_path,
            remediation: Some(remediation),
            evidence: f.evidence.as_ref().map(|e| EvidenceJson {
                kind: &e.kind,
                length: e.length,
                hash: format!("sha256:{}", e.hash),
            }),
        },
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: OwnedText,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

fn notification(d: &InputDiagnostic, artifacts: &mut Artifacts<'_>) -> Notification {
    let pos = Pos::new(d.pos.line, d.pos.column);
    let physical = match d.file {
        Some(_) => artifacts.physical(d.file, pos),
        // A file that could not be read has a path but no text.
        None if !d.path.is_empty() => {
            let (path, synthetic) = split_synthetic(&d.path);
            Some(physical_location(
                artifact_uri(path, artifacts.root),
                pos,
                synthetic,
            ))
        }
        None => None,
    };
    Notification {
        level: match d.level {
            InputLevel::Error => "error",
            InputLevel::Warning => "warning",
            InputLevel::Skipped => "note",
        },
        message: OwnedText {
            text: d.message.clone(),
        },
        locations: physical
            .map(|p| Location {
                id: None,
                physical_location: Some(p),
                logical_locations: Vec::new(),
                message: None,
            })
            .into_iter()
            .collect(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct BaseUri {
    uri: String,
}

#[derive(Serialize)]
struct BaseIds {
    #[serde(rename = "%SRCROOT%")]
    srcroot: BaseUri,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'r> {
    tool: Tool,
    invocations: [Invocation; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<BaseIds>,
    column_kind: &'static str,
    results: Results<'r>,
}

#[derive(Serialize)]
struct Log<'r> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'r>; 1],
}

/// Writes the report as a SARIF 2.1.0 log with one run.
pub fn write(
    report: &Report<'_>,
    options: SarifOptions<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    // Every registered rule, then any rule a finding names that the registry does not
    // list (none today), so every `ruleIndex` points at its descriptor.
    let mut rules: Vec<&'static RuleMeta> = rampart_rules::RULES.to_vec();
    let mut rule_index: HashMap<&'static str, usize> = HashMap::new();
    for (i, r) in rules.iter().enumerate() {
        rule_index.entry(r.code).or_insert(i);
    }
    for f in report.findings {
        if !rule_index.contains_key(f.rule.code) {
            rule_index.insert(f.rule.code, rules.len());
            rules.push(f.rule);
        }
    }
    let mut artifacts = Artifacts::new(report, options.root);
    let notifications = report
        .diagnostics
        .iter()
        .map(|d| notification(d, &mut artifacts))
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "rampart",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: rules.into_iter().map(rule_json).collect(),
                },
            },
            invocations: [Invocation {
                execution_successful: !report
                    .diagnostics
                    .iter()
                    .any(|d| d.level == InputLevel::Error),
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids: options.root.and_then(root_uri).map(|uri| BaseIds {
                srcroot: BaseUri { uri },
            }),
            // Rampart counts columns in characters, not UTF-16 code units.
            column_kind: "unicodeCodePoints",
            results: Results {
                report,
                root: options.root,
                rule_index: &rule_index,
            },
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_with_forward_slashes_and_encoded() {
        let root = Path::new("/work/repo");
        let uri = |name| artifact_uri(name, Some(root));
        assert_eq!(
            uri("examples/insecure/api.yaml").uri,
            "examples/insecure/api.yaml"
        );
        assert_eq!(uri("./a/./b.yaml").uri, "a/b.yaml");
        assert_eq!(uri("/work/repo/deploy/x.yaml").uri, "deploy/x.yaml");
        assert!(uri("/work/repo/deploy/x.yaml").relative);
        let elsewhere = uri("/etc/kubernetes/manifests/kube-apiserver.yaml");
        assert_eq!(
            elsewhere.uri,
            "file:///etc/kubernetes/manifests/kube-apiserver.yaml"
        );
        assert!(!elsewhere.relative);
        assert_eq!(uri("../shared/a b.yaml").uri, "../shared/a%20b.yaml");
        assert_eq!(uri("c:d#e?.yaml").uri, "c%3Ad%23e%3F.yaml");
        assert_eq!(uri("ünï.yaml").uri, "%C3%BCn%C3%AF.yaml");
        assert_eq!(
            root_uri(Path::new("/work/my repo")).as_deref(),
            Some("file:///work/my%20repo/")
        );
    }

    #[test]
    fn synthetic_names_lose_their_suffix() {
        assert_eq!(
            split_synthetic("overlays/prod (kubectl kustomize)"),
            ("overlays/prod", true)
        );
        assert_eq!(split_synthetic("a (b).yaml"), ("a (b).yaml", false));
        assert_eq!(split_synthetic("plain.yaml"), ("plain.yaml", false));
    }
}
