use rampart_model::{Node, Object};

use super::is_system_namespace;
use crate::context::Context;
use crate::declare_rule;
use crate::pss::ENFORCE_LABEL;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for namespaces outside `kube-system`, `kube-public` and `kube-node-lease`
    /// labelled `pod-security.kubernetes.io/enforce: privileged`.
    ///
    /// ## Why is this bad?
    /// The `privileged` level admits everything: privileged containers, host
    /// namespaces, hostPath mounts of the node's root. Anyone who may create a pod in the
    /// namespace (directly, or through any controller) may take over the node it lands on.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   labels: {pod-security.kubernetes.io/enforce: privileged}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// metadata:
    ///   labels: {pod-security.kubernetes.io/enforce: baseline}
    /// ```
    ///
    /// ## Remediation
    /// Enforce `baseline` (or `restricted`); move the few workloads that need node access
    /// into a dedicated namespace with tightly controlled RBAC.
    ///
    /// ## References
    /// - [Kubernetes: Pod Security Standards, Privileged](https://kubernetes.io/docs/concepts/security/pod-security-standards/#privileged)
    pub(crate) PRIVILEGED_NAMESPACE {
        code: "POD030",
        name: "privileged-namespace",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Object(&["Namespace"], privileged_namespace),
    }
}

/// POD030
fn privileged_namespace(ctx: &mut Context<'_>, ns: &Object) {
    if is_system_namespace(Some(ns.name())) || ns.label(ENFORCE_LABEL) != Some("privileged") {
        return;
    }
    let pos = ns
        .root
        .path("metadata.labels")
        .and_then(|l| l.get(ENFORCE_LABEL))
        .map_or(ns.pos(), |n: &Node| n.pos);
    let message = format!(
        "namespace `{}` enforces the `privileged` Pod Security level: pods with full node access are admitted",
        ns.name()
    );
    ctx.report(
        &PRIVILEGED_NAMESPACE,
        ns,
        pos,
        &format!("metadata.labels.{ENFORCE_LABEL}"),
        message,
    );
}
