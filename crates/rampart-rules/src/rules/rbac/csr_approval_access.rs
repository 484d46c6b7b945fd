use super::{Probe, ask, report_rights_all};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for bindings that let a subject outside Kubernetes itself approve certificate
    /// signing requests: `update` or `patch` on `certificatesigningrequests/approval`
    /// together with `approve` on `signers` (any signer, or the `kubernetes.io/kube-
    /// apiserver-client` signer).
    ///
    /// ## Why is this bad?
    /// Whoever can create and approve a CSR for the API server's client signer gets a
    /// client certificate for any user and group they write into it, `system:masters`
    /// included: permanent, unrevocable cluster-admin.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    ///   - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}
    ///   - {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve]}
    /// ```
    ///
    /// Use instead:
    /// Leave approval to the controller manager's approvers; grant humans approval only for
    /// dedicated signers with `resourceNames`.
    ///
    /// ## Remediation
    /// Remove the approval rights, or restrict `signers` with `resourceNames` to signers
    /// that cannot issue API client certificates.
    ///
    /// ## References
    /// - [Kubernetes: Certificate Signing Requests, authorization](https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#authorization)
    /// - [Kubernetes: RBAC good practices, CSR approval](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#certificate-signing-requests)
    pub(crate) CSR_APPROVAL_ACCESS {
        code: "RBAC011",
        name: "csr-approval-access",
        practice: Rbac,
        severity: Critical,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(csr_approval_access),
    }
}

/// RBAC011
fn csr_approval_access(ctx: &mut Context<'_>) {
    let group = "certificates.k8s.io";
    let approve = [
        ask("update", group, "certificatesigningrequests", "approval"),
        ask("patch", group, "certificatesigningrequests", "approval"),
    ];
    let mut signer = ask("approve", group, "signers", "");
    signer.name = "kubernetes.io/kube-apiserver-client".to_string();
    let mut any_signer = ask("approve", group, "signers", "");
    any_signer.name = "kubernetes.io/*".to_string(); // the authorizer also checks the signer domain wildcard
    // Both halves are needed; probe them together so one rule line is shown for each.
    let probes = [
        Probe {
            label: "approve certificate requests",
            requests: approve.to_vec(),
        },
        Probe {
            label: "for the API server's client signer",
            requests: vec![signer, any_signer],
        },
    ];
    report_rights_all(ctx, &CSR_APPROVAL_ACCESS, &probes);
}
