use super::{Probe, ask, report_rights};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for bindings that let a subject outside Kubernetes itself create
    /// ServiceAccount tokens (`create` on `serviceaccounts/token`).
    ///
    /// ## Why is this bad?
    /// The TokenRequest API mints a token for any ServiceAccount the rule covers: the
    /// subject becomes that ServiceAccount, with all of its rights, without creating a pod.
    ///
    /// ## Example
    /// ```yaml
    /// rules: [{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}]
    /// ```
    ///
    /// Use instead:
    /// Let workloads receive tokens through projected volumes; grant
    /// `serviceaccounts/token` only for named accounts (`resourceNames`).
    ///
    /// ## Remediation
    /// Remove the right, or restrict it with `resourceNames` to the ServiceAccounts meant.
    ///
    /// ## References
    /// - [Kubernetes: RBAC good practices, token request](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#token-request)
    pub(crate) SERVICE_ACCOUNT_TOKEN_CREATE {
        code: "RBAC012",
        name: "service-account-token-create",
        practice: Rbac,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(service_account_token_create),
    }
}

/// RBAC012
fn service_account_token_create(ctx: &mut Context<'_>) {
    let probes = [Probe {
        label: "mint tokens for ServiceAccounts",
        requests: vec![ask("create", "", "serviceaccounts", "token")],
    }];
    report_rights(ctx, &SERVICE_ACCOUNT_TOKEN_CREATE, &probes);
}
