use rampart_model::Component;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks the kube-apiserver's flags (from its static pod manifest or mirror pod)
    /// for auditing: `--audit-policy-file` must be set, and so must a backend,
    /// `--audit-log-path` or `--audit-webhook-config-file`.
    ///
    /// ## Why is this bad?
    /// Without a policy file the API server records no audit events at all; with a
    /// policy and no backend, the events go nowhere. Either way, nobody can tell
    /// afterwards who read which Secret, who exec'd into which pod, or who granted
    /// themselves `cluster-admin`.
    ///
    /// ## Example
    /// ```yaml
    /// command:
    ///   - kube-apiserver
    ///   - --authorization-mode=Node,RBAC
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// command:
    ///   - kube-apiserver
    ///   - --audit-policy-file=/etc/kubernetes/audit-policy.yaml
    ///   - --audit-log-path=/var/log/kubernetes/audit.log
    ///   - --audit-log-maxage=30
    /// ```
    ///
    /// ## Remediation
    /// Write an audit Policy (Metadata for most requests, never Request bodies for
    /// Secrets), pass it with `--audit-policy-file`, and send events to a log file
    /// (`--audit-log-path`, with rotation flags) or a webhook.
    ///
    /// ## References
    /// - [Kubernetes: Auditing](https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/)
    /// - [CIS Kubernetes Benchmark 1.2.16–1.2.19 (audit flags)](https://www.cisecurity.org/benchmark/kubernetes)
    pub(crate) AUDIT_LOG_DISABLED {
        code: "AUD001",
        name: "audit-log-disabled",
        practice: Audit,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(audit_log_disabled),
    }
}

/// AUD001
fn audit_log_disabled(ctx: &mut Context<'_>) {
    let inventory = ctx.inventory;
    for apiserver in inventory.facts.component(Component::KubeApiserver) {
        let Some(object) = inventory.objects.get(apiserver.object) else {
            continue;
        };
        let path = format!("{}.command", apiserver.container_path);
        let message = if apiserver.get("audit-policy-file").is_none_or(str::is_empty) {
            format!(
                "kube-apiserver in Pod `{}` has no `--audit-policy-file`, so it records no audit events",
                object.name()
            )
        } else if apiserver.get("audit-log-path").is_none_or(str::is_empty)
            && apiserver
                .get("audit-webhook-config-file")
                .is_none_or(str::is_empty)
        {
            format!(
                "kube-apiserver in Pod `{}` has an audit policy but no `--audit-log-path` or `--audit-webhook-config-file`, so its events go nowhere",
                object.name()
            )
        } else {
            continue;
        };
        ctx.report(&AUDIT_LOG_DISABLED, object, apiserver.pos, &path, message);
    }
}
