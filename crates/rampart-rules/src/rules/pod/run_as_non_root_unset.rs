use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks that the pod sets `securityContext.runAsNonRoot: true` (or every container
    /// does), and that no container sets it to `false`: the Pod Security Standards
    /// restricted check `runAsNonRoot` (from v1.35 relaxed for pods with `hostUsers:
    /// false`).
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// Without `runAsNonRoot: true` the kubelet starts the container as whatever user the
    /// image names, often root; root in a container is one kernel bug, one writable host
    /// mount or one capability away from root on the node.
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
    ///     runAsNonRoot: true
    ///     runAsUser: 10001
    /// ```
    ///
    /// ## Remediation
    /// Set `runAsNonRoot: true` (and a non-zero `runAsUser`) in the pod's
    /// `securityContext`, and build images that run as a non-root user.
    ///
    /// ## References
    /// - [Pod Security Standards: Restricted](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    /// - [pod-security-admission `check_runAsNonRoot.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_runAsNonRoot.go)
    pub(crate) RUN_AS_NON_ROOT_UNSET {
        code: "POD016",
        name: "run-as-non-root-unset",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(run_as_non_root_unset),
    }
}

/// POD016
fn run_as_non_root_unset(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(ctx, pod, &RUN_AS_NON_ROOT_UNSET, &["runAsNonRoot"]);
}
