//! Baselines: the findings a project has accepted for now, so that a scan reports only
//! what is new.
//!
//! A baseline is JSON, keyed by [`fingerprint`](crate::fingerprint), which ignores line
//! numbers: inserting lines above an object keeps its findings baselined. Each entry
//! also names the code, the object and the file for the humans who review it; nothing
//! else is written (no messages, no values), so a baseline never holds a secret.
//!
//! ```json
//! {
//!   "schemaVersion": 1,
//!   "tool": {"name": "rampart", "version": "0.1.0"},
//!   "findings": [
//!     {"fingerprint": "3f…", "code": "POD001", "object": "Deployment shop/api", "file": "k8s/api.yaml"}
//!   ]
//! }
//! ```
//!
//! A fingerprint listed N times absorbs at most N findings: a second privileged
//! container in the same field of the same object is new.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};

use rampart_model::Inventory;
use rampart_rules::Finding;
use serde::{Deserialize, Serialize};

use crate::{fingerprint, object_label};

/// The version of the baseline format.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Tool {
    name: String,
    version: String,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    // Field order is the sort order: by file, object and code for reviewers, then the
    // fingerprint to make it total.
    #[serde(default)]
    file: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    code: String,
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BaselineFile {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool: Option<Tool>,
    findings: Vec<Entry>,
}

/// A baseline that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineError {
    /// 1-based line (0 when the problem is not at one place).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.line, self.column, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for BaselineError {}

/// Accepted findings: how many times each fingerprint may still be absorbed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    counts: HashMap<String, usize>,
}

impl Baseline {
    /// Reads a baseline file's text.
    pub fn parse(text: &str) -> Result<Self, BaselineError> {
        let file: BaselineFile = serde_json::from_str(text).map_err(|e| BaselineError {
            line: e.line(),
            column: e.column(),
            message: format!("not a Rampart baseline: {e}"),
        })?;
        if file.schema_version != SCHEMA_VERSION {
            return Err(BaselineError {
                line: 0,
                column: 0,
                message: format!(
                    "baseline schemaVersion {} is not supported (this Rampart reads {SCHEMA_VERSION})",
                    file.schema_version
                ),
            });
        }
        let mut counts = HashMap::new();
        for e in file.findings {
            *counts.entry(e.fingerprint).or_insert(0) += 1;
        }
        Ok(Baseline { counts })
    }

    /// The baseline of a set of findings.
    pub fn of(findings: &[Finding]) -> Self {
        let mut counts = HashMap::new();
        for f in findings {
            *counts.entry(fingerprint(f)).or_insert(0) += 1;
        }
        Baseline { counts }
    }

    /// Findings listed in the baseline.
    pub fn len(&self) -> usize {
        self.counts.values().sum()
    }

    /// Whether the baseline lists nothing.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Keeps the findings the baseline does not absorb, in order, and counts the rest.
    pub fn filter(&self, findings: Vec<Finding>) -> (Vec<Finding>, usize) {
        if self.counts.is_empty() {
            return (findings, 0);
        }
        let mut left = self.counts.clone();
        let before = findings.len();
        let kept: Vec<Finding> = findings
            .into_iter()
            .filter(|f| match left.get_mut(&fingerprint(f)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            })
            .collect();
        let absorbed = before - kept.len();
        (kept, absorbed)
    }
}

/// Writes the baseline of `findings` as pretty JSON, entries sorted by file, object,
/// code and fingerprint, so that the same findings always give the same bytes.
pub fn write(findings: &[Finding], inventory: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    let mut entries: Vec<Entry> = findings
        .iter()
        .map(|f| Entry {
            file: f
                .file
                .map_or_else(String::new, |id| inventory.files.name(id).to_string()),
            object: object_label(&f.object),
            code: f.rule.code.to_string(),
            fingerprint: fingerprint(f),
        })
        .collect();
    entries.sort();
    let file = BaselineFile {
        schema_version: SCHEMA_VERSION,
        tool: Some(Tool {
            name: "rampart".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }),
        findings: entries,
    };
    serde_json::to_writer_pretty(&mut *out, &file)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_where() {
        let e = Baseline::parse(
            "{\n  \"schemaVersion\": 1,\n  \"findings\": [{\"code\": \"POD001\"}]\n}",
        )
        .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("missing field `fingerprint`"), "{e}");
        let e = Baseline::parse("{\"schemaVersion\": 9, \"findings\": []}").unwrap_err();
        assert!(
            e.message.contains("schemaVersion 9 is not supported"),
            "{e}"
        );
        let e = Baseline::parse("[]").unwrap_err();
        assert_eq!((e.line, e.column), (1, 2));
        assert!(
            Baseline::parse("{\"schemaVersion\": 1, \"findings\": []}")
                .unwrap()
                .is_empty()
        );
    }

    fn findings() -> (Inventory, Vec<Finding>) {
        let loaded = rampart_source::load_str(
            "pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n    - {name: a, image: \"x:1\", securityContext: {privileged: true}}\n",
        );
        let inventory = Inventory::new(loaded.files, loaded.objects, None);
        let selection = rampart_rules::Selection {
            select: vec!["POD001".into()],
            ignore: vec![],
        };
        let outcome =
            rampart_rules::engine::run(&inventory, &selection, &rampart_rules::Settings::default());
        (inventory, outcome.findings)
    }

    #[test]
    fn a_fingerprint_absorbs_as_many_findings_as_it_is_listed() {
        let (inventory, found) = findings();
        assert_eq!(found.len(), 1);
        let mut text = Vec::new();
        write(&found, &inventory, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("\"object\": \"Pod shop/p\""), "{text}");
        assert!(text.contains("\"file\": \"pod.yaml\""), "{text}");
        let baseline = Baseline::parse(&text).unwrap();
        assert_eq!(baseline, Baseline::of(&found));
        let twice = vec![found[0].clone(), found[0].clone()];
        let (kept, absorbed) = baseline.filter(twice);
        assert_eq!((kept.len(), absorbed), (1, 1));
        let (kept, absorbed) = Baseline::default().filter(found);
        assert_eq!((kept.len(), absorbed), (1, 0));
    }

    #[test]
    fn repeated_fingerprints_count() {
        let b = Baseline::parse(
            r#"{"schemaVersion": 1, "findings": [{"fingerprint": "a"}, {"fingerprint": "a"}, {"fingerprint": "b"}]}"#,
        )
        .unwrap();
        assert_eq!(b.len(), 3);
    }
}
