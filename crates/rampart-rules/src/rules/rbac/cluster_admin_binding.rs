use rampart_model::{Node, Object};

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for ClusterRoleBindings that grant the `cluster-admin` ClusterRole to a
    /// subject that is not part of Kubernetes itself: a user or group not named
    /// `system:*`, or a ServiceAccount outside `kube-system`.
    ///
    /// A RoleBinding to `cluster-admin` grants it in one namespace only and is not
    /// reported here.
    ///
    /// ## Why is this bad?
    /// `cluster-admin` allows every verb on every resource in every namespace: reading
    /// every Secret, creating privileged pods on any node, and granting itself anything
    /// else. Whoever holds the subject's credentials — a leaked kubeconfig, a compromised
    /// pod's ServiceAccount token — owns the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects:
    ///   - {kind: ServiceAccount, name: ci-deployer, namespace: ci}
    /// ```
    ///
    /// Use instead: a Role with the verbs and resources the subject needs, bound with
    /// a RoleBinding in the namespaces where it needs them.
    ///
    /// ## Remediation
    /// Replace the binding with a Role (or a narrow ClusterRole) that lists only the
    /// verbs, resources and namespaces the subject needs; `rampart rbac-from-audit` can
    /// derive one from audit logs.
    ///
    /// ## References
    /// - [Kubernetes: RBAC good practices, least privilege](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege)
    /// - [Kubernetes: user-facing roles](https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles)
    pub(crate) CLUSTER_ADMIN_BINDING {
        code: "RBAC001",
        name: "cluster-admin-binding",
        practice: Rbac,
        severity: Critical,
        status: Stable { since: "0.1.0" },
        check: Check::Object(&["ClusterRoleBinding"], cluster_admin_binding),
    }
}

/// Whether a binding subject belongs to Kubernetes itself.
pub(crate) fn is_system_subject(kind: &str, name: &str, namespace: Option<&str>) -> bool {
    match kind {
        "ServiceAccount" => namespace == Some("kube-system"),
        _ => name.starts_with("system:"),
    }
}

/// RBAC001
fn cluster_admin_binding(ctx: &mut Context<'_>, binding: &Object) {
    let root = &binding.root;
    let is_rbac_group =
        root.path("roleRef.apiGroup").and_then(Node::as_str) == Some("rbac.authorization.k8s.io");
    if !is_rbac_group
        || root.path("roleRef.kind").and_then(Node::as_str) != Some("ClusterRole")
        || root.path("roleRef.name").and_then(Node::as_str) != Some("cluster-admin")
    {
        return;
    }
    let role_pos = root.path("roleRef.name").map(|n| n.pos).unwrap_or_default();
    for (i, subject) in root
        .get("subjects")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let text = |k: &str| subject.get(k).and_then(Node::as_str);
        let (Some(kind), Some(name)) = (text("kind"), text("name")) else {
            continue;
        };
        if is_system_subject(kind, name, text("namespace")) {
            continue;
        }
        let who = match (kind, text("namespace")) {
            ("ServiceAccount", Some(ns)) => format!("ServiceAccount `{ns}/{name}`"),
            _ => format!("{kind} `{name}`"),
        };
        ctx.report(
            &CLUSTER_ADMIN_BINDING,
            binding,
            subject.pos,
            &format!("subjects[{i}]"),
            format!(
                "ClusterRoleBinding `{}` makes {who} cluster-admin in every namespace",
                binding.name()
            ),
        )
        .related(binding.file(), role_pos, "grants `cluster-admin` here")
        .step(format!("{who} authenticates to the API server"), None)
        .step(
            format!(
                "ClusterRoleBinding `{}` binds it to ClusterRole `cluster-admin`",
                binding.name()
            ),
            Some(binding.id.clone()),
        )
        .step(
            "`cluster-admin` allows every verb on every resource, cluster-wide",
            None,
        );
    }
}
