use std::collections::BTreeSet;

use rampart_analysis::rbac::SubjectKind;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for binding subjects that name a ServiceAccount the input does not
    /// define, in a namespace where the input defines other ServiceAccounts (so the
    /// input is where that namespace's accounts live). `default`, which every
    /// namespace has, is never reported.
    ///
    /// ## Why is this bad?
    /// The binding grants nothing today, but it is a loaded grant: whoever may create a
    /// ServiceAccount with that name in that namespace, or a pod using it once it
    /// exists, inherits the rights. Stale bindings also hide what an account really needs.
    ///
    /// ## Example
    /// ```yaml
    /// subjects: [{kind: ServiceAccount, name: old-deployer, namespace: ci}]
    /// ```
    ///
    /// Use instead: remove the binding along with the account.
    ///
    /// ## Remediation
    /// Delete the binding (or the subject), or create the ServiceAccount it was meant for.
    ///
    /// ## References
    /// - [Kubernetes: RBAC, referring to subjects](https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-subjects)
    pub(crate) BINDING_TO_MISSING_SERVICE_ACCOUNT {
        code: "RBAC016",
        name: "binding-to-missing-service-account",
        practice: Rbac,
        severity: Low,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(binding_to_missing_service_account),
    }
}

/// RBAC016
fn binding_to_missing_service_account(ctx: &mut Context<'_>) {
    let rbac = ctx.rbac;
    let inventory = ctx.inventory;
    let accounts: BTreeSet<(&str, &str)> = inventory
        .of_kind("ServiceAccount")
        .filter_map(|(_, sa)| Some((sa.namespace()?, sa.name())))
        .collect();
    let namespaces: BTreeSet<&str> = accounts.iter().map(|(ns, _)| *ns).collect();
    for binding in &rbac.bindings {
        let Some(object) = rbac.binding_object(inventory, binding) else {
            continue;
        };
        for subject in &binding.subjects {
            if subject.kind != SubjectKind::ServiceAccount || subject.name == "default" {
                continue;
            }
            let Some(ns) = binding.subject_namespace(subject) else {
                continue;
            };
            if !namespaces.contains(ns) || accounts.contains(&(ns, subject.name.as_str())) {
                continue;
            }
            let message = format!(
                "{} `{}` names ServiceAccount `{ns}/{}`, which the input does not define",
                binding.kind(),
                binding.name,
                subject.name
            );
            ctx.report(
                &BINDING_TO_MISSING_SERVICE_ACCOUNT,
                object,
                subject.pos,
                "subjects",
                message,
            );
        }
    }
}
