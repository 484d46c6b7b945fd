use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for containers that add Linux capabilities beyond the container runtime's
    /// default set (`AUDIT_WRITE`, `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`,
    /// `MKNOD`, `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID`,
    /// `SYS_CHROOT`): the Pod Security Standards baseline check `capabilities_baseline`
    /// (from v1.22 at the restricted level, `POD014` reports adds instead). Names must
    /// match exactly: `CAP_CHOWN` or `chown` are not in the list.
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// Capabilities such as `SYS_ADMIN`, `NET_ADMIN`, `SYS_PTRACE` or `SYS_MODULE` are most
    /// of what `privileged: true` grants: mounting filesystems, rewriting the node's
    /// network, reading other processes' memory, loading kernel modules. Each is a known
    /// container escape.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: [SYS_ADMIN, NET_ADMIN]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: [ALL]
    ///     add: [NET_BIND_SERVICE]
    /// ```
    ///
    /// ## Remediation
    /// Drop `ALL` capabilities and add back only `NET_BIND_SERVICE` if the process binds a
    /// port below 1024; redesign what needs more (for example, let the CNI plugin, not the
    /// app, change the network).
    ///
    /// ## References
    /// - [Pod Security Standards: Baseline](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [pod-security-admission `check_capabilities_baseline.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_capabilities_baseline.go)
    pub(crate) NON_DEFAULT_CAPABILITIES {
        code: "POD005",
        name: "non-default-capabilities",
        practice: PodSecurity,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Template(non_default_capabilities),
    }
}

/// POD005
fn non_default_capabilities(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(
        ctx,
        pod,
        &NON_DEFAULT_CAPABILITIES,
        &["capabilities_baseline"],
    );
}
