//! PolicyReports: the Kubernetes policy working group's report CRDs, which policy
//! dashboards and fleet tools (Policy Reporter, Kyverno's UI, OpenReports consumers)
//! already aggregate.
//!
//! The output is a multi-document YAML stream that `kubectl apply -f -` takes: one
//! `ClusterPolicyReport` for cluster-scoped objects (and input errors), then one
//! `PolicyReport` per namespace in the inventory, in name order. Namespaces without
//! findings get an empty report, so re-applying after a fix clears old results. With
//! `openreports.io/v1alpha1` the kinds are `ClusterReport` and `Report`.
//!
//! Mapping:
//! - `policy` is the rule code, `rule` its name, `category` the practice, `severity` the
//!   finding's severity, `source` is `rampart`.
//! - `result` follows `--fail-on`, as the exit code does: a finding at or above it is
//!   `fail`, one below it is `warn` (so with the default `high`, medium findings are
//!   warnings). An input error is an `error` result of the cluster report.
//! - `resources` holds the object; `properties` the file, line, column, field path and
//!   [`crate::fingerprint`].
//!
//! Reports stay small enough for etcd: each holds at most `max_results` results, the
//! most severe first (input errors before findings), kept in file order. The `summary`
//! still counts every finding, and the annotation [`OMITTED_ANNOTATION`] says how many
//! results were left out.
//!
//! Every string is written double-quoted with escapes, so hostile manifest text (YAML
//! syntax, control characters, line separators) stays one scalar.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::io::{self, Write};

use rampart_model::{InputDiagnostic, InputLevel};
use rampart_rules::{Finding, Severity};
use sha2::{Digest, Sha256};

use crate::{Report, Timestamp, fingerprint};

/// Annotation on a report that left results out: how many.
pub const OMITTED_ANNOTATION: &str = "rampart-k8s.github.io/omitted-results";

/// Which report CRDs to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReportApi {
    /// `wgpolicyk8s.io/v1alpha2` `PolicyReport` and `ClusterPolicyReport`.
    #[default]
    Wgpolicy,
    /// `openreports.io/v1alpha1` `Report` and `ClusterReport`.
    OpenReports,
}

impl ReportApi {
    /// The `apiVersion`.
    pub fn api_version(self) -> &'static str {
        match self {
            ReportApi::Wgpolicy => "wgpolicyk8s.io/v1alpha2",
            ReportApi::OpenReports => "openreports.io/v1alpha1",
        }
    }

    /// The kind of the namespaced report.
    pub fn kind(self) -> &'static str {
        match self {
            ReportApi::Wgpolicy => "PolicyReport",
            ReportApi::OpenReports => "Report",
        }
    }

    /// The kind of the cluster-scoped report.
    pub fn cluster_kind(self) -> &'static str {
        match self {
            ReportApi::Wgpolicy => "ClusterPolicyReport",
            ReportApi::OpenReports => "ClusterReport",
        }
    }
}

/// Options for the PolicyReport format.
#[derive(Clone, Copy, Debug)]
pub struct PolicyReportOptions {
    /// Which CRDs.
    pub api: ReportApi,
    /// At most this many results per report.
    pub max_results: usize,
    /// Findings at or above this severity are `fail`, the others `warn`; `None`: all `warn`.
    pub fail_at: Option<Severity>,
    /// The results' timestamp (when the scan ran).
    pub timestamp: Timestamp,
}

impl Default for PolicyReportOptions {
    fn default() -> Self {
        PolicyReportOptions {
            api: ReportApi::default(),
            max_results: 500,
            fail_at: Some(Severity::High),
            timestamp: Timestamp {
                seconds: 0,
                nanos: 0,
            },
        }
    }
}

/// The name of the report for a namespace (`None`: the cluster report): `rampart` or
/// `rampart-NAMESPACE`, always a valid DNS-1123 label. A namespace that would not fit
/// (too long, or not itself a valid name) is shortened and a hash of it appended, so
/// distinct namespaces keep distinct names.
pub fn report_name(namespace: Option<&str>) -> String {
    const MAX: usize = 63;
    let Some(ns) = namespace else {
        return "rampart".to_string();
    };
    let name = format!("rampart-{ns}");
    if is_dns1123_label(&name) {
        return name;
    }
    let digest = Sha256::digest(ns.as_bytes());
    let hash = digest.iter().take(5).fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    let mut cleaned = String::from("rampart-");
    for c in ns.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if cleaned.len() + 1 + 1 + hash.len() > MAX {
            break;
        }
        if !(c == '-' && cleaned.ends_with('-')) {
            cleaned.push(c);
        }
    }
    if !cleaned.ends_with('-') {
        cleaned.push('-');
    }
    cleaned.push_str(&hash);
    cleaned
}

