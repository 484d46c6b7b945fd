use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for containers (init and ephemeral containers included) that set
    /// `securityContext.privileged: true`: the Pod Security Standards baseline check
    /// `privileged`, judged at the namespace's enforced level (or `--pss-level`).
    ///
    /// ## Why is this bad?
    /// A privileged container holds every Linux capability and sees the host's devices;
    /// escaping it gives the attacker the node, and with it every pod and secret
    /// scheduled there. The Pod Security Standards forbid it from the baseline level up
    /// (check `privileged`), for Linux and Windows pods alike.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     securityContext:
    ///       privileged: true
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     securityContext:
    ///       privileged: false
    ///       allowPrivilegeEscalation: false
    /// ```
    ///
    /// ## Remediation
    /// Remove `privileged: true` (or set it to `false`) and grant only the capabilities
    /// the workload needs with `capabilities.add`.
    ///
    /// ## References
    /// - [Pod Security Standards: Baseline, Privileged Containers](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [pod-security-admission `check_privileged.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_privileged.go)
    pub(crate) PRIVILEGED_CONTAINER {
        code: "POD001",
        name: "privileged-container",
        practice: PodSecurity,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Template(privileged_container),
    }
}

/// POD001
fn privileged_container(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(ctx, pod, &PRIVILEGED_CONTAINER, &["privileged"]);
}
