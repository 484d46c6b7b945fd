use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for `runAsUser: 0` on the pod or a container: the Pod Security Standards
    /// restricted check `runAsUser` (from v1.23; from v1.35 relaxed for pods with
    /// `hostUsers: false`).
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// UID 0 in the container is UID 0 on the node unless user namespaces are in use: a
    /// breakout lands as root.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 0
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 10001
    ///   runAsNonRoot: true
    /// ```
    ///
    /// ## Remediation
    /// Set a non-zero `runAsUser` (or remove it and rely on the image's non-root user with
    /// `runAsNonRoot: true`).
    ///
    /// ## References
    /// - [Pod Security Standards: Restricted](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    /// - [pod-security-admission `check_runAsUser.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_runAsUser.go)
    pub(crate) RUN_AS_ROOT_USER {
        code: "POD017",
        name: "run-as-root-user",
        practice: PodSecurity,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Template(run_as_root_user),
    }
}

/// POD017
fn run_as_root_user(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(ctx, pod, &RUN_AS_ROOT_USER, &["runAsUser"]);
}
