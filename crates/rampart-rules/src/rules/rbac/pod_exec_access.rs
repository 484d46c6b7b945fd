use super::{Probe, ask, report_rights};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for bindings that let a subject outside Kubernetes itself open a shell or
    /// a tunnel into running pods: `create` (and `get`, which older API servers accept
    /// for the WebSocket upgrade) on `pods/exec` and `pods/attach`, `create` on
    /// `pods/portforward`, and `update`/`patch` on `pods/ephemeralcontainers`.
    ///
    /// ## Why is this bad?
    /// A shell in a pod is everything the pod has: its ServiceAccount token, its mounted
    /// Secrets, its network position behind every NetworkPolicy. Ephemeral containers go
    /// further: they can be added with a different image and security context.
    ///
    /// ## Example
    /// ```yaml
    /// rules: [{apiGroups: [""], resources: [pods/exec], verbs: [create]}]
    /// ```
    ///
    /// Use instead: logs and metrics for everyday debugging; a break-glass role bound
    /// for a limited time when a shell is really needed.
    ///
    /// ## Remediation
    /// Remove these subresources from standing roles; grant them through a separate,
    /// audited, time-limited binding.
    ///
    /// ## References
    /// - [Kubernetes: RBAC good practices, escalation paths](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks)
    pub(crate) POD_EXEC_ACCESS {
        code: "RBAC003",
        name: "pod-exec-access",
        practice: Rbac,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(pod_exec_access),
    }
}

/// RBAC003
fn pod_exec_access(ctx: &mut Context<'_>) {
    let probes = [
        Probe {
            label: "exec into pods",
            requests: vec![
                ask("create", "", "pods", "exec"),
                ask("get", "", "pods", "exec"),
            ],
        },
        Probe {
            label: "attach to pods",
            requests: vec![
                ask("create", "", "pods", "attach"),
                ask("get", "", "pods", "attach"),
            ],
        },
        Probe {
            label: "port-forward to pods",
            requests: vec![
                ask("create", "", "pods", "portforward"),
                ask("get", "", "pods", "portforward"),
            ],
        },
        Probe {
            label: "add ephemeral containers",
            requests: vec![
                ask("update", "", "pods", "ephemeralcontainers"),
                ask("patch", "", "pods", "ephemeralcontainers"),
            ],
        },
    ];
    report_rights(ctx, &POD_EXEC_ACCESS, &probes);
}
