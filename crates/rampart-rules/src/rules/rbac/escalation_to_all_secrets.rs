use super::{Goal, report_paths};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Finds subjects that cannot list Secrets cluster-wide themselves but can reach an
    /// identity that does, in two steps or more, and prints the shortest path step by
    /// step, with the binding behind each step.
    ///
    /// ## Why is this bad?
    /// Reading every Secret is reading every credential the cluster holds: database
    /// passwords, cloud keys, TLS keys, tokens of other ServiceAccounts. It is usually
    /// one step from cluster-admin.
    ///
    /// ## Example
    /// ```yaml
    /// # bob may request tokens for ServiceAccount tools/backup, which may list Secrets cluster-wide.
    /// ```
    ///
    /// Use instead: give the component that must read Secrets its own namespace, and
    /// nobody else pod, token or Secret access there.
    ///
    /// ## Remediation
    /// Break the chain at its cheapest step.
    ///
    /// ## References
    /// - [Kubernetes: RBAC good practices, listing secrets](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets)
    pub(crate) ESCALATION_TO_ALL_SECRETS {
        code: "RBAC020",
        name: "escalation-to-all-secrets",
        practice: Rbac,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(escalation_to_all_secrets),
    }
}

/// RBAC020
fn escalation_to_all_secrets(ctx: &mut Context<'_>) {
    report_paths(ctx, &ESCALATION_TO_ALL_SECRETS, Goal::AllSecrets);
}
