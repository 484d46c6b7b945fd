use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks that a seccomp profile (`RuntimeDefault` or `Localhost`) is set on the pod or
    /// on every container, and that none is `Unconfined`: the Pod Security Standards
    /// restricted check `seccompProfile_restricted` (from v1.19, replacing the baseline
    /// check; Windows pods exempt from v1.25).
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// Kubernetes runs containers unconfined by seccomp unless told otherwise (or unless
    /// the kubelet's `SeccompDefault` is on). The runtime's default profile blocks the
    /// system calls behind many kernel exploits at almost no cost.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - {name: app, image: example/app:1.0}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     seccompProfile:
    ///       type: RuntimeDefault
    /// ```
    ///
    /// ## Remediation
    /// Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod.
    ///
    /// ## References
    /// - [Pod Security Standards: Restricted](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    /// - [pod-security-admission `check_seccompProfile_restricted.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_seccompProfile_restricted.go)
    pub(crate) SECCOMP_PROFILE_UNSET {
        code: "POD018",
        name: "seccomp-profile-unset",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(seccomp_profile_unset),
    }
}

/// POD018
fn seccomp_profile_unset(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(
        ctx,
        pod,
        &SECCOMP_PROFILE_UNSET,
        &["seccompProfile_restricted"],
    );
}
