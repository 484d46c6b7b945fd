use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks that every container (init and ephemeral included) sets
    /// `securityContext.allowPrivilegeEscalation: false`: the Pod Security Standards
    /// restricted check `allowPrivilegeEscalation` (from v1.8; Windows pods exempt from
    /// v1.25).
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// Without it, the kernel's `no_new_privs` flag is off: a setuid binary or file
    /// capabilities in the image let a compromised process gain privileges its container
    /// was not started with.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    ///     securityContext:
    ///       allowPrivilegeEscalation: false
    /// ```
    ///
    /// ## Remediation
    /// Set `allowPrivilegeEscalation: false` in every container's `securityContext`.
    ///
    /// ## References
    /// - [Pod Security Standards: Restricted](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    /// - [pod-security-admission `check_allowPrivilegeEscalation.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_allowPrivilegeEscalation.go)
    pub(crate) PRIVILEGE_ESCALATION_ALLOWED {
        code: "POD013",
        name: "privilege-escalation-allowed",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(privilege_escalation_allowed),
    }
}

/// POD013
fn privilege_escalation_allowed(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(
        ctx,
        pod,
        &PRIVILEGE_ESCALATION_ALLOWED,
        &["allowPrivilegeEscalation"],
    );
}
