//! Pod Security Standards, decided as upstream's Pod Security admission decides.
//!
//! This is a re-implementation of `k8s.io/pod-security-admission/policy`: the same
//! check IDs, the same revisions per policy version (a check uses the revision with
//! the highest minimum version at or below the requested one, and is absent below its
//! first), the same restricted-overrides-baseline table, the same container visiting
//! order (init, regular, ephemeral), the same Windows and user-namespace relaxations,
//! and the same `ForbiddenReason`/`ForbiddenDetail` strings, in the same order
//! (baseline IDs sorted, then restricted IDs sorted).
//!
//! `latest` is v1.35, the newest policy revision in released Kubernetes (v1.36 added
//! none). Versions above it are clamped to it, as the admission plugin does.
//!
//! Reference: <https://github.com/kubernetes/kubernetes/tree/master/staging/src/k8s.io/pod-security-admission/policy>

mod checks;

use std::fmt;
use std::fmt::Write as _;

use rampart_model::{Node, PodTemplate, Pos};

pub use checks::CHECKS;

/// The newest policy version with a check revision (`latest`).
pub const LATEST_MINOR: u32 = 35;

/// A Pod Security Standards level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Unrestricted.
    Privileged,
    /// Prevents known privilege escalations.
    Baseline,
    /// Current pod hardening best practice.
    Restricted,
}

impl Level {
    /// Parses a level as `api.ParseLevel` does.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// A policy version: `v1.N` or `latest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// `v1.N`.
    Minor(u32),
    /// The newest policy.
    Latest,
}

impl Version {
    /// Parses as `api.ParseVersion` does: `latest` or `v1.N` with no leading zero.
    pub fn parse(text: &str) -> Option<Self> {
        if text == "latest" {
            return Some(Version::Latest);
        }
        let minor = text.strip_prefix("v1.")?;
        let canonical = minor == "0" || (!minor.starts_with('0') && !minor.is_empty());
        if !canonical || !minor.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        minor.parse().ok().map(Version::Minor)
    }

    /// The minor version the checks of this version are taken from (clamped to
    /// [`LATEST_MINOR`]).
    pub fn effective_minor(self) -> u32 {
        match self {
            Version::Minor(m) => m.min(LATEST_MINOR),
            Version::Latest => LATEST_MINOR,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Minor(m) => write!(f, "v1.{m}"),
            Version::Latest => f.write_str("latest"),
        }
    }
}

/// A level at a version, `restricted:v1.31`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    /// The level.
    pub level: Level,
    /// The version.
    pub version: Version,
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level.as_str(), self.version)
    }
}

/// One place that breaks a check, with a message for that place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offense {
    /// Where (the offending value, or the container or pod spec when a field is missing).
    pub pos: Pos,
    /// The field path inside the object.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

/// A check that forbids the pod: upstream's reason and detail, and every offending place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The upstream check ID (`allowPrivilegeEscalation`).
    pub check: &'static str,
    /// Upstream's `ForbiddenReason`.
    pub reason: String,
    /// Upstream's `ForbiddenDetail`.
    pub detail: String,
    /// Every offending field.
    pub offenses: Vec<Offense>,
}

/// What a check function returns.
pub(crate) type CheckFn = fn(&PodTemplate<'_>) -> Option<Violation>;

/// One revision of a check.
#[derive(Clone, Copy)]
pub struct Revision {
    /// The first policy minor version it applies to.
    pub since: u32,
    pub(crate) check: CheckFn,
    /// Baseline checks this restricted revision replaces.
    pub overrides: &'static [&'static str],
}

/// A check with its revisions.
pub struct Check {
    /// The upstream ID.
    pub id: &'static str,
    /// Baseline or restricted.
    pub level: Level,
    /// Revisions by increasing `since`.
    pub revisions: &'static [Revision],
}

impl Check {
    /// The revision in effect at a minor version, if the check exists there.
    pub fn revision(&self, minor: u32) -> Option<&Revision> {
        self.revisions.iter().rev().find(|r| r.since <= minor)
    }
}

/// Whether a check applies at a level and version, as the registry's tables decide:
/// baseline checks apply at baseline and restricted unless a restricted revision in
/// effect overrides them.
pub fn applies(check: &Check, lv: LevelVersion) -> Option<&Revision> {
    let minor = lv.version.effective_minor();
    let revision = check.revision(minor)?;
    match (lv.level, check.level) {
        (Level::Privileged, _) | (Level::Baseline, Level::Restricted) => None,
        (Level::Baseline, _) | (Level::Restricted, Level::Restricted) => Some(revision),
        (Level::Restricted, _) => {
            let overridden = CHECKS
                .iter()
                .filter(|c| c.level == Level::Restricted)
                .filter_map(|c| c.revision(minor))
                .any(|r| r.overrides.contains(&check.id));
            (!overridden).then_some(revision)
        }
    }
}

/// Evaluates a pod template at a level and version; an empty result means allowed.
/// Results are in upstream's order.
pub fn evaluate(pod: &PodTemplate<'_>, lv: LevelVersion) -> Vec<Violation> {
    CHECKS
        .iter()
        .filter_map(|c| applies(c, lv))
        .filter_map(|r| (r.check)(pod))
        .collect()
}

/// Evaluates one check (by ID) at a level and version.
pub fn evaluate_check(id: &str, pod: &PodTemplate<'_>, lv: LevelVersion) -> Option<Violation> {
    let check = CHECKS.iter().find(|c| c.id == id)?;
    applies(check, lv).and_then(|r| (r.check)(pod))
}

/// The namespace label keys.
pub const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";
/// The enforce-version label key.
pub const ENFORCE_VERSION_LABEL: &str = "pod-security.kubernetes.io/enforce-version";

/// Where a level came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicySource {
    /// The namespace's `pod-security.kubernetes.io/enforce` label.
    NamespaceLabel(String),
    /// `--pss-level`/`--pss-version` (or their defaults).
    Default,
}

/// The policy a namespace enforces, as `api.PolicyToEvaluate` reads its labels: an
/// invalid enforce level means `restricted`, an invalid version `latest`.
pub fn namespace_policy(
    labels: Option<&Node>,
    default: LevelVersion,
) -> (LevelVersion, PolicySource) {
    let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Node::as_str);
    let Some(level) = label(ENFORCE_LABEL) else {
        return (default, PolicySource::Default);
    };
    let level = Level::parse(level).unwrap_or(Level::Restricted);
    let version = label(ENFORCE_VERSION_LABEL).map_or(default.version, |v| {
        Version::parse(v).unwrap_or(Version::Latest)
    });
    (
        LevelVersion { level, version },
        PolicySource::NamespaceLabel(ENFORCE_LABEL.to_string()),
    )
}

/// Go's `pluralize`.
pub(crate) fn pluralize<'a>(singular: &'a str, plural: &'a str, count: usize) -> &'a str {
    if count == 1 { singular } else { plural }
}

/// Go's `joinQuote`: `"a", "b"`.
pub(crate) fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("\"{}\"", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Go's `%q` for the strings annotations hold.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
