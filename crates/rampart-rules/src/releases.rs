//! Kubernetes release facts embedded in Rampart: support dates and patch releases of
//! every minor version, and the API versions each release stopped serving.
//!
//! Nothing is fetched at run time. The release table (`data/k8s-releases.tsv`) is
//! generated from endoflife.date's Kubernetes data and says how current it is
//! ([`Releases::as_of`]); the API table follows the official
//! [Deprecated API Migration Guide](https://kubernetes.io/docs/reference/using-api/deprecation-guide/).
//! Rules judge a version against [`Settings::today`](crate::Settings), so a run is
//! reproducible with `rampart scan --now YYYY-MM-DD`.

use std::fmt;
use std::sync::OnceLock;

/// A calendar date (proleptic Gregorian, UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, 1–31.
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking the day exists.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().splitn(3, '-');
        let year: i32 = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        let date = Date { year, month, day };
        (Date::from_days(date.days()) == date).then_some(date)
    }

    /// Days since 1970-01-01 (negative before), after Howard Hinnant's `days_from_civil`.
    pub fn days(self) -> i64 {
        let month = i64::from(self.month);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let yoe = year.rem_euclid(400);
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01 (Hinnant's `civil_from_days`).
    pub fn from_days(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u32::try_from(month).unwrap_or(1),
            day: u32::try_from(day).unwrap_or(1),
        }
    }

    /// Today by the system clock (UTC).
    pub fn today() -> Self {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days(i64::try_from(seconds / 86_400).unwrap_or(0))
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days() - self.days()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One minor release of Kubernetes (`1.31`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    /// The minor version (31 for 1.31); the major is 1.
    pub minor: u32,
    /// When `1.N.0` was released.
    pub released: Date,
    /// End of standard support: maintenance mode (critical fixes only) begins.
    pub maintenance: Option<Date>,
    /// End of life: no patch releases after this day.
    pub end_of_life: Date,
    /// Patch releases, newest first: (patch number, release date).
    pub patches: Vec<(u32, Date)>,
}

impl Release {
    /// The newest patch released on or before `today`.
    pub fn latest_patch(&self, today: Date) -> Option<(u32, Date)> {
        self.patches.iter().copied().find(|(_, d)| *d <= today)
    }

    /// How many patches newer than `patch` were released on or before `today`.
    pub fn patches_after(&self, patch: u32, today: Date) -> usize {
        self.patches
            .iter()
            .filter(|(p, d)| *p > patch && *d <= today)
            .count()
    }
}

/// The embedded release table.
#[derive(Clone, Debug)]
pub struct Releases {
    /// The date the data is current to.
    pub as_of: Date,
    /// Every minor release, newest first.
    pub minors: Vec<Release>,
}

impl Releases {
    /// The table shipped with Rampart.
    pub fn embedded() -> &'static Releases {
        static TABLE: OnceLock<Releases> = OnceLock::new();
        TABLE.get_or_init(|| Releases::parse(include_str!("../data/k8s-releases.tsv")))
    }

    /// Reads the TSV layout of `data/k8s-releases.tsv`; malformed lines are left out
    /// (a test checks the embedded file has none).
    pub fn parse(text: &str) -> Self {
        let mut as_of = Date::from_days(0);
        let mut minors = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let cells: Vec<&str> = line.split('\t').collect();
            if let ["as-of", date] = cells.as_slice() {
                if let Some(d) = Date::parse(date) {
                    as_of = d;
                }
                continue;
            }
            if let Some(release) = Self::row(&cells) {
                minors.push(release);
            }
        }
        minors.sort_by_key(|r| std::cmp::Reverse(r.minor));
        Releases { as_of, minors }
    }

    fn row(cells: &[&str]) -> Option<Release> {
        let [cycle, released, maintenance, eol, patches] = cells else {
            return None;
        };
        let minor = cycle.strip_prefix("1.")?.parse().ok()?;
        let mut list = Vec::new();
        for cell in patches.split_whitespace() {
            let (p, d) = cell.split_once('=')?;
            list.push((p.parse().ok()?, Date::parse(d)?));
        }
        list.sort_by_key(|p| std::cmp::Reverse(p.0));
        Some(Release {
            minor,
            released: Date::parse(released)?,
            maintenance: Date::parse(maintenance),
            end_of_life: Date::parse(eol)?,
            patches: list,
        })
    }

    /// The release of a minor version (`1.N`).
    pub fn minor(&self, minor: u32) -> Option<&Release> {
        self.minors.iter().find(|r| r.minor == minor)
    }

    /// The oldest and newest minor versions in the table.
    pub fn range(&self) -> Option<(u32, u32)> {
        Some((self.minors.last()?.minor, self.minors.first()?.minor))
    }

    /// The newest minor released on or before `today`.
    pub fn newest_released(&self, today: Date) -> Option<&Release> {
        self.minors.iter().find(|r| r.released <= today)
    }
}

