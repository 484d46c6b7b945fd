use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for an explicitly unconfined seccomp profile: before v1.19 through the
    /// `seccomp.security.alpha.kubernetes.io/pod` and
    /// `container.seccomp.security.alpha.kubernetes.io/<name>` annotations (allowed:
    /// `runtime/default`, `docker/default`, `localhost/*`), from v1.19 through the
    /// `seccompProfile.type` fields (allowed: `RuntimeDefault`, `Localhost`), as the Pod
    /// Security Standards baseline check `seccompProfile_baseline` does. At the restricted
    /// level `POD018` reports this instead.
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// Seccomp filters the system calls a container may make; `Unconfined` gives the
    /// process the kernel's whole attack surface, where most container escapes start.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: Unconfined
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: RuntimeDefault
    /// ```
    ///
    /// ## Remediation
    /// Set `seccompProfile.type: RuntimeDefault` on the pod (or `Localhost` with a profile
    /// present on every node).
    ///
    /// ## References
    /// - [Pod Security Standards: Baseline](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [pod-security-admission `check_seccompProfile_baseline.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_seccompProfile_baseline.go)
    pub(crate) UNCONFINED_SECCOMP_PROFILE {
        code: "POD009",
        name: "unconfined-seccomp-profile",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(unconfined_seccomp_profile),
    }
}

/// POD009
fn unconfined_seccomp_profile(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(
        ctx,
        pod,
        &UNCONFINED_SECCOMP_PROFILE,
        &["seccompProfile_baseline"],
    );
}
