use std::collections::BTreeSet;

use rampart_model::{Node, PodTemplate, Pos};

use super::is_system_daemonset;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::{Check, Severity};

/// Host paths from which a pod reads or controls other pods: the kubelet's pod
/// directories (their volumes, Secrets and service account tokens included), the
/// container runtimes' sockets and state, pod logs, and the root.
const CROSSING_PATHS: &[&str] = &[
    "/",
    "/var",
    "/var/lib",
    "/var/lib/kubelet",
    "/var/lib/kubelet/pods",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/run",
    "/run",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd",
    "/run/containerd",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio",
    "/run/crio",
    "/var/run/crio/crio.sock",
    "/var/log/pods",
    "/var/log/containers",
    "/etc/kubernetes",
];

declare_rule! {
    /// ## What it does
    /// Checks for pods that reach into every other pod on their node, whatever its
    /// namespace: `hostPID` (all processes, their memory and `/proc/<pid>/root`), or a
    /// hostPath mount of the kubelet's pod directories, a container runtime's socket or
    /// state, pod logs, `/etc/kubernetes` or the root filesystem. The finding names the
    /// other namespaces in the input whose pods may share the node, and explains the
    /// crossing step by step. DaemonSets in `kube-system` are graded `info`.
    ///
    /// ## Why is this bad?
    /// Namespaces separate API objects, not processes on a node. Such a pod reads other
    /// namespaces' mounted Secrets and service account tokens, or starts containers of
    /// its choosing through the runtime socket: RBAC and namespace boundaries do not
    /// apply at that level.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   volumes:
    ///     - name: pods
    ///       hostPath: {path: /var/lib/kubelet/pods}
    /// ```
    ///
    /// Use instead: read what the workload needs through the API (with RBAC), or a CSI
    /// volume; keep node agents on dedicated nodes.
    ///
    /// ## Remediation
    /// Remove `hostPID` and the hostPath mount; if a node agent needs them, run it in a
    /// dedicated namespace enforcing only what it needs, and keep tenants that must stay
    /// apart on separate nodes (taints and node selectors).
    ///
    /// ## References
    /// - [Kubernetes: Multi-tenancy, node isolation](https://kubernetes.io/docs/concepts/security/multi-tenancy/#node-isolation)
    /// - [Kubernetes: Volumes, hostPath](https://kubernetes.io/docs/concepts/storage/volumes/#hostpath)
    pub(crate) NAMESPACE_BOUNDARY_CROSSING {
        code: "POD033",
        name: "namespace-boundary-crossing",
        practice: PodSecurity,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Template(namespace_boundary_crossing),
    }
}

/// What lets the pod reach other pods on its node, with where it is written.
fn crossings(pod: &PodTemplate<'_>) -> Vec<(String, Pos, String)> {
    let mut found = Vec::new();
    if let Some(n) = pod.field("hostPID").filter(|n| n.as_bool() == Some(true)) {
        found.push((
            "`hostPID` shows it every process on the node, with their memory and filesystems"
                .to_string(),
            n.pos,
            pod.spec_field_path("hostPID"),
        ));
    }
    for (i, v) in pod.volumes() {
        let Some(path) = v.path("hostPath.path").and_then(Node::as_str) else {
            continue;
        };
        let normalized = path.trim_end_matches('/');
        let normalized = if normalized.is_empty() {
            "/"
        } else {
            normalized
        };
        if CROSSING_PATHS.contains(&normalized) {
            let pos = v.path("hostPath.path").map_or(v.pos, |n| n.pos);
            found.push((
                format!(
                    "hostPath `{path}` exposes other pods' volumes, tokens or container runtime"
                ),
                pos,
                pod.spec_field_path(&format!("volumes[{i}].hostPath.path")),
            ));
        }
    }
    found
}

/// POD033
fn namespace_boundary_crossing(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    let found = crossings(pod);
    if found.is_empty() {
        return;
    }
    let own = pod.object.namespace().unwrap_or("");
    let others: BTreeSet<&str> = ctx
        .inventory
        .pod_templates()
        .filter_map(|(_, p)| p.object.namespace())
        .filter(|ns| *ns != own)
        .collect();
    let others_text = if others.is_empty() {
        "any other namespace's pods".to_string()
    } else {
        let list: Vec<String> = others.iter().take(5).map(|n| format!("`{n}`")).collect();
        let more = if others.len() > 5 {
            format!(" and {} more", others.len() - 5)
        } else {
            String::new()
        };
        format!("pods of {}{more}", list.join(", "))
    };
    let system = is_system_daemonset(pod);
    for (what, pos, path) in found {
        let message = format!(
            "namespaces are not a boundary here: {} `{}` in `{own}` can reach {others_text} on its node",
            pod.object.kind(),
            pod.object.name()
        );
        let finding = ctx.report(
            &NAMESPACE_BOUNDARY_CROSSING,
            pod.object,
            pos,
            &path,
            message,
        );
        finding
            .step(format!("a pod of {} `{}` is scheduled on a node", pod.object.kind(), pod.object.name()), Some(pod.object.id.clone()))
            .step(what, None)
            .step(format!("there it reads the Secrets and service account tokens mounted into {others_text}, or controls their containers"), None)
            .step("with those tokens it acts with their RBAC rights, outside its own namespace", None);
        if system {
            finding.severity = Severity::Info;
        }
    }
}
