use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for containers that bind a port on the node (`ports[].hostPort` other than
    /// 0): the Pod Security Standards baseline check `hostPorts`.
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// A hostPort opens the port on the node's own addresses, outside any Service or
    /// NetworkPolicy that would otherwise restrict who reaches the pod, and ties the pod to
    /// nodes where the port is free.
    ///
    /// ## Example
    /// ```yaml
    /// ports:
    ///   - containerPort: 8080
    ///     hostPort: 8080
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// ports:
    ///   - containerPort: 8080  # exposed through a Service
    /// ```
    ///
    /// ## Remediation
    /// Remove `hostPort` and expose the port with a Service (ClusterIP, or
    /// LoadBalancer/NodePort where it must be public).
    ///
    /// ## References
    /// - [Pod Security Standards: Baseline](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [pod-security-admission `check_hostPorts.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_hostPorts.go)
    pub(crate) HOST_PORT {
        code: "POD004",
        name: "host-port",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(host_port),
    }
}

/// POD004
fn host_port(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(ctx, pod, &HOST_PORT, &["hostPorts"]);
}
