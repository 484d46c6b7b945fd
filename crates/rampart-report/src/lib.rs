//! Rampart's output formats. Reporters only format findings; they never decide.
//!
//! Every format reads the same [`Report`]: the findings, the input problems, the input
//! files and the inventory's texts. Output order is the findings' order, which the
//! engine makes deterministic.

pub mod baseline;
pub mod html;
pub mod json;
pub mod junit;
pub mod policyreport;
pub mod sarif;
pub mod text;

use std::fmt::Write as _;

use rampart_model::{InputDiagnostic, Inventory, ObjectRef};
use rampart_rules::{Finding, Practice, Severity};
use rampart_source::InputStatus;
use sha2::{Digest, Sha256};

/// Everything a reporter needs.
pub struct Report<'a> {
    /// The inventory (files for code frames, facts for the version).
    pub inventory: &'a Inventory,
    /// Findings, in output order.
    pub findings: &'a [Finding],
    /// How many findings suppressions removed.
    pub suppressed: usize,
    /// Active suppressions with reasons, and how many findings each removed.
    pub suppressions: &'a [rampart_rules::engine::SuppressionUse],
    /// How many findings the baseline absorbed.
    pub baselined: usize,
    /// Problems with the input.
    pub diagnostics: &'a [InputDiagnostic],
    /// One entry per input file.
    pub inputs: &'a [InputStatus],
    /// Lines that hold secret values: never shown, even as context.
    pub sensitive: &'a std::collections::HashSet<(rampart_model::FileId, u32)>,
}

/// Counts of findings by practice and severity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scorecard {
    counts: [[usize; 5]; 6],
}

impl Scorecard {
    /// Counts findings.
    pub fn new(findings: &[Finding]) -> Self {
        let mut card = Scorecard::default();
        for f in findings {
            if let Some(n) = index(f.rule.practice, f.severity)
                .and_then(|(p, s)| card.counts.get_mut(p)?.get_mut(s))
            {
                *n += 1;
            }
        }
        card
    }

    /// Findings of one practice and severity.
    pub fn get(&self, practice: Practice, severity: Severity) -> usize {
        index(practice, severity)
            .and_then(|(p, s)| self.counts.get(p)?.get(s).copied())
            .unwrap_or(0)
    }

    /// Findings of one severity, across practices.
    pub fn total(&self, severity: Severity) -> usize {
        Practice::ALL.iter().map(|p| self.get(*p, severity)).sum()
    }
}

fn index(practice: Practice, severity: Severity) -> Option<(usize, usize)> {
    Some((
        Practice::ALL.iter().position(|x| *x == practice)?,
        Severity::ALL.iter().position(|x| *x == severity)?,
    ))
}

/// A finding's identity across runs: the same finding gets the same fingerprint when
/// lines move, files are reformatted or other findings come and go.
///
/// It hashes what the finding is about, never where it is printed: the rule code, the
/// object's kind, namespace and name, the field path and the evidence hash (so two
/// secrets in one field stay apart). The apiVersion is left out on purpose, so moving
/// a Deployment from `extensions/v1beta1` to `apps/v1` keeps its findings, and so is
/// the file, so moving an object to another file keeps them too. The message is left
/// out because it may carry counts that change with unrelated edits.
///
/// Two findings can share a fingerprint (one rule, one field, two messages); formats
/// that need unique keys number the repeats (see [`Occurrences`]).
///
/// The value is 32 hex digits (128 bits of SHA-256).
pub fn fingerprint(finding: &Finding) -> String {
    let object = &finding.object;
    let mut hasher = Sha256::new();
    // Unit separators keep `a` + `bc` apart from `ab` + `c`.
    for part in [
        "rampart-fingerprint-v1",
        finding.rule.code,
        &object.kind,
        object.namespace.as_deref().unwrap_or(""),
        &object.name,
        &finding.field_path,
        finding.evidence.as_ref().map_or("", |e| e.hash.as_str()),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    hasher
        .finalize()
        .iter()
        .take(16)
        .fold(String::with_capacity(32), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Numbers repeated fingerprints in output order (`1`, `2`, ...), the way GitHub numbers
/// repeated line hashes, so every result of a run has a unique key and the numbering
/// survives line shifts (findings keep their relative order).
#[derive(Debug, Default)]
pub struct Occurrences {
    seen: std::collections::HashMap<String, u32>,
}

impl Occurrences {
    /// `fingerprint:n`, where `n` counts the earlier findings with this fingerprint plus one.
    pub fn key(&mut self, fingerprint: String) -> String {
        let n = match self.seen.get_mut(&fingerprint) {
            Some(n) => {
                *n += 1;
                *n
            }
            None => 1,
        };
        let key = format!("{fingerprint}:{n}");
        if n == 1 {
            self.seen.insert(fingerprint, 1);
        }
        key
    }
}

/// `Deployment shop/api`, `ClusterRole admin`: an object as messages name it.
pub fn object_label(object: &ObjectRef) -> String {
    match &object.namespace {
        Some(ns) => format!("{} {ns}/{}", object.kind, object.name),
        None => format!("{} {}", object.kind, object.name),
    }
}

/// A point in time (UTC), given to the formats that stamp their output so that the
/// formats themselves stay deterministic and testable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub seconds: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
}

impl Timestamp {
    /// The current time (the Unix epoch if the clock is before it).
    pub fn now() -> Self {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp {
            seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            nanos: since.subsec_nanos(),
        }
    }

    /// `2024-05-01T12:30:00`: ISO 8601 in UTC without a zone designator, as the Ant JUnit
    /// schema wants it.
    pub fn iso8601(self) -> String {
        let days = self.seconds.div_euclid(86_400);
        let secs = self.seconds.rem_euclid(86_400);
        let date = rampart_rules::releases::Date::from_days(days);
        format!(
            "{date}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_civil_dates() {
        let at = |seconds| Timestamp { seconds, nanos: 0 }.iso8601();
        assert_eq!(at(0), "1970-01-01T00:00:00");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(at(1_714_566_600), "2024-05-01T12:30:00");
        assert_eq!(at(-1), "1969-12-31T23:59:59");
    }

    #[test]
    fn occurrences_number_repeats() {
        let mut o = Occurrences::default();
        assert_eq!(o.key("a".into()), "a:1");
        assert_eq!(o.key("b".into()), "b:1");
        assert_eq!(o.key("a".into()), "a:2");
    }
}
