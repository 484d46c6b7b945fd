use rampart_analysis::rbac::Subject;

use super::{describe, is_system, rule_origin, scope};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for bindings that give a subject outside Kubernetes itself a role with a
    /// wildcard: `*` in `verbs`, `resources` or `apiGroups`. A ClusterRoleBinding to
    /// `cluster-admin` is `RBAC001`; a RoleBinding to `cluster-admin` (or any `*` on `*`
    /// role) is reported here as what it is: everything, in that one namespace.
    ///
    /// ## Why is this bad?
    /// A wildcard grants what exists today and whatever is added later: new resources,
    /// new subresources, CRDs whose objects hold credentials, and verbs such as
    /// `escalate`, `bind` and `impersonate` that `*` includes.
    ///
    /// ## Example
    /// ```yaml
    /// rules: [{apiGroups: ["*"], resources: ["*"], verbs: [get, list]}]
    /// ```
    ///
    /// Use instead: list the groups, resources and verbs the subject uses
    /// (`rampart rbac-from-audit` derives them from audit logs).
    ///
    /// ## Remediation
    /// Replace each `*` with the explicit values needed.
    ///
    /// ## References
    /// - [Kubernetes: RBAC good practices, wildcards](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege)
    pub(crate) WILDCARD_GRANT {
        code: "RBAC006",
        name: "wildcard-grant",
        practice: Rbac,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(wildcard_grant),
    }
}

/// RBAC006
fn wildcard_grant(ctx: &mut Context<'_>) {
    let rbac = ctx.rbac;
    let inventory = ctx.inventory;
    for binding in &rbac.bindings {
        if binding.namespace.is_none()
            && binding.role_ref.kind == "ClusterRole"
            && binding.role_ref.name == "cluster-admin"
        {
            continue; // RBAC001
        }
        let subjects: Vec<&Subject> = binding.subjects.iter().filter(|s| !is_system(s)).collect();
        let Some(role_index) = rbac.resolve(binding) else {
            continue;
        };
        let (Some(role), Some(object)) = (
            rbac.roles.get(role_index),
            rbac.binding_object(inventory, binding),
        ) else {
            continue;
        };
        if subjects.is_empty() {
            continue;
        }
        let Some(rule) = rbac.rules_of(role_index).iter().find(|r| {
            [&r.verbs, &r.resources, &r.api_groups]
                .iter()
                .any(|v| v.iter().any(|x| x == "*"))
        }) else {
            continue;
        };
        let mut wild = Vec::new();
        for (field, values) in [
            ("verbs", &rule.verbs),
            ("resources", &rule.resources),
            ("apiGroups", &rule.api_groups),
        ] {
            if values.iter().any(|x| x == "*") {
                wild.push(field);
            }
        }
        let message = format!(
            "{} `{}` grants {} a wildcard in {} {} through {} `{}`",
            binding.kind(),
            binding.name,
            describe(&subjects),
            wild.join(", "),
            scope(binding),
            role.kind(),
            role.name
        );
        let (file, _) = rule_origin(rbac, inventory, rule);
        ctx.report(
            &WILDCARD_GRANT,
            object,
            binding.role_ref.pos,
            "roleRef",
            message,
        )
        .related(
            file,
            rule.pos,
            format!("rule {} has the wildcard", rule.index),
        );
    }
}
