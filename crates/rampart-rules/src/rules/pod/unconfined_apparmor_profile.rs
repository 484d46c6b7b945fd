use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks the AppArmor profile of the pod and of each container, both the
    /// `securityContext.appArmorProfile.type` field (only `RuntimeDefault` and `Localhost`
    /// are allowed) and the deprecated `container.apparmor.security.beta.kubernetes.io/*`
    /// annotations (only `runtime/default`, `localhost/*` and empty are allowed), as the
    /// Pod Security Standards baseline check `appArmorProfile` does at every version.
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// AppArmor confines what a process may touch even when it runs as root in its
    /// container; `Unconfined` removes that layer, so a compromised process can reach
    /// files, mounts and kernel interfaces the runtime's default profile denies.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile:
    ///     type: Unconfined
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile:
    ///     type: RuntimeDefault
    /// ```
    ///
    /// ## Remediation
    /// Set `appArmorProfile.type: RuntimeDefault` (or `Localhost` with a profile loaded on
    /// every node) and remove `unconfined` annotations.
    ///
    /// ## References
    /// - [Pod Security Standards: Baseline](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [pod-security-admission `check_appArmorProfile.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_appArmorProfile.go)
    pub(crate) UNCONFINED_APPARMOR_PROFILE {
        code: "POD006",
        name: "unconfined-apparmor-profile",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(unconfined_apparmor_profile),
    }
}

/// POD006
fn unconfined_apparmor_profile(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(ctx, pod, &UNCONFINED_APPARMOR_PROFILE, &["appArmorProfile"]);
}
