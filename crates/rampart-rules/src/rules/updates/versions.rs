//! The cluster's Kubernetes version against the embedded release data: end of life,
//! maintenance mode, patch level and kubelet skew.

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::releases::Releases;
use crate::rule::{Check, RuleMeta, Severity};

use super::cluster::{VersionSite, apiserver_version, kubelet_sites, version_sites};

declare_rule! {
    /// ## What it does
    /// Checks the cluster's Kubernetes version (from `--k8s-version`, the kube-apiserver
    /// image tag, or the Nodes' kubelet version) against the release data Rampart embeds,
    /// and reports a minor release past its end of life.
    ///
    /// ## Why is this bad?
    /// After end of life a minor release gets no patches: vulnerabilities found in the
    /// API server, the kubelet or their dependencies stay open for good. Upgrades past
    /// several minors at once are also harder, since the control plane can only move one
    /// minor at a time.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.27.16
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.36.4
    /// ```
    ///
    /// ## Remediation
    /// Upgrade the control plane one minor release at a time, then the nodes, to a
    /// supported minor. Rampart's release data is dated (each finding's help says to
    /// which day); pass `--now YYYY-MM-DD` to judge as of another day.
    ///
    /// ## References
    /// - [Kubernetes: Releases and support periods](https://kubernetes.io/releases/)
    /// - [Kubernetes: Patch releases](https://kubernetes.io/releases/patch-releases/)
    /// - [endoflife.date: Kubernetes](https://endoflife.date/kubernetes)
    pub(crate) UNSUPPORTED_KUBERNETES_VERSION {
        code: "UPD002",
        name: "unsupported-kubernetes-version",
        practice: Updates,
        severity: High,
        status: Preview { since: "NEXT" },
        check: Check::Inventory(unsupported_kubernetes_version),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks the cluster's Kubernetes version for a minor release in maintenance mode
    /// (past its end of standard support) or within 60 days of its end of life. Findings
    /// within 60 days of end of life are medium, the others low.
    ///
    /// ## Why is this bad?
    /// In maintenance mode a release only gets fixes for critical vulnerabilities, and
    /// soon none at all. A control-plane upgrade takes planning (API removals, add-on
    /// compatibility, node pools), so starting it after end of life leaves the cluster
    /// unpatched in the meantime.
    ///
    /// ## Example
    /// ```yaml
    /// # judged on 2026-09-01: 1.34 is in maintenance mode, end of life 2026-10-27
    /// image: registry.k8s.io/kube-apiserver:v1.34.11
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// image: registry.k8s.io/kube-apiserver:v1.36.4
    /// ```
    ///
    /// ## Remediation
    /// Plan the upgrade to the next minor now: check the Deprecated API Migration Guide
    /// for APIs your manifests use, upgrade the control plane, then the nodes.
    ///
    /// ## References
    /// - [Kubernetes: Patch releases, support period](https://kubernetes.io/releases/patch-releases/#support-period)
    /// - [Kubernetes: Upgrading kubeadm clusters](https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade/)
    pub(crate) KUBERNETES_VERSION_NEAR_END_OF_LIFE {
        code: "UPD003",
        name: "kubernetes-version-near-end-of-life",
        practice: Updates,
        severity: Low,
        status: Preview { since: "NEXT" },
        check: Check::Inventory(kubernetes_version_near_end_of_life),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks that the cluster runs the newest patch release of its minor version, as
    /// of the day judged and the embedded release data, and reports how many patch
    /// releases it is behind.
    ///
    /// ## Why is this bad?
    /// Security fixes reach supported minors only as patch releases. A cluster several
    /// patches behind carries fixed vulnerabilities; Rampart cannot tell which patches
    /// were security-relevant, so it reports every gap as "behind the latest patch".
    ///
    /// ## Example
    /// ```yaml
    /// image: registry.k8s.io/kube-apiserver:v1.36.1
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// image: registry.k8s.io/kube-apiserver:v1.36.4
    /// ```
    ///
    /// ## Remediation
    /// Upgrade to the newest patch of the minor release (patch upgrades within a minor
    /// need no API migration), and follow the Kubernetes security announcements.
    ///
    /// ## References
    /// - [Kubernetes: Patch releases](https://kubernetes.io/releases/patch-releases/)
    /// - [Kubernetes security announcements](https://groups.google.com/g/kubernetes-security-announce)
    pub(crate) OUTDATED_PATCH_RELEASE {
        code: "UPD004",
        name: "outdated-patch-release",
        practice: Updates,
        severity: Medium,
        status: Preview { since: "NEXT" },
        check: Check::Inventory(outdated_patch_release),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks the kubelet version each Node reports (`status.nodeInfo.kubeletVersion`)
    /// against the kube-apiserver's version (`--k8s-version` or the kube-apiserver image)
    /// under the version skew policy: a kubelet must not be newer than kube-apiserver,
    /// and at most three minor versions older (two before Kubernetes 1.28).
    ///
    /// ## Why is this bad?
    /// Outside the skew policy nothing is tested or supported: a newer kubelet may call
    /// APIs the server does not serve, an older one may miss security-relevant behaviour
    /// the control plane relies on. It also blocks the next control-plane upgrade,
    /// which would push the old kubelets further out of range.
    ///
    /// ## Example
    /// ```yaml
    /// # kube-apiserver v1.30.2
    /// kind: Node
    /// status:
    ///   nodeInfo:
    ///     kubeletVersion: v1.26.3
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// kind: Node
    /// status:
    ///   nodeInfo:
    ///     kubeletVersion: v1.30.2
    /// ```
    ///
    /// ## Remediation
    /// Upgrade (or replace) the old nodes before the next control-plane upgrade; never
    /// upgrade kubelets ahead of the API servers.
    ///
    /// ## References
    /// - [Kubernetes: Version skew policy](https://kubernetes.io/releases/version-skew-policy/)
    pub(crate) KUBELET_VERSION_SKEW {
        code: "UPD005",
        name: "kubelet-version-skew",
        practice: Updates,
        severity: Medium,
        status: Preview { since: "NEXT" },
        check: Check::Inventory(kubelet_version_skew),
    }
}

/// Reports a finding at a version site (an object's field, or the cluster for
/// `--k8s-version`).
fn report_site<'c>(
    ctx: &'c mut Context<'_>,
    rule: &'static RuleMeta,
    site: &VersionSite<'_>,
    message: String,
) -> &'c mut Finding {
    match site.object {
        Some(object) => ctx.report(rule, object, site.pos, &site.path, message),
        None => ctx.report_cluster(rule, &site.version.to_string(), message),
    }
}

/// UPD002
fn unsupported_kubernetes_version(ctx: &mut Context<'_>) {
    let table = Releases::embedded();
    let today = ctx.settings.today();
    let Some((oldest, _)) = table.range() else {
        return;
    };
    for site in version_sites(ctx.inventory) {
        let v = site.version;
        if v.major != 1 {
            continue;
        }
        let message = match table.minor(v.minor) {
            Some(r) if r.end_of_life < today => format!(
                "Kubernetes {v} reached end of life on {} ({} days before {today}) and gets no more patches",
                r.end_of_life,
                r.end_of_life.days_until(today)
            ),
            None if v.minor < oldest => format!(
                "Kubernetes {v} reached end of life before v1.{oldest}, the oldest release Rampart knows, and gets no more patches"
            ),
            _ => continue,
        };
        let newest = table
            .newest_released(today)
            .map_or_else(String::new, |r| format!(" (the newest is v1.{})", r.minor));
        report_site(ctx, &UNSUPPORTED_KUBERNETES_VERSION, &site, message).help(format!(
            "upgrade one minor release at a time to a supported release{newest}; release data current to {}",
            table.as_of
        ));
    }
}

/// UPD003
fn kubernetes_version_near_end_of_life(ctx: &mut Context<'_>) {
    let table = Releases::embedded();
    let today = ctx.settings.today();
    for site in version_sites(ctx.inventory) {
        let v = site.version;
        let Some(release) = table.minor(v.minor).filter(|_| v.major == 1) else {
            continue;
        };
        let eol = release.end_of_life;
        let left = today.days_until(eol);
        if left < 0 || release.released > today {
            continue;
        }
        let maintenance = release.maintenance.filter(|m| *m <= today);
        let message = match maintenance {
            Some(m) => format!(
                "Kubernetes {v} is in maintenance mode since {m} and reaches end of life on {eol} (in {left} days)"
            ),
            None if left <= 60 => {
                format!("Kubernetes {v} reaches end of life on {eol} (in {left} days)")
            }
            None => continue,
        };
        let severity = if left <= 60 {
            Severity::Medium
        } else {
            Severity::Low
        };
        let finding = report_site(ctx, &KUBERNETES_VERSION_NEAR_END_OF_LIFE, &site, message);
        finding.severity = severity;
        finding.help(format!(
            "plan the upgrade to v1.{} before {eol}",
            release.minor + 1
        ));
    }
}

/// UPD004
fn outdated_patch_release(ctx: &mut Context<'_>) {
    let table = Releases::embedded();
    let today = ctx.settings.today();
    for site in version_sites(ctx.inventory) {
        let v = site.version;
        let Some(patch) = v.patch.filter(|_| v.major == 1) else {
            continue;
        };
        let Some(release) = table.minor(v.minor) else {
            continue;
        };
        if release.end_of_life < today {
            continue; // UPD002 says it: no patch can help.
        }
        let Some((latest, date)) = release.latest_patch(today).filter(|(p, _)| *p > patch) else {
            continue;
        };
        let behind = release.patches_after(patch, today);
        let plural = if behind == 1 { "" } else { "s" };
        report_site(
            ctx,
            &OUTDATED_PATCH_RELEASE,
            &site,
            format!(
                "Kubernetes {v} is {behind} patch release{plural} behind v1.{}.{latest}, the latest patch of 1.{} (released {date})",
                v.minor, v.minor
            ),
        )
        .help(format!(
            "upgrade to v1.{}.{latest} or newer (release data current to {})",
            v.minor, table.as_of
        ));
    }
}

/// UPD005
fn kubelet_version_skew(ctx: &mut Context<'_>) {
    let Some(api) = apiserver_version(ctx.inventory).filter(|v| v.major == 1) else {
        return;
    };
    let allowed = if api.minor >= 28 { 3 } else { 2 };
    for site in kubelet_sites(ctx.inventory) {
        let (kubelet, Some(node)) = (site.version, site.object) else {
            continue;
        };
        if kubelet.major != 1 {
            continue;
        }
        let message = if kubelet.minor > api.minor {
            format!(
                "kubelet {kubelet} of Node `{}` is newer than kube-apiserver {api}; kubelets must not be newer than the API server",
                node.name()
            )
        } else if api.minor - kubelet.minor > allowed {
            format!(
                "kubelet {kubelet} of Node `{}` is {} minor versions older than kube-apiserver {api}; at most {allowed} are supported",
                node.name(),
                api.minor - kubelet.minor
            )
        } else {
            continue;
        };
        report_site(ctx, &KUBELET_VERSION_SKEW, &site, message).help(format!(
            "run a kubelet between v1.{} and v1.{} on this node",
            api.minor.saturating_sub(allowed),
            api.minor
        ));
    }
}
