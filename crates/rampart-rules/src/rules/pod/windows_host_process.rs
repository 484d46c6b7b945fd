use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for Windows HostProcess pods and containers
    /// (`securityContext.windowsOptions.hostProcess: true`): the Pod Security Standards
    /// baseline check `windowsHostProcess`.
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// A HostProcess container runs directly on the Windows node as a host process, with
    /// the node's filesystem and network: it is not a container in any isolating sense.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   windowsOptions:
    ///     hostProcess: true
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   windowsOptions:
    ///     runAsUserName: ContainerUser
    /// ```
    ///
    /// ## Remediation
    /// Remove `hostProcess: true`; run node-management tools in a dedicated namespace
    /// labelled for the `privileged` level.
    ///
    /// ## References
    /// - [Pod Security Standards: Baseline](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [pod-security-admission `check_windowsHostProcess.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_windowsHostProcess.go)
    pub(crate) WINDOWS_HOST_PROCESS {
        code: "POD011",
        name: "windows-host-process",
        practice: PodSecurity,
        severity: Critical,
        status: Stable { since: "0.1.0" },
        check: Check::Template(windows_host_process),
    }
}

/// POD011
fn windows_host_process(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(ctx, pod, &WINDOWS_HOST_PROCESS, &["windowsHostProcess"]);
}
