use rampart_model::Object;

use super::is_system_namespace;
use crate::context::Context;
use crate::declare_rule;
use crate::pss::ENFORCE_LABEL;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks Namespace objects (outside `kube-system`, `kube-public` and
    /// `kube-node-lease`) for the `pod-security.kubernetes.io/enforce` label.
    ///
    /// ## Why is this bad?
    /// Without it, the namespace gets the cluster's admission default, which is
    /// `privileged` unless the API server's `PodSecurity` configuration says otherwise:
    /// any pod, host access included, is admitted. Labels in `warn` or `audit` mode only
    /// report. Rampart judges unlabelled namespaces at `--pss-level` (default
    /// `restricted`), the API server does not.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Namespace
    /// metadata: {name: shop}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: restricted
    ///     pod-security.kubernetes.io/enforce-version: v1.35
    /// ```
    ///
    /// ## Remediation
    /// Label the namespace with the strictest level its pods pass (`rampart pss --level
    /// restricted` tells which), pinning `enforce-version` so upgrades do not change it.
    ///
    /// ## References
    /// - [Kubernetes: Enforce Pod Security Standards with Namespace Labels](https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/)
    /// - [Kubernetes: Pod Security Admission](https://kubernetes.io/docs/concepts/security/pod-security-admission/)
    pub(crate) NAMESPACE_WITHOUT_PSS_ENFORCEMENT {
        code: "POD029",
        name: "namespace-without-pss-enforcement",
        practice: PodSecurity,
        severity: Low,
        status: Stable { since: "0.1.0" },
        check: Check::Object(&["Namespace"], namespace_without_pss_enforcement),
    }
}

/// POD029
fn namespace_without_pss_enforcement(ctx: &mut Context<'_>, ns: &Object) {
    if is_system_namespace(Some(ns.name())) || ns.label(ENFORCE_LABEL).is_some() {
        return;
    }
    let pos = ns.root.path("metadata.name").map_or(ns.pos(), |n| n.pos);
    let message = format!(
        "namespace `{}` has no `{ENFORCE_LABEL}` label, so Pod Security admission enforces only the cluster default",
        ns.name()
    );
    ctx.report(
        &NAMESPACE_WITHOUT_PSS_ENFORCEMENT,
        ns,
        pos,
        "metadata.labels",
        message,
    );
}