/// Whether a name is a DNS-1123 label: at most 63 lowercase letters, digits and `-`,
/// starting and ending with a letter or digit.
pub fn is_dns1123_label(name: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| alnum(c) || c == '-')
        && name.starts_with(alnum)
        && name.ends_with(alnum)
}

/// One result to write.
enum Entry<'a> {
    Input(&'a InputDiagnostic),
    Finding(&'a Finding),
}

impl Entry<'_> {
    /// Higher is kept first when a report is cut.
    fn rank(&self) -> u8 {
        match self {
            Entry::Input(_) => 9,
            Entry::Finding(f) => match f.severity {
                Severity::Critical => 5,
                Severity::High => 4,
                Severity::Medium => 3,
                Severity::Low => 2,
                Severity::Info => 1,
            },
        }
    }
}

/// Writes the reports as a YAML stream.
pub fn write(
    report: &Report<'_>,
    options: PolicyReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut cluster: Vec<Entry<'_>> = report
        .diagnostics
        .iter()
        .filter(|d| d.level == InputLevel::Error)
        .map(Entry::Input)
        .collect();
    let mut namespaced: BTreeMap<&str, Vec<Entry<'_>>> = report
        .inventory
        .namespaces()
        .map(|(ns, _)| (ns, Vec::new()))
        .collect();
    for f in report.findings {
        match &f.object.namespace {
            Some(ns) => namespaced
                .entry(ns.as_str())
                .or_default()
                .push(Entry::Finding(f)),
            None => cluster.push(Entry::Finding(f)),
        }
    }
    let writer = Writer { report, options };
    writer.document(None, cluster, out)?;
    for (ns, entries) in namespaced {
        writer.document(Some(ns), entries, out)?;
    }
    Ok(())
}

struct Writer<'r, 'a> {
    report: &'r Report<'a>,
    options: PolicyReportOptions,
}

