use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks `seLinuxOptions` on the pod and containers: the type must be empty or one of
    /// `container_t`, `container_init_t`, `container_kvm_t` (and, from v1.31,
    /// `container_engine_t`), and `user` and `role` must not be set: the Pod Security
    /// Standards baseline check `seLinuxOptions`.
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// SELinux labels decide what a container process may access on the host. A custom type
    /// such as `spc_t` (super privileged container) or `unconfined_t`, or a custom user or
    /// role, lifts that confinement.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     type: spc_t
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     level: "s0:c123,c456"
    /// ```
    ///
    /// ## Remediation
    /// Remove the custom `type`, `user` and `role`; setting only `level` (the MCS
    /// categories) is allowed.
    ///
    /// ## References
    /// - [Pod Security Standards: Baseline](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [pod-security-admission `check_seLinuxOptions.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_seLinuxOptions.go)
    pub(crate) CUSTOM_SELINUX_OPTIONS {
        code: "POD007",
        name: "custom-selinux-options",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(custom_selinux_options),
    }
}

/// POD007
fn custom_selinux_options(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(ctx, pod, &CUSTOM_SELINUX_OPTIONS, &["seLinuxOptions"]);
}
