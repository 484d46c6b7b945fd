//! Rule metadata: codes, names, practices, severities and docs.

use std::fmt;

use crate::context::Context;
use rampart_model::{Object, PodTemplate};

/// The six practices, the rule families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Practice {
    /// Role-based access control.
    Rbac,
    /// Secrets.
    Secrets,
    /// Network policy.
    Network,
    /// Pod security.
    PodSecurity,
    /// Updates.
    Updates,
    /// Audit.
    Audit,
}

impl Practice {
    /// Every practice, in display order.
    pub const ALL: [Practice; 6] = [
        Practice::Rbac,
        Practice::Secrets,
        Practice::Network,
        Practice::PodSecurity,
        Practice::Updates,
        Practice::Audit,
    ];

    /// The code prefix (`POD`).
    pub fn prefix(self) -> &'static str {
        match self {
            Practice::Rbac => "RBAC",
            Practice::Secrets => "SEC",
            Practice::Network => "NET",
            Practice::PodSecurity => "POD",
            Practice::Updates => "UPD",
            Practice::Audit => "AUD",
        }
    }

    /// The human title.
    pub fn title(self) -> &'static str {
        match self {
            Practice::Rbac => "RBAC",
            Practice::Secrets => "Secrets",
            Practice::Network => "Network policy",
            Practice::PodSecurity => "Pod security",
            Practice::Updates => "Updates",
            Practice::Audit => "Audit",
        }
    }

    /// The machine name (`pod-security`).
    pub fn slug(self) -> &'static str {
        match self {
            Practice::Rbac => "rbac",
            Practice::Secrets => "secrets",
            Practice::Network => "network",
            Practice::PodSecurity => "pod-security",
            Practice::Updates => "updates",
            Practice::Audit => "audit",
        }
    }
}

/// A rule's intrinsic risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Low risk.
    Low,
    /// Medium risk.
    Medium,
    /// High risk.
    High,
    /// Critical: a direct path to cluster compromise or data exposure.
    Critical,
}

impl Severity {
    /// Every severity, highest first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(text: &str) -> Option<Self> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Where a rule is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleStatus {
    /// Released; the code keeps its meaning forever.
    Stable {
        /// The release that introduced it.
        since: &'static str,
    },
    /// Not yet released.
    Preview {
        /// The release that introduced it.
        since: &'static str,
    },
    /// Retired; the code is never reused.
    Removed {
        /// The release that removed it.
        since: &'static str,
    },
}

/// How a rule is run.
#[derive(Clone, Copy)]
pub enum Check {
    /// Once per pod template (Pod and every workload kind).
    Template(fn(&mut Context<'_>, &PodTemplate<'_>)),
    /// Once per object of the listed kinds.
    Object(&'static [&'static str], fn(&mut Context<'_>, &Object)),
    /// Once per run, over the whole inventory.
    Inventory(fn(&mut Context<'_>)),
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::Template(_) => f.write_str("Template"),
            Check::Object(kinds, _) => write!(f, "Object({kinds:?})"),
            Check::Inventory(_) => f.write_str("Inventory"),
        }
    }
}

/// Everything known about a rule, stated once next to its docs.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, `POD001`.
    pub code: &'static str,
    /// Kebab-case name, `privileged-container`.
    pub name: &'static str,
    /// The practice.
    pub practice: Practice,
    /// Default severity.
    pub severity: Severity,
    /// Life-cycle status.
    pub status: RuleStatus,
    /// The Markdown docs (What it does, Why is this bad?, Example, Remediation, References).
    pub doc: &'static str,
    /// `file#Lline` of the declaration.
    pub location: &'static str,
    /// How it runs.
    pub check: Check,
}

impl RuleMeta {
    /// The docs as Markdown: `///` comments keep one leading space per line, dropped here.
    pub fn markdown(&self) -> String {
        let mut out = String::with_capacity(self.doc.len());
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// A section of the docs, by heading (`Remediation`), trimmed.
    pub fn section(&self, heading: &str) -> Option<String> {
        let doc = self.markdown();
        let marker = format!("## {heading}\n");
        let start = doc.find(&marker)? + marker.len();
        let rest = doc.get(start..)?;
        let end = rest.find("\n## ").unwrap_or(rest.len());
        Some(rest.get(..end)?.trim().to_string())
    }

    /// The first sentence of "What it does", on one line, for tables and short descriptions.
    pub fn summary(&self) -> String {
        let what = flatten(&self.section("What it does").unwrap_or_default());
        let end = what.find(". ").map_or(what.len(), |i| i + 1);
        what.get(..end)
            .unwrap_or(&what)
            .trim_end_matches('.')
            .trim()
            .to_string()
    }

    /// The remediation, on one line.
    pub fn remediation(&self) -> String {
        flatten(&self.section("Remediation").unwrap_or_default())
    }

    /// Link to the rule's page.
    pub fn docs_url(&self) -> String {
        format!(
            "https://github.com/rampart-k8s/rampart/blob/main/docs/rules/{}.md",
            self.code
        )
    }
}

/// Joins wrapped lines into one.
fn flatten(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Declares a rule: docs, metadata and check, in the style of clippy's
/// `declare_clippy_lint!`. The doc comment is kept as the rule's Markdown docs.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis $ident:ident {
            code: $code:literal,
            name: $name:literal,
            practice: $practice:ident,
            severity: $severity:ident,
            status: $status:ident { since: $since:literal },
            check: $check:expr $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        $vis static $ident: $crate::rule::RuleMeta = $crate::rule::RuleMeta {
            code: $code,
            name: $name,
            practice: $crate::rule::Practice::$practice,
            severity: $crate::rule::Severity::$severity,
            status: $crate::rule::RuleStatus::$status { since: $since },
            doc: concat!($($doc, "\n",)*),
            location: concat!(file!(), "#L", line!()),
            check: $check,
        };
    };
}
