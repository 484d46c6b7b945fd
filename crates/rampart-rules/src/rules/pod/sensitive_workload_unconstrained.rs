use rampart_model::{Node, PodTemplate, Pos};

use super::is_system_daemonset;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::{Check, Severity};

declare_rule! {
    /// ## What it does
    /// Checks for sensitive workloads, those that run privileged containers, share a
    /// host namespace (`hostNetwork`, `hostPID`, `hostIPC`) or mount `hostPath` volumes,
    /// that nothing keeps to particular nodes: no `nodeSelector`, no required node
    /// affinity, no `nodeName`. DaemonSets run on every node by design; those in
    /// `kube-system` are graded `info`.
    ///
    /// ## Why is this bad?
    /// A pod with node-level access compromises whatever else runs on its node. Landing
    /// anywhere means landing next to any tenant's workloads and secrets; keeping such
    /// pods on dedicated, tainted nodes limits what one compromise reaches.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostPID: true
    ///   containers: [{name: debug, image: example/debug:1.0}]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec:
    ///   hostPID: true
    ///   nodeSelector: {node-pool: infra}
    ///   tolerations: [{key: dedicated, value: infra, effect: NoSchedule}]
    /// ```
    ///
    /// ## Remediation
    /// Drop the node-level access if the workload can live without it; otherwise pin it
    /// to dedicated nodes with a `nodeSelector` (or required node affinity) and a taint
    /// that only it tolerates.
    ///
    /// ## References
    /// - [Kubernetes: Assigning Pods to Nodes](https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/)
    /// - [Kubernetes: Multi-tenancy, node isolation](https://kubernetes.io/docs/concepts/security/multi-tenancy/#node-isolation)
    pub(crate) SENSITIVE_WORKLOAD_UNCONSTRAINED {
        code: "POD028",
        name: "sensitive-workload-unconstrained",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(sensitive_workload_unconstrained),
    }
}

/// What gives a pod node-level access, with where it is written.
pub(crate) fn node_access(pod: &PodTemplate<'_>) -> Vec<(String, Pos)> {
    let mut access = Vec::new();
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if let Some(n) = pod.field(key).filter(|n| n.as_bool() == Some(true)) {
            access.push((format!("`{key}`"), n.pos));
        }
    }
    for c in pod.containers() {
        if let Some(n) = c
            .security_context()
            .and_then(|sc| sc.get("privileged"))
            .filter(|n| n.as_bool() == Some(true))
        {
            access.push((format!("privileged container `{}`", c.name()), n.pos));
        }
    }
    for (_, v) in pod.volumes() {
        if let Some(hp) = v.get("hostPath").filter(|n| !n.is_null()) {
            let path = hp.get("path").and_then(Node::as_str).unwrap_or("?");
            access.push((format!("hostPath `{path}`"), hp.pos));
        }
    }
    access
}

/// POD028
fn sensitive_workload_unconstrained(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    let access = node_access(pod);
    let Some((_, pos)) = access.first() else {
        return;
    };
    let constrained = pod
        .node_selector()
        .and_then(Node::as_map)
        .is_some_and(|m| !m.is_empty())
        || pod
            .spec
            .path("affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution")
            .is_some()
        || pod.node_name().is_some_and(|n| !n.is_empty());
    if constrained {
        return;
    }
    let what: Vec<&str> = access.iter().map(|(w, _)| w.as_str()).collect();
    let message = format!(
        "{} `{}` has node-level access ({}) and nothing keeps it to particular nodes",
        pod.object.kind(),
        pod.object.name(),
        what.join(", ")
    );
    let finding = ctx.report(
        &SENSITIVE_WORKLOAD_UNCONSTRAINED,
        pod.object,
        *pos,
        pod.spec_path,
        message,
    );
    if is_system_daemonset(pod) {
        finding.severity = Severity::Info;
        finding.help("a node agent in kube-system runs on every node by design; graded info");
    }
}
