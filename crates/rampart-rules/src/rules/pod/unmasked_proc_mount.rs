use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for containers whose `securityContext.procMount` is anything but `Default`:
    /// the Pod Security Standards checks `procMount` (baseline; from v1.35 relaxed for pods
    /// with `hostUsers: false`) and `procMount_restricted` (restricted, from v1.35, which
    /// keeps the check for user-namespaced pods too).
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// `Unmasked` exposes the parts of `/proc` the runtime hides (`/proc/kcore`,
    /// `/proc/sysrq-trigger`, kernel keyrings...), which read host memory or crash the
    /// node.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   procMount: Unmasked
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext: {}  # procMount defaults to Default
    /// ```
    ///
    /// ## Remediation
    /// Remove `procMount` (or set it to `Default`).
    ///
    /// ## References
    /// - [Pod Security Standards: Baseline](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [pod-security-admission `check_procMount_baseline.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_procMount_baseline.go)
    /// - [pod-security-admission `check_procMount_restricted.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_procMount_restricted.go)
    pub(crate) UNMASKED_PROC_MOUNT {
        code: "POD008",
        name: "unmasked-proc-mount",
        practice: PodSecurity,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Template(unmasked_proc_mount),
    }
}

/// POD008
fn unmasked_proc_mount(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(
        ctx,
        pod,
        &UNMASKED_PROC_MOUNT,
        &["procMount", "procMount_restricted"],
    );
}
