use rampart_model::{Node, PodTemplate};

use super::is_system_namespace;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

/// The taint keys that keep workloads off control-plane nodes.
pub(crate) const CONTROL_PLANE_TAINTS: &[&str] = &[
    "node-role.kubernetes.io/control-plane",
    "node-role.kubernetes.io/master",
];

declare_rule! {
    /// ## What it does
    /// Checks for workloads outside the system namespaces (`kube-system`, `kube-public`,
    /// `kube-node-lease`) that tolerate the control-plane taints
    /// (`node-role.kubernetes.io/control-plane`, and the older `node-role.kubernetes.io/master`).
    /// Wildcard tolerations are `POD024`.
    ///
    /// ## Why is this bad?
    /// Control-plane nodes hold etcd's data, the API server's and the controllers'
    /// credentials and the cluster CA key. An application pod scheduled there is one
    /// container escape away from all of it.
    ///
    /// ## Example
    /// ```yaml
    /// tolerations:
    ///   - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
    /// ```
    ///
    /// Use instead: no such toleration; run the workload on worker nodes.
    ///
    /// ## Remediation
    /// Remove the toleration. If the workload must run on control-plane nodes (a
    /// monitoring agent, say), move it to a dedicated namespace and review what it mounts.
    ///
    /// ## References
    /// - [Kubernetes: Well-known labels and taints, node-role.kubernetes.io/control-plane](https://kubernetes.io/docs/reference/labels-annotations-taints/#node-role-kubernetes-io-control-plane-taint)
    /// - [Kubernetes: Taints and Tolerations](https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/)
    pub(crate) CONTROL_PLANE_TOLERATION {
        code: "POD025",
        name: "control-plane-toleration",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(control_plane_toleration),
    }
}

/// POD025
fn control_plane_toleration(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    if is_system_namespace(pod.object.namespace()) {
        return;
    }
    for (i, t) in pod.tolerations() {
        let Some(key) = t
            .get("key")
            .and_then(Node::as_str)
            .filter(|k| CONTROL_PLANE_TAINTS.contains(k))
        else {
            continue;
        };
        let message = format!("toleration of `{key}` lets the pods run on control-plane nodes");
        let pos = t.get("key").map_or(t.pos, |n| n.pos);
        ctx.report(
            &CONTROL_PLANE_TOLERATION,
            pod.object,
            pos,
            &pod.spec_field_path(&format!("tolerations[{i}].key")),
            message,
        );
    }
}
