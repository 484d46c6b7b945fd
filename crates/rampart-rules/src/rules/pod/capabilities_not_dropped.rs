use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks that every container drops `ALL` capabilities and adds back nothing but
    /// `NET_BIND_SERVICE`: the Pod Security Standards restricted check
    /// `capabilities_restricted` (from v1.22; Windows pods exempt from v1.25). Dropping
    /// each capability by name does not count.
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// The runtime's default capabilities (`NET_RAW`, `CHOWN`, `DAC_OVERRIDE`, `SETUID`...)
    /// are more than most processes need: `NET_RAW` alone allows spoofing and sniffing on
    /// the pod network.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: [NET_RAW]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: [ALL]
    /// ```
    ///
    /// ## Remediation
    /// Add `capabilities: {drop: [ALL]}` to every container's `securityContext`, and `add:
    /// [NET_BIND_SERVICE]` only where a port below 1024 is bound.
    ///
    /// ## References
    /// - [Pod Security Standards: Restricted](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    /// - [pod-security-admission `check_capabilities_restricted.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_capabilities_restricted.go)
    pub(crate) CAPABILITIES_NOT_DROPPED {
        code: "POD014",
        name: "capabilities-not-dropped",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(capabilities_not_dropped),
    }
}

/// POD014
fn capabilities_not_dropped(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(
        ctx,
        pod,
        &CAPABILITIES_NOT_DROPPED,
        &["capabilities_restricted"],
    );
}
