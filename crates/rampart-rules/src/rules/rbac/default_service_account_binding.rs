use rampart_analysis::rbac::SubjectKind;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for bindings whose subjects include a namespace's `default`
    /// ServiceAccount (written with its namespace, or without one in a RoleBinding,
    /// where it takes the binding's).
    ///
    /// ## Why is this bad?
    /// Every pod that names no ServiceAccount runs as `default`. Rights granted to it
    /// go to every such pod of the namespace, including those added later by people who
    /// never meant to have them, and to anyone who may create a pod there.
    ///
    /// ## Example
    /// ```yaml
    /// subjects: [{kind: ServiceAccount, name: default, namespace: shop}]
    /// ```
    ///
    /// Use instead: a dedicated ServiceAccount for the workload that needs the rights,
    /// named in its pod spec.
    ///
    /// ## Remediation
    /// Create a ServiceAccount per workload, bind the role to it, and set
    /// `serviceAccountName`; leave `default` with no rights and
    /// `automountServiceAccountToken: false`.
    ///
    /// ## References
    /// - [Kubernetes: Configure Service Accounts for Pods](https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/)
    /// - [Kubernetes: RBAC, service account permissions](https://kubernetes.io/docs/reference/access-authn-authz/rbac/#service-account-permissions)
    pub(crate) DEFAULT_SERVICE_ACCOUNT_BINDING {
        code: "RBAC015",
        name: "default-service-account-binding",
        practice: Rbac,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(default_service_account_binding),
    }
}

/// RBAC015
fn default_service_account_binding(ctx: &mut Context<'_>) {
    let rbac = ctx.rbac;
    let inventory = ctx.inventory;
    for binding in &rbac.bindings {
        let Some(object) = rbac.binding_object(inventory, binding) else {
            continue;
        };
        for subject in &binding.subjects {
            if subject.kind != SubjectKind::ServiceAccount || subject.name != "default" {
                continue;
            }
            let Some(ns) = binding.subject_namespace(subject) else {
                continue;
            };
            if ns == "kube-system" {
                continue;
            }
            let message = format!(
                "{} `{}` grants {} `{}` to the `default` ServiceAccount of `{ns}`, so every pod there that names no ServiceAccount has it",
                binding.kind(),
                binding.name,
                binding.role_ref.kind,
                binding.role_ref.name
            );
            ctx.report(
                &DEFAULT_SERVICE_ACCOUNT_BINDING,
                object,
                subject.pos,
                "subjects",
                message,
            );
        }
    }
}
