use rampart_model::{Node, Object};

use super::control_plane_toleration::CONTROL_PLANE_TAINTS;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks Node objects labelled as control-plane nodes
    /// (`node-role.kubernetes.io/control-plane` or `node-role.kubernetes.io/master`) for
    /// a `NoSchedule` or `NoExecute` taint with one of those keys.
    ///
    /// ## Why is this bad?
    /// Without the taint, the scheduler places ordinary workloads next to etcd, the API
    /// server and the cluster's CA key; every workload's compromise then threatens the
    /// control plane. kubeadm sets the taint by default; removing it for a small cluster
    /// is a common, quiet loss of isolation.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Node
    /// metadata:
    ///   labels: {node-role.kubernetes.io/control-plane: ""}
    /// spec: {}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec:
    ///   taints:
    ///     - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
    /// ```
    ///
    /// ## Remediation
    /// `kubectl taint nodes NODE node-role.kubernetes.io/control-plane:NoSchedule`, or
    /// set `nodeRegistration.taints` in the kubeadm configuration.
    ///
    /// ## References
    /// - [Kubernetes: Well-known labels and taints](https://kubernetes.io/docs/reference/labels-annotations-taints/#node-role-kubernetes-io-control-plane-taint)
    /// - [kubeadm: control-plane node isolation](https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/create-cluster-kubeadm/#control-plane-node-isolation)
    pub(crate) SCHEDULABLE_CONTROL_PLANE_NODE {
        code: "POD027",
        name: "schedulable-control-plane-node",
        practice: PodSecurity,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Object(&["Node"], schedulable_control_plane_node),
    }
}

/// POD027
fn schedulable_control_plane_node(ctx: &mut Context<'_>, node: &Object) {
    let Some(role) = CONTROL_PLANE_TAINTS
        .iter()
        .find(|k| node.label(k).is_some())
    else {
        return;
    };
    let tainted = node
        .root
        .path("spec.taints")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .any(|t| {
            let key = t.get("key").and_then(Node::as_str).unwrap_or("");
            let effect = t.get("effect").and_then(Node::as_str).unwrap_or("");
            CONTROL_PLANE_TAINTS.contains(&key) && matches!(effect, "NoSchedule" | "NoExecute")
        });
    if tainted || node.root.path("spec.unschedulable").and_then(Node::as_bool) == Some(true) {
        return;
    }
    let pos = node
        .root
        .path("metadata.labels")
        .and_then(|l| l.entry(role))
        .map_or(node.pos(), |e| e.key_pos);
    let message = format!(
        "control-plane node `{}` has no `NoSchedule` taint, so any workload may be scheduled next to the control plane",
        node.name()
    );
    ctx.report(
        &SCHEDULABLE_CONTROL_PLANE_NODE,
        node,
        pos,
        &format!("metadata.labels.{role}"),
        message,
    );
}
