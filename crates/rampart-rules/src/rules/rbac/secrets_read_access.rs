use super::{Probe, ask, report_rights};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for bindings that let a subject outside Kubernetes itself `get`, `list`
    /// **or `watch`** Secrets, in one namespace (RoleBinding) or in every namespace
    /// (ClusterRoleBinding), decided by the RBAC authorizer's own rule matching
    /// (wildcards, `*/sub` and aggregated ClusterRoles included). A rule limited by
    /// `resourceNames` is not reported: it cannot list or watch.
    ///
    /// ## Why is this bad?
    /// `list` and `watch` return every Secret's data, not just names: a `watch` on
    /// Secrets is a live feed of every credential, TLS key and ServiceAccount token of
    /// the namespace. Many tools check only `get`.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules: [{apiGroups: [""], resources: [secrets], verbs: [watch]}]
    /// ```
    ///
    /// Use instead: mount the one Secret a workload needs; grant `get` with
    /// `resourceNames` when an API reader is unavoidable.
    ///
    /// ## Remediation
    /// Remove `get`/`list`/`watch` on `secrets` from the role, or restrict it to named
    /// Secrets with `resourceNames`; bind it in the namespace that needs it, not cluster-wide.
    ///
    /// ## References
    /// - [Kubernetes: RBAC good practices, listing secrets](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets)
    /// - [`evaluation_helpers.go`](https://github.com/kubernetes/kubernetes/blob/master/pkg/apis/rbac/v1/evaluation_helpers.go)
    pub(crate) SECRETS_READ_ACCESS {
        code: "RBAC002",
        name: "secrets-read-access",
        practice: Rbac,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(secrets_read_access),
    }
}

/// RBAC002
fn secrets_read_access(ctx: &mut Context<'_>) {
    let probes = [
        Probe {
            label: "get Secrets",
            requests: vec![ask("get", "", "secrets", "")],
        },
        Probe {
            label: "list Secrets",
            requests: vec![ask("list", "", "secrets", "")],
        },
        Probe {
            label: "watch Secrets",
            requests: vec![ask("watch", "", "secrets", "")],
        },
    ];
    report_rights(ctx, &SECRETS_READ_ACCESS, &probes);
}
