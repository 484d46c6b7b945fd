//! Findings: what a rule reports.

use std::fmt::Write as _;

use rampart_model::{FileId, ObjectRef, Pos, Text};
use sha2::{Digest, Sha256};
use thin_vec::ThinVec;

use crate::rule::{RuleMeta, Severity};

/// Evidence that a value is secret, without the value: its kind, its length and a
/// short hash to tell two findings of the same value apart. Built only through
/// [`Evidence::redacted`], so no code path can carry the value into output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// What it looks like (`AWS access key id`).
    pub kind: String,
    /// Its length in characters.
    pub length: usize,
    /// The first 12 hex digits of a salted SHA-256 of the value.
    pub hash: String,
}

impl Evidence {
    /// Describes a secret value without keeping it.
    pub fn redacted(kind: impl Into<String>, value: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(b"rampart-evidence:")
            .chain_update(value.as_bytes())
            .finalize();
        let hash = digest.iter().take(6).fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        Evidence {
            kind: kind.into(),
            length: value.chars().count(),
            hash,
        }
    }

    /// `AWS access key id, 20 characters, sha256:1a2b3c4d5e6f`.
    pub fn describe(&self) -> String {
        format!(
            "{}, {} characters, sha256:{}",
            self.kind, self.length, self.hash
        )
    }
}

/// One step of an attack path or an explanation chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What happens at this step.
    pub text: String,
    /// The object that makes it possible, if any.
    pub object: Option<ObjectRef>,
}

/// Another place that is part of a finding (the binding of a role, say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    /// The file.
    pub file: Option<FileId>,
    /// Where.
    pub pos: Pos,
    /// What it is.
    pub message: String,
}

/// A finding of a rule.
///
/// A large cluster has tens of thousands: what most findings lack (evidence, steps,
/// related places) costs a pointer each, and the texts are exactly as long as they are
/// (boxed, not growable strings).
#[derive(Clone, Debug)]
pub struct Finding {
    /// The rule.
    pub rule: &'static RuleMeta,
    /// The severity (the rule's default unless configured otherwise).
    pub severity: Severity,
    /// The object it is about.
    pub object: ObjectRef,
    /// Index of the object in the inventory.
    pub object_index: Option<usize>,
    /// The file of the object.
    pub file: Option<FileId>,
    /// Where in the file.
    pub pos: Pos,
    /// The field path, as the user sees it in the file (shared: one rule reports the
    /// same path on every object of a kind).
    pub field_path: Text,
    /// What is wrong: lowercase, no trailing period, identifiers in backticks.
    pub message: Box<str>,
    /// A fix specific to this finding (the rule's remediation applies otherwise).
    pub help: Option<Box<str>>,
    /// Redacted evidence.
    pub evidence: Option<Box<Evidence>>,
    /// Ordered steps (attack paths).
    pub steps: ThinVec<Step>,
    /// Other places involved.
    pub related: ThinVec<Related>,
    /// The suppression that covered this finding until it expired (boxed: rare, and
    /// findings are moved around in bulk while sorting).
    pub suppression: Option<Box<crate::suppress::Expired>>,
}

impl Finding {
    /// A finding at a place, with the rule's severity and nothing else attached yet.
    pub(crate) fn new(
        rule: &'static RuleMeta,
        object: ObjectRef,
        object_index: Option<usize>,
        file: Option<FileId>,
        pos: Pos,
        field_path: Text,
        message: String,
    ) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            object,
            object_index,
            file,
            pos,
            field_path,
            message: message.into_boxed_str(),
            help: None,
            evidence: None,
            steps: ThinVec::new(),
            related: ThinVec::new(),
            suppression: None,
        }
    }

    /// Sets the finding's own help text.
    pub fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into().into_boxed_str());
        self
    }

    /// Attaches redacted evidence.
    pub fn evidence(&mut self, evidence: Evidence) -> &mut Self {
        self.evidence = Some(Box::new(evidence));
        self
    }

    /// Adds a step.
    pub fn step(&mut self, text: impl Into<String>, object: Option<ObjectRef>) -> &mut Self {
        self.steps.push(Step {
            text: text.into(),
            object,
        });
        self
    }

    /// Adds another place.
    pub fn related(
        &mut self,
        file: Option<FileId>,
        pos: Pos,
        message: impl Into<String>,
    ) -> &mut Self {
        self.related.push(Related {
            file,
            pos,
            message: message.into(),
        });
        self
    }

    /// The order findings are printed in: file, position, code, message.
    pub fn sort_key(&self) -> (Option<FileId>, Pos, &'static str, &str, &str) {
        (
            self.file,
            self.pos,
            self.rule.code,
            &self.field_path,
            &self.message,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_stays_small() {
        assert!(
            std::mem::size_of::<Finding>() <= 152,
            "{}",
            std::mem::size_of::<Finding>()
        );
    }
}
