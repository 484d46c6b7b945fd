use super::{Goal, report_paths};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Finds subjects that are not cluster-admin but can become it in two steps or
    /// more, and prints the shortest path, step by step, with the binding behind each:
    /// create a pod as a more powerful ServiceAccount, read its legacy token Secret,
    /// request its token, impersonate, bind a role, proxy to kubelets, approve a client
    /// certificate, or register a mutating webhook. One-step grants are reported by the
    /// other RBAC rules.
    ///
    /// ## Why is this bad?
    /// RBAC reviews look at one binding at a time; attackers chain them. "May create
    /// Deployments in `ci`" is harmless until `ci` also holds a ServiceAccount bound to
    /// `cluster-admin`.
    ///
    /// ## Example
    /// ```yaml
    /// # alice may create pods in `ci`; ServiceAccount ci/deployer is cluster-admin.
    /// ```
    ///
    /// Use instead: keep powerful ServiceAccounts in namespaces where nobody else may
    /// create pods, read Secrets or request tokens.
    ///
    /// ## Remediation
    /// Break the chain at its cheapest step: usually the first binding, or the
    /// placement of the powerful ServiceAccount.
    ///
    /// ## References
    /// - [Kubernetes: RBAC good practices, privilege escalation risks](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks)
    pub(crate) ESCALATION_TO_CLUSTER_ADMIN {
        code: "RBAC019",
        name: "escalation-to-cluster-admin",
        practice: Rbac,
        severity: Critical,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(escalation_to_cluster_admin),
    }
}

/// RBAC019
fn escalation_to_cluster_admin(ctx: &mut Context<'_>) {
    report_paths(ctx, &ESCALATION_TO_CLUSTER_ADMIN, Goal::ClusterAdmin);
}
