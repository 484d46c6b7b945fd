use rampart_analysis::rbac::Request;

use super::ask;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks ClusterRoles that carry a label aggregating them into the built-in
    /// user-facing roles (`rbac.authorization.k8s.io/aggregate-to-admin`, `-edit`,
    /// `-view`) while granting rights those roles are not meant to have: reading
    /// Secrets (into `view`), `bind`, `escalate` or `impersonate`, `nodes/proxy`,
    /// ServiceAccount tokens, webhook configurations, or a wildcard.
    ///
    /// ## Why is this bad?
    /// The label silently extends every existing binding of `admin`, `edit` or `view`
    /// in every namespace: a CRD's installer adding one line gives every viewer in the
    /// cluster what the role holds.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// metadata:
    ///   labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
    /// rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
    /// ```
    ///
    /// Use instead: aggregate only the read rights on the component's own resources;
    /// bind anything more separately.
    ///
    /// ## Remediation
    /// Remove the dangerous rules from the aggregated ClusterRole, or remove the label.
    ///
    /// ## References
    /// - [Kubernetes: Aggregated ClusterRoles](https://kubernetes.io/docs/reference/access-authn-authz/rbac/#aggregated-clusterroles)
    pub(crate) DANGEROUS_AGGREGATION_LABEL {
        code: "RBAC018",
        name: "dangerous-aggregation-label",
        practice: Rbac,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(dangerous_aggregation_label),
    }
}

/// RBAC018
fn dangerous_aggregation_label(ctx: &mut Context<'_>) {
    let rbac = ctx.rbac;
    let inventory = ctx.inventory;
    let rbac_group = "rbac.authorization.k8s.io";
    let dangers: Vec<(&str, Vec<Request>)> = vec![
        (
            "read Secrets",
            vec![
                ask("get", "", "secrets", ""),
                ask("list", "", "secrets", ""),
                ask("watch", "", "secrets", ""),
            ],
        ),
        (
            "bind or escalate roles",
            vec![
                ask("bind", rbac_group, "clusterroles", ""),
                ask("escalate", rbac_group, "clusterroles", ""),
            ],
        ),
        (
            "impersonate",
            vec![
                ask("impersonate", "", "users", ""),
                ask("impersonate", "", "groups", ""),
                ask("impersonate", "", "serviceaccounts", ""),
            ],
        ),
        (
            "proxy to kubelets",
            vec![
                ask("get", "", "nodes", "proxy"),
                ask("create", "", "nodes", "proxy"),
            ],
        ),
        (
            "mint ServiceAccount tokens",
            vec![ask("create", "", "serviceaccounts", "token")],
        ),
        (
            "change admission webhooks",
            vec![ask(
                "create",
                "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations",
                "",
            )],
        ),
    ];
    for role in rbac
        .roles
        .iter()
        .filter(|r| r.namespace.is_none() && !r.builtin)
    {
        let targets: Vec<&str> = ["admin", "edit", "view"]
            .into_iter()
            .filter(|t| {
                role.labels
                    .get(&format!("rbac.authorization.k8s.io/aggregate-to-{t}"))
                    .is_some_and(|v| v == "true")
            })
            .collect();
        if targets.is_empty() {
            continue;
        }
        let Some(object) = rbac.role_object(inventory, role) else {
            continue;
        };
        for rule in &role.rules {
            let wildcard = [&rule.verbs, &rule.resources, &rule.api_groups]
                .iter()
                .any(|v| v.iter().any(|x| x == "*"));
            let mut found: Vec<&str> = dangers
                .iter()
                .filter(|(label, requests)| {
                    // Editors and admins may read Secrets by design; viewers may not.
                    (*label != "read Secrets" || targets.contains(&"view"))
                        && requests.iter().any(|q| rule.allows(q))
                })
                .map(|(label, _)| *label)
                .collect();
            if wildcard {
                found.insert(0, "use a wildcard");
            }
            if found.is_empty() {
                continue;
            }
            let message = format!(
                "ClusterRole `{}` aggregates into `{}` and lets every holder of it {}",
                role.name,
                targets.join("`, `"),
                found.join(", ")
            );
            ctx.report(
                &DANGEROUS_AGGREGATION_LABEL,
                object,
                rule.pos,
                &format!("rules[{}]", rule.index),
                message,
            );
        }
    }
}
