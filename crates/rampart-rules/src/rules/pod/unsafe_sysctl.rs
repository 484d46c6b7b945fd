use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks pod-level `securityContext.sysctls` against the namespaced, safe set the Pod
    /// Security Standards baseline check `sysctls` allows at the judged version (grown in
    /// v1.27, v1.29 and v1.32).
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// Other sysctls are not isolated per pod: they change the whole node's kernel, for
    /// every pod on it, or weaken isolation (for example `kernel.*` limits or `net.*`
    /// settings outside the safe list).
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   sysctls:
    ///     - {name: kernel.msgmax, value: "65536"}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   sysctls:
    ///     - {name: net.ipv4.ip_local_port_range, value: "1024 65535"}
    /// ```
    ///
    /// ## Remediation
    /// Remove the sysctl, or set it on the nodes (for all pods) through node configuration
    /// rather than from a pod.
    ///
    /// ## References
    /// - [Pod Security Standards: Baseline](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [pod-security-admission `check_sysctls.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_sysctls.go)
    pub(crate) UNSAFE_SYSCTL {
        code: "POD010",
        name: "unsafe-sysctl",
        practice: PodSecurity,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Template(unsafe_sysctl),
    }
}

/// POD010
fn unsafe_sysctl(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(ctx, pod, &UNSAFE_SYSCTL, &["sysctls"]);
}