impl Writer<'_, '_> {
    fn result(&self, f: &Finding) -> &'static str {
        match self.options.fail_at {
            Some(t) if f.severity >= t => "fail",
            _ => "warn",
        }
    }

    fn document(
        &self,
        namespace: Option<&str>,
        entries: Vec<Entry<'_>>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let api = self.options.api;
        let (mut fail, mut warn, mut error) = (0usize, 0usize, 0usize);
        for e in &entries {
            match e {
                Entry::Input(_) => error += 1,
                Entry::Finding(f) => match self.result(f) {
                    "fail" => fail += 1,
                    _ => warn += 1,
                },
            }
        }
        let kept = self.keep(entries);
        let omitted = fail + warn + error - kept.len();

        writeln!(out, "---")?;
        writeln!(out, "apiVersion: {}", api.api_version())?;
        let kind = if namespace.is_some() {
            api.kind()
        } else {
            api.cluster_kind()
        };
        writeln!(out, "kind: {kind}")?;
        writeln!(out, "metadata:")?;
        writeln!(out, "  name: {}", Quoted(&report_name(namespace)))?;
        if let Some(ns) = namespace {
            writeln!(out, "  namespace: {}", Quoted(ns))?;
        }
        writeln!(out, "  labels:")?;
        writeln!(out, "    app.kubernetes.io/managed-by: \"rampart\"")?;
        if omitted > 0 {
            writeln!(out, "  annotations:")?;
            writeln!(out, "    {OMITTED_ANNOTATION}: \"{omitted}\"")?;
        }
        if api == ReportApi::OpenReports {
            writeln!(out, "source: \"rampart\"")?;
        }
        writeln!(out, "summary:")?;
        writeln!(out, "  pass: 0")?;
        writeln!(out, "  fail: {fail}")?;
        writeln!(out, "  warn: {warn}")?;
        writeln!(out, "  error: {error}")?;
        writeln!(out, "  skip: 0")?;
        if kept.is_empty() {
            return writeln!(out, "results: []");
        }
        writeln!(out, "results:")?;
        for e in kept {
            match e {
                Entry::Finding(f) => self.finding(f, out)?,
                Entry::Input(d) => self.input_error(d, out)?,
            }
        }
        Ok(())
    }

    /// At most `max_results` entries, the highest ranks first, back in input order.
    fn keep<'e>(&self, entries: Vec<Entry<'e>>) -> Vec<Entry<'e>> {
        let max = self.options.max_results;
        if entries.len() <= max {
            return entries;
        }
        let mut ranked: Vec<(usize, Entry<'e>)> = entries.into_iter().enumerate().collect();
        ranked.sort_by_key(|(i, e)| (std::cmp::Reverse(e.rank()), *i));
        ranked.truncate(max);
        ranked.sort_by_key(|(i, _)| *i);
        ranked.into_iter().map(|(_, e)| e).collect()
    }

    fn timestamp(&self, out: &mut dyn Write) -> io::Result<()> {
        let t = self.options.timestamp;
        writeln!(out, "  timestamp:")?;
        writeln!(out, "    seconds: {}", t.seconds)?;
        writeln!(out, "    nanos: {}", t.nanos)
    }

    fn finding(&self, f: &Finding, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "- policy: {}", Quoted(f.rule.code))?;
        writeln!(out, "  rule: {}", Quoted(f.rule.name))?;
        writeln!(out, "  result: {}", self.result(f))?;
        writeln!(out, "  severity: {}", f.severity.as_str())?;
        writeln!(out, "  category: {}", Quoted(f.rule.practice.title()))?;
        writeln!(out, "  message: {}", Quoted(&f.message))?;
        writeln!(out, "  source: \"rampart\"")?;
        writeln!(out, "  scored: true")?;
        self.timestamp(out)?;
        let o = &f.object;
        writeln!(out, "  resources:")?;
        writeln!(out, "  - apiVersion: {}", Quoted(&o.api_version))?;
        writeln!(out, "    kind: {}", Quoted(&o.kind))?;
        writeln!(out, "    name: {}", Quoted(&o.name))?;
        if let Some(ns) = &o.namespace {
            writeln!(out, "    namespace: {}", Quoted(ns))?;
        }
        writeln!(out, "  properties:")?;
        if let Some(id) = f.file {
            writeln!(
                out,
                "    file: {}",
                Quoted(self.report.inventory.files.name(id))
            )?;
        }
        if f.pos.is_known() {
            writeln!(out, "    line: \"{}\"", f.pos.line)?;
            writeln!(out, "    column: \"{}\"", f.pos.col)?;
        }
        if !f.field_path.is_empty() {
            writeln!(out, "    fieldPath: {}", Quoted(&f.field_path))?;
        }
        if let Some(e) = &f.evidence {
            writeln!(out, "    evidence: {}", Quoted(&e.describe()))?;
        }
        writeln!(out, "    fingerprint: \"{}\"", fingerprint(f))?;
        writeln!(out, "    docs: {}", Quoted(&f.rule.docs_url()))
    }

    fn input_error(&self, d: &InputDiagnostic, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "- policy: \"rampart/input\"")?;
        writeln!(out, "  rule: \"input-error\"")?;
        writeln!(out, "  result: error")?;
        writeln!(out, "  category: \"Input\"")?;
        writeln!(out, "  message: {}", Quoted(&d.message))?;
        writeln!(out, "  source: \"rampart\"")?;
        self.timestamp(out)?;
        writeln!(out, "  properties:")?;
        writeln!(out, "    file: {}", Quoted(&d.path))?;
        if d.pos.line > 0 {
            writeln!(out, "    line: \"{}\"", d.pos.line)?;
            writeln!(out, "    column: \"{}\"", d.pos.column)?;
        }
        Ok(())
    }
}

/// A YAML double-quoted scalar. Only printable characters are written as they are;
/// everything else (controls, DEL, C1, line and paragraph separators, the byte-order
/// mark) is a `\uXXXX` escape, which JSON-style readers understand too. Noncharacters
/// U+FFFE and U+FFFF become U+FFFD.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\t' => f.write_str("\\t")?,
                '\r' => f.write_str("\\r")?,
                '\u{fffe}' | '\u{ffff}' => f.write_char('\u{fffd}')?,
                '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => {
                    write!(f, "\\u{:04X}", u32::from(c))?;
                }
                _ => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns1123_labels() {
        assert_eq!(report_name(None), "rampart");
        assert_eq!(report_name(Some("shop")), "rampart-shop");
        let long = "a".repeat(63);
        for ns in [long.as_str(), "Bad_Name", "-x-", "ünï", "", "a--b.c"] {
            let name = report_name(Some(ns));
            assert!(is_dns1123_label(&name), "{ns:?} -> {name:?}");
        }
        assert_ne!(report_name(Some("Bad_Name")), report_name(Some("bad-name")));
        assert_ne!(
            report_name(Some(&"a".repeat(63))),
            report_name(Some(&"a".repeat(62)))
        );
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(
            Quoted("a\"b\\c\n\u{0}\u{85}\u{2028}\u{feff}\u{ffff}: #x").to_string(),
            "\"a\\\"b\\\\c\\n\\u0000\\u0085\\u2028\\uFEFF\u{fffd}: #x\""
        );
    }
}