/// An API version (`group/version`) of some kinds that a release stopped serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemovedApi {
    /// `apiVersion` as written in manifests (`extensions/v1beta1`).
    pub api_version: &'static str,
    /// The kinds it no longer serves.
    pub kinds: &'static [&'static str],
    /// The minor release that deprecated it, when recorded.
    pub deprecated_in: Option<u32>,
    /// The first minor release that no longer serves it.
    pub removed_in: u32,
    /// What to use instead: an API version, or prose with API versions in backticks.
    pub replacement: &'static str,
}

/// Every API removal of the Deprecated API Migration Guide (kubernetes/website
/// `content/en/docs/reference/using-api/deprecation-guide.md`, the version that ends
/// with the v1.32 removals), with the release that first deprecated each where the
/// release notes record it.
pub static REMOVED_APIS: &[RemovedApi] = &[
    // v1.32
    api(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        &["FlowSchema", "PriorityLevelConfiguration"],
        Some(29),
        32,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    // v1.29
    api(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        &["FlowSchema", "PriorityLevelConfiguration"],
        Some(26),
        29,
        "`flowcontrol.apiserver.k8s.io/v1` (or `v1beta3` before 1.29)",
    ),
    // v1.27
    api(
        "storage.k8s.io/v1beta1",
        &["CSIStorageCapacity"],
        Some(24),
        27,
        "storage.k8s.io/v1",
    ),
    // v1.26
    api(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        &["FlowSchema", "PriorityLevelConfiguration"],
        Some(23),
        26,
        "`flowcontrol.apiserver.k8s.io/v1beta2` (or `v1` from 1.29)",
    ),
    api(
        "autoscaling/v2beta2",
        &["HorizontalPodAutoscaler"],
        Some(23),
        26,
        "autoscaling/v2",
    ),
    // v1.25
    api("batch/v1beta1", &["CronJob"], Some(21), 25, "batch/v1"),
    api(
        "discovery.k8s.io/v1beta1",
        &["EndpointSlice"],
        Some(21),
        25,
        "discovery.k8s.io/v1",
    ),
    api(
        "events.k8s.io/v1beta1",
        &["Event"],
        Some(22),
        25,
        "events.k8s.io/v1",
    ),
    api(
        "autoscaling/v2beta1",
        &["HorizontalPodAutoscaler"],
        Some(22),
        25,
        "autoscaling/v2",
    ),
    api(
        "policy/v1beta1",
        &["PodDisruptionBudget"],
        Some(21),
        25,
        "policy/v1",
    ),
    api(
        "policy/v1beta1",
        &["PodSecurityPolicy"],
        Some(21),
        25,
        "Pod Security Admission (namespace labels)",
    ),
    api(
        "node.k8s.io/v1beta1",
        &["RuntimeClass"],
        Some(22),
        25,
        "node.k8s.io/v1",
    ),
    // v1.22
    api(
        "admissionregistration.k8s.io/v1beta1",
        &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        Some(16),
        22,
        "admissionregistration.k8s.io/v1",
    ),
    api(
        "apiextensions.k8s.io/v1beta1",
        &["CustomResourceDefinition"],
        Some(16),
        22,
        "apiextensions.k8s.io/v1",
    ),
    api(
        "apiregistration.k8s.io/v1beta1",
        &["APIService"],
        Some(19),
        22,
        "apiregistration.k8s.io/v1",
    ),
    api(
        "authentication.k8s.io/v1beta1",
        &["TokenReview"],
        Some(19),
        22,
        "authentication.k8s.io/v1",
    ),
    api(
        "authorization.k8s.io/v1beta1",
        &[
            "LocalSubjectAccessReview",
            "SelfSubjectAccessReview",
            "SubjectAccessReview",
            "SelfSubjectRulesReview",
        ],
        Some(19),
        22,
        "authorization.k8s.io/v1",
    ),
    api(
        "certificates.k8s.io/v1beta1",
        &["CertificateSigningRequest"],
        Some(19),
        22,
        "certificates.k8s.io/v1",
    ),
    api(
        "coordination.k8s.io/v1beta1",
        &["Lease"],
        Some(19),
        22,
        "coordination.k8s.io/v1",
    ),
    api(
        "extensions/v1beta1",
        &["Ingress"],
        Some(14),
        22,
        "networking.k8s.io/v1",
    ),
    api(
        "networking.k8s.io/v1beta1",
        &["Ingress", "IngressClass"],
        Some(19),
        22,
        "networking.k8s.io/v1",
    ),
    api(
        "rbac.authorization.k8s.io/v1beta1",
        &["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
        Some(17),
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    api(
        "scheduling.k8s.io/v1beta1",
        &["PriorityClass"],
        Some(14),
        22,
        "scheduling.k8s.io/v1",
    ),
    api(
        "storage.k8s.io/v1beta1",
        &["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"],
        Some(19),
        22,
        "storage.k8s.io/v1",
    ),
    // v1.16
    api(
        "extensions/v1beta1",
        &["NetworkPolicy"],
        Some(9),
        16,
        "networking.k8s.io/v1",
    ),
    api(
        "extensions/v1beta1",
        &["PodSecurityPolicy"],
        Some(11),
        16,
        "policy/v1beta1 (itself removed in 1.25)",
    ),
    api(
        "extensions/v1beta1",
        &["DaemonSet", "Deployment", "ReplicaSet"],
        Some(9),
        16,
        "apps/v1",
    ),
    api(
        "apps/v1beta1",
        &["Deployment", "StatefulSet", "ReplicaSet"],
        Some(9),
        16,
        "apps/v1",
    ),
    api(
        "apps/v1beta2",
        &["DaemonSet", "Deployment", "StatefulSet", "ReplicaSet"],
        Some(9),
        16,
        "apps/v1",
    ),
];

const fn api(
    api_version: &'static str,
    kinds: &'static [&'static str],
    deprecated_in: Option<u32>,
    removed_in: u32,
    replacement: &'static str,
) -> RemovedApi {
    RemovedApi {
        api_version,
        kinds,
        deprecated_in,
        removed_in,
        replacement,
    }
}

/// The removal entry for an object's `apiVersion` and `kind`.
pub fn removed_api(api_version: &str, kind: &str) -> Option<&'static RemovedApi> {
    REMOVED_APIS
        .iter()
        .find(|a| a.api_version == api_version && a.kinds.contains(&kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2026-08-20",
            "1969-12-31",
            "2100-03-01",
        ] {
            let d = Date::parse(text).unwrap();
            assert_eq!(d.to_string(), text);
            assert_eq!(Date::from_days(d.days()), d);
        }
        assert_eq!(Date::parse("1970-01-01").unwrap().days(), 0);
        assert_eq!(Date::parse("2026-02-29"), None);
        assert_eq!(Date::parse("2026-13-01"), None);
        assert_eq!(Date::parse("yesterday"), None);
        let a = Date::parse("2026-08-20").unwrap();
        assert_eq!(a.days_until(Date::parse("2026-10-19").unwrap()), 60);
    }

    #[test]
    fn the_embedded_table_is_complete() {
        let text = include_str!("../data/k8s-releases.tsv");
        let rows = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("as-of") && !l.is_empty())
            .count();
        let table = Releases::embedded();
        assert_eq!(table.minors.len(), rows, "a row failed to parse");
        assert_eq!(table.as_of.to_string(), "2026-08-20");
        assert_eq!(table.range(), Some((16, 36)));
        let r131 = table.minor(31).unwrap();
        assert_eq!(r131.end_of_life.to_string(), "2025-11-11");
        let today = Date::parse("2026-08-20").unwrap();
        assert_eq!(r131.latest_patch(today).map(|p| p.0), Some(14));
        let r136 = table.minor(36).unwrap();
        assert_eq!(r136.latest_patch(today).map(|p| p.0), Some(4));
        assert_eq!(r136.patches_after(1, today), 3);
        // A date before a patch was released does not count it.
        let earlier = Date::parse("2026-06-01").unwrap();
        assert_eq!(r136.latest_patch(earlier).map(|p| p.0), Some(1));
        for r in &table.minors {
            assert!(r.released < r.end_of_life, "1.{}", r.minor);
            assert!(!r.patches.is_empty(), "1.{}", r.minor);
        }
    }

    #[test]
    fn removed_apis() {
        let psp = removed_api("policy/v1beta1", "PodSecurityPolicy").unwrap();
        assert_eq!(psp.removed_in, 25);
        assert!(removed_api("policy/v1", "PodDisruptionBudget").is_none());
        assert_eq!(
            removed_api("extensions/v1beta1", "Ingress").map(|a| a.removed_in),
            Some(22)
        );
        for a in REMOVED_APIS {
            assert!(a.deprecated_in.is_none_or(|d| d < a.removed_in));
        }
    }
}
