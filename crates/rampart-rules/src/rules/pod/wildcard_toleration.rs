use rampart_model::{Node, PodTemplate};

use super::is_system_daemonset;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::{Check, Severity};

declare_rule! {
    /// ## What it does
    /// Checks for tolerations that tolerate every taint: `operator: Exists` with no
    /// `key` (whatever the effect, or none). System DaemonSets in `kube-system` (CNI,
    /// kube-proxy, CSI node plugins) need this by design and are graded `info`.
    ///
    /// ## Why is this bad?
    /// Taints are how operators keep workloads off control-plane nodes, nodes being
    /// drained (`NoExecute`), and nodes reserved for sensitive or isolated tenants. A
    /// wildcard toleration ignores all of them: the pod may land on a control-plane node
    /// next to etcd and the API server, and is never evicted.
    ///
    /// ## Example
    /// ```yaml
    /// tolerations:
    ///   - operator: Exists
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// tolerations:
    ///   - {key: dedicated, operator: Equal, value: batch, effect: NoSchedule}
    /// ```
    ///
    /// ## Remediation
    /// Tolerate the specific taints the workload is meant for, by key (and value and
    /// effect where possible).
    ///
    /// ## References
    /// - [Kubernetes: Taints and Tolerations](https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/)
    pub(crate) WILDCARD_TOLERATION {
        code: "POD024",
        name: "wildcard-toleration",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(wildcard_toleration),
    }
}

/// POD024
fn wildcard_toleration(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    for (i, t) in pod.tolerations() {
        let operator = t.get("operator").and_then(Node::as_str);
        let key = t.get("key").and_then(Node::as_str).unwrap_or("");
        if operator != Some("Exists") || !key.is_empty() {
            continue;
        }
        let effect = t
            .get("effect")
            .and_then(Node::as_str)
            .filter(|e| !e.is_empty());
        let what = effect.map_or_else(
            || "every taint".to_string(),
            |e| format!("every `{e}` taint"),
        );
        let message = format!(
            "toleration tolerates {what}, so the pods may run on any node, control-plane nodes included"
        );
        let finding = ctx.report(
            &WILDCARD_TOLERATION,
            pod.object,
            t.pos,
            &pod.spec_field_path(&format!("tolerations[{i}]")),
            message,
        );
        if is_system_daemonset(pod) {
            finding.severity = Severity::Info;
            finding.help("a node agent in kube-system usually needs this; graded info");
        }
    }
}
