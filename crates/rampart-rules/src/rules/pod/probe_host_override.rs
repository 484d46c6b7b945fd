use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks probes (`livenessProbe`, `readinessProbe`, `startupProbe`) and lifecycle
    /// handlers (`postStart`, `preStop`) whose `httpGet.host` or `tcpSocket.host` is set:
    /// the Pod Security Standards baseline check `hostProbesAndHostLifecycle` (from v1.34).
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// The kubelet makes probe and lifecycle requests from the node, with the node's
    /// network identity. A custom host turns them into requests to any address the node can
    /// reach, including localhost services of the node and cloud metadata endpoints.
    ///
    /// ## Example
    /// ```yaml
    /// livenessProbe:
    ///   httpGet: {host: 169.254.169.254, path: /, port: 80}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// livenessProbe:
    ///   httpGet: {path: /healthz, port: 8080}
    /// ```
    ///
    /// ## Remediation
    /// Remove `host` so the kubelet probes the pod's own IP.
    ///
    /// ## References
    /// - [Pod Security Standards: Baseline](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [pod-security-admission `check_hostProbesAndhostLifecycle.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_hostProbesAndhostLifecycle.go)
    pub(crate) PROBE_HOST_OVERRIDE {
        code: "POD012",
        name: "probe-host-override",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(probe_host_override),
    }
}

/// POD012
fn probe_host_override(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(
        ctx,
        pod,
        &PROBE_HOST_OVERRIDE,
        &["hostProbesAndHostLifecycle"],
    );
}
