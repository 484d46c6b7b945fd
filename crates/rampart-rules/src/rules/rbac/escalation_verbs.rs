use super::{Probe, ask, report_rights};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for bindings that let a subject outside Kubernetes itself use the verbs
    /// that bypass RBAC's own escalation checks: `bind` and `escalate` on Roles and
    /// ClusterRoles, and `impersonate` on users, groups, ServiceAccounts, UIDs or user extras.
    ///
    /// ## Why is this bad?
    /// RBAC refuses to let you grant rights you do not hold, unless you may `escalate`
    /// (edit a role beyond your rights) or `bind` (bind a role you do not hold). With
    /// `impersonate`, you simply act as someone else, `system:masters` included. Each is
    /// a one-step path to cluster-admin.
    ///
    /// ## Example
    /// ```yaml
    /// rules: [{apiGroups: [""], resources: [users, groups], verbs: [impersonate]}]
    /// ```
    ///
    /// Use instead: grant the specific roles the subject needs; keep impersonation for
    /// an audited break-glass identity.
    ///
    /// ## Remediation
    /// Remove `bind`, `escalate` and `impersonate` from the role, or restrict them with
    /// `resourceNames` to the exact roles or identities meant.
    ///
    /// ## References
    /// - [Kubernetes: RBAC, privilege escalation prevention](https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping)
    /// - [Kubernetes: User impersonation](https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation)
    pub(crate) ESCALATION_VERBS {
        code: "RBAC004",
        name: "escalation-verbs",
        practice: Rbac,
        severity: Critical,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(escalation_verbs),
    }
}

/// RBAC004
fn escalation_verbs(ctx: &mut Context<'_>) {
    let rbac = "rbac.authorization.k8s.io";
    let probes = [
        Probe {
            label: "bind any role",
            requests: vec![
                ask("bind", rbac, "clusterroles", ""),
                ask("bind", rbac, "roles", ""),
            ],
        },
        Probe {
            label: "escalate roles",
            requests: vec![
                ask("escalate", rbac, "clusterroles", ""),
                ask("escalate", rbac, "roles", ""),
            ],
        },
        Probe {
            label: "impersonate",
            requests: vec![
                ask("impersonate", "", "users", ""),
                ask("impersonate", "", "groups", ""),
                ask("impersonate", "", "serviceaccounts", ""),
                ask("impersonate", "authentication.k8s.io", "uids", ""),
                ask(
                    "impersonate",
                    "authentication.k8s.io",
                    "userextras",
                    "scopes",
                ),
            ],
        },
    ];
    report_rights(ctx, &ESCALATION_VERBS, &probes);
}
