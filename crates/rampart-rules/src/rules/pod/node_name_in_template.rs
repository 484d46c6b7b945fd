use rampart_model::PodTemplate;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for `spec.nodeName` in the pod template of a workload (Deployment,
    /// StatefulSet, DaemonSet, Job, CronJob, ReplicaSet, ReplicationController).
    /// Pods are not checked: every scheduled Pod carries the node it was bound to.
    ///
    /// ## Why is this bad?
    /// `nodeName` bypasses the scheduler: taints, `NoSchedule` on control-plane nodes,
    /// node affinity and resource checks are all skipped, so the pods land on the named
    /// node whatever keeps other workloads off it.
    ///
    /// ## Example
    /// ```yaml
    /// template:
    ///   spec:
    ///     nodeName: control-plane-1
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// template:
    ///   spec:
    ///     nodeSelector: {node-pool: batch}
    /// ```
    ///
    /// ## Remediation
    /// Use `nodeSelector` or node affinity (and tolerations for deliberate taints).
    ///
    /// ## References
    /// - [Kubernetes: Assigning Pods to Nodes, nodeName](https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename)
    pub(crate) NODE_NAME_IN_TEMPLATE {
        code: "POD026",
        name: "node-name-in-template",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(node_name_in_template),
    }
}

/// POD026
fn node_name_in_template(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    if pod.object.kind() == "Pod" {
        return;
    }
    let Some(node) = pod
        .field("nodeName")
        .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
    else {
        return;
    };
    let name = node.as_str().unwrap_or_default();
    let message =
        format!("pod template names node `{name}`, bypassing the scheduler and every taint");
    ctx.report(
        &NODE_NAME_IN_TEMPLATE,
        pod.object,
        node.pos,
        &pod.spec_field_path("nodeName"),
        message,
    );
}
