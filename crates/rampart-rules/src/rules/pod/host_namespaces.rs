use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for pods that share the host's network, PID or IPC namespace (`hostNetwork`,
    /// `hostPID`, `hostIPC: true`): the Pod Security Standards baseline check
    /// `hostNamespaces`.
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// A pod in the host's network namespace sees every connection on the node and bypasses
    /// NetworkPolicy; in its PID namespace it can signal and inspect every process, kubelet
    /// included; in its IPC namespace it reads other processes' shared memory. Namespaces
    /// stop being a boundary between this pod and everything else on the node.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostNetwork: true
    ///   hostPID: true
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec:
    ///   hostNetwork: false
    /// ```
    ///
    /// ## Remediation
    /// Remove `hostNetwork`, `hostPID` and `hostIPC` (they default to `false`). Expose
    /// ports through a Service instead of the host network; use a node agent DaemonSet in a
    /// dedicated, labelled `privileged` namespace only where the node itself is the job.
    ///
    /// ## References
    /// - [Pod Security Standards: Baseline](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [pod-security-admission `check_hostNamespaces.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_hostNamespaces.go)
    pub(crate) HOST_NAMESPACES {
        code: "POD002",
        name: "host-namespaces",
        practice: PodSecurity,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Template(host_namespaces),
    }
}

/// POD002
fn host_namespaces(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(ctx, pod, &HOST_NAMESPACES, &["hostNamespaces"]);
}
