//! Rampart's output formats. Reporters only format findings; they never decide.
//!
//! Every format reads the same [`Report`]: the findings, the input problems, the input
//! files and the inventory's texts. Output order is the findings' order, which the
//! engine makes deterministic.

pub mod json;
pub mod text;

use rampart_model::{InputDiagnostic, Inventory};
use rampart_rules::{Finding, Practice, Severity};
use rampart_source::InputStatus;

/// Everything a reporter needs.
pub struct Report<'a> {
    /// The inventory (files for code frames, facts for the version).
    pub inventory: &'a Inventory,
    /// Findings, in output order.
    pub findings: &'a [Finding],
    /// How many findings suppressions removed.
    pub suppressed: usize,
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
