use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

/// Roles the API server creates itself (its bootstrap policy).
pub(crate) fn is_builtin_role(name: &str) -> bool {
    matches!(name, "cluster-admin" | "admin" | "edit" | "view") || name.starts_with("system:")
}

declare_rule! {
    /// ## What it does
    /// Checks for bindings whose role does not exist in the input and is not one the
    /// API server creates itself (`cluster-admin`, `admin`, `edit`, `view`, `system:*`),
    /// and for ClusterRoleBindings that point at a namespaced `Role`, which the
    /// authorizer never resolves.
    ///
    /// ## Why is this bad?
    /// Such a binding grants nothing today, silently: whatever the subject needed does
    /// not work, or works through some other, broader grant. Worse, it is a loaded
    /// grant: whoever later creates a role with that name decides what these subjects may do.
    ///
    /// ## Example
    /// ```yaml
    /// kind: RoleBinding
    /// roleRef: {kind: Role, name: deployer}   # no Role `deployer` in this namespace
    /// ```
    ///
    /// Use instead: create the role alongside the binding, or delete the binding.
    ///
    /// ## Remediation
    /// Define the role in the binding's namespace (or as a ClusterRole), or remove the
    /// binding. A ClusterRoleBinding can only grant a ClusterRole.
    ///
    /// ## References
    /// - [Kubernetes: RBAC, RoleBinding and ClusterRoleBinding](https://kubernetes.io/docs/reference/access-authn-authz/rbac/#rolebinding-and-clusterrolebinding)
    pub(crate) BINDING_TO_MISSING_ROLE {
        code: "RBAC007",
        name: "binding-to-missing-role",
        practice: Rbac,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(binding_to_missing_role),
    }
}

/// RBAC007
fn binding_to_missing_role(ctx: &mut Context<'_>) {
    let rbac = ctx.rbac;
    let inventory = ctx.inventory;
    for binding in &rbac.bindings {
        let Some(object) = rbac.binding_object(inventory, binding) else {
            continue;
        };
        let role_ref = &binding.role_ref;
        let message = if binding.namespace.is_none() && role_ref.kind == "Role" {
            format!(
                "ClusterRoleBinding `{}` refers to Role `{}`; a ClusterRoleBinding can only grant a ClusterRole, so it grants nothing",
                binding.name, role_ref.name
            )
        } else if rbac.resolve(binding).is_none()
            && !(role_ref.kind == "ClusterRole" && is_builtin_role(&role_ref.name))
        {
            let scope = binding
                .namespace
                .as_deref()
                .map(|n| format!(" in namespace `{n}`"))
                .unwrap_or_default();
            format!(
                "{} `{}` refers to {} `{}`, which does not exist{scope}: it grants nothing until someone creates it",
                binding.kind(),
                binding.name,
                role_ref.kind,
                role_ref.name
            )
        } else {
            continue;
        };
        ctx.report(
            &BINDING_TO_MISSING_ROLE,
            object,
            role_ref.pos,
            "roleRef",
            message,
        );
    }
}
