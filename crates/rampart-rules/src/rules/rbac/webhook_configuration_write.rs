use super::{Probe, ask, report_rights};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for bindings that let a subject outside Kubernetes itself create, update,
    /// patch or delete `mutatingwebhookconfigurations` or
    /// `validatingwebhookconfigurations`.
    ///
    /// ## Why is this bad?
    /// An admission webhook receives every object it registers for, Secrets included, and a
    /// mutating one rewrites them: add a privileged sidecar to every pod, swap images, or
    /// simply disable the policy webhooks that protect the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// rules: [{apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [create, update]}]
    /// ```
    ///
    /// Use instead:
    /// Manage webhook configurations only through the installers of the components that own
    /// them.
    ///
    /// ## Remediation
    /// Remove write access to webhook configurations from the role.
    ///
    /// ## References
    /// - [Kubernetes: RBAC good practices, control admission webhooks](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks)
    pub(crate) WEBHOOK_CONFIGURATION_WRITE {
        code: "RBAC013",
        name: "webhook-configuration-write",
        practice: Rbac,
        severity: Critical,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(webhook_configuration_write),
    }
}

/// RBAC013
fn webhook_configuration_write(ctx: &mut Context<'_>) {
    let group = "admissionregistration.k8s.io";
    let mut requests = Vec::new();
    for resource in [
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
    ] {
        for verb in ["create", "update", "patch", "delete"] {
            requests.push(ask(verb, group, resource, ""));
        }
    }
    let probes = [Probe {
        label: "change admission webhooks",
        requests,
    }];
    report_rights(ctx, &WEBHOOK_CONFIGURATION_WRITE, &probes);
}
