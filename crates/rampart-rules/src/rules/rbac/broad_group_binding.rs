use crate::context::Context;
use crate::declare_rule;
use crate::rule::{Check, Severity};

/// Bootstrap bindings that give every authenticated user discovery and self-review.
const EXPECTED: &[&str] = &[
    "system:basic-user",
    "system:discovery",
    "system:public-info-viewer",
    "system:service-account-issuer-discovery",
];

declare_rule! {
    /// ## What it does
    /// Checks for bindings that grant a role to everyone of a kind: the groups
    /// `system:authenticated` (every user and ServiceAccount), `system:unauthenticated`
    /// (anonymous requests, `critical`), `system:serviceaccounts` and
    /// `system:serviceaccounts:NS`. The API server's own bootstrap bindings of the
    /// discovery roles (`system:basic-user`, `system:discovery`,
    /// `system:public-info-viewer`, `system:service-account-issuer-discovery`) are expected.
    ///
    /// ## Why is this bad?
    /// Every ServiceAccount token of every pod authenticates as `system:authenticated`;
    /// one compromised pod anywhere then has these rights. Granting to
    /// `system:unauthenticated` gives them to the Internet when the API server is reachable.
    ///
    /// ## Example
    /// ```yaml
    /// subjects: [{kind: Group, name: system:authenticated}]
    /// roleRef: {kind: ClusterRole, name: view}
    /// ```
    ///
    /// Use instead: bind the role to the specific users, groups or ServiceAccounts that need it.
    ///
    /// ## Remediation
    /// Replace the broad group with named subjects.
    ///
    /// ## References
    /// - [Kubernetes: RBAC, default roles and role bindings](https://kubernetes.io/docs/reference/access-authn-authz/rbac/#default-roles-and-role-bindings)
    /// - [Kubernetes: Anonymous requests](https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests)
    pub(crate) BROAD_GROUP_BINDING {
        code: "RBAC008",
        name: "broad-group-binding",
        practice: Rbac,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(broad_group_binding),
    }
}

/// RBAC008
fn broad_group_binding(ctx: &mut Context<'_>) {
    let rbac = ctx.rbac;
    let inventory = ctx.inventory;
    for binding in &rbac.bindings {
        if binding.role_ref.kind == "ClusterRole"
            && EXPECTED.contains(&binding.role_ref.name.as_str())
        {
            continue;
        }
        let Some(object) = rbac.binding_object(inventory, binding) else {
            continue;
        };
        for subject in &binding.subjects {
            let name = subject.name.as_str();
            let broad = subject.kind == rampart_analysis::rbac::SubjectKind::Group
                && (matches!(
                    name,
                    "system:authenticated" | "system:unauthenticated" | "system:serviceaccounts"
                ) || name.starts_with("system:serviceaccounts:"));
            if !broad {
                continue;
            }
            let who = match name {
                "system:authenticated" => "every authenticated user and ServiceAccount",
                "system:unauthenticated" => "anonymous requests",
                "system:serviceaccounts" => "every ServiceAccount of the cluster",
                _ => "every ServiceAccount of a namespace",
            };
            let message = format!(
                "{} `{}` grants {} `{}` to `{name}`: {who} {}",
                binding.kind(),
                binding.name,
                binding.role_ref.kind,
                binding.role_ref.name,
                super::scope(binding)
            );
            let finding = ctx.report(
                &BROAD_GROUP_BINDING,
                object,
                subject.pos,
                "subjects",
                message,
            );
            if name == "system:unauthenticated" {
                finding.severity = Severity::Critical;
            }
        }
    }
}
