use rampart_model::{Node, PodTemplate};

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for workloads in `kube-system` that do not look like part of the cluster:
    /// none of their images come from the Kubernetes registries (`registry.k8s.io`,
    /// `k8s.gcr.io`), they carry no system priority class (`system-cluster-critical`,
    /// `system-node-critical`), and no label marks them as a cluster component
    /// (`k8s-app`, `component`, `tier: control-plane`, `kubernetes.io/cluster-service`).
    /// The heuristic errs towards silence: a component that carries one of those marks
    /// is never reported.
    ///
    /// ## Why is this bad?
    /// `kube-system` holds the most powerful ServiceAccounts and Secrets of the cluster
    /// and is usually exempt from Pod Security and admission policies. An application
    /// placed there inherits all of that: anyone who can change it, or escape from it,
    /// reaches the control plane's credentials.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Deployment
    /// metadata: {name: billing-api, namespace: kube-system}
    /// ```
    ///
    /// Use instead: the same Deployment in its own namespace.
    ///
    /// ## Remediation
    /// Move the workload to a namespace of its own with its own ServiceAccount, Pod
    /// Security labels and NetworkPolicies.
    ///
    /// ## References
    /// - [Kubernetes: Namespaces, initial namespaces](https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#initial-namespaces)
    /// - [Kubernetes: RBAC good practices, kube-system](https://kubernetes.io/docs/concepts/security/rbac-good-practices/)
    pub(crate) WORKLOAD_IN_KUBE_SYSTEM {
        code: "POD032",
        name: "workload-in-kube-system",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(workload_in_kube_system),
    }
}

const SYSTEM_REGISTRIES: &[&str] = &[
    "registry.k8s.io/",
    "k8s.gcr.io/",
    "gcr.io/k8s-",
    "eu.gcr.io/k8s-",
    "public.ecr.aws/eks/",
];
const SYSTEM_LABELS: &[&str] = &[
    "k8s-app",
    "component",
    "kubernetes.io/cluster-service",
    "addonmanager.kubernetes.io/mode",
];

/// POD032
fn workload_in_kube_system(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    if pod.object.namespace() != Some("kube-system") {
        return;
    }
    let system_image = pod
        .containers()
        .filter_map(|c| c.image().and_then(Node::as_str))
        .any(|image| SYSTEM_REGISTRIES.iter().any(|r| image.starts_with(r)));
    let priority = pod
        .field("priorityClassName")
        .and_then(Node::as_str)
        .unwrap_or("");
    let labelled = SYSTEM_LABELS
        .iter()
        .any(|l| pod.label(l).is_some() || pod.object.label(l).is_some())
        || pod.label("tier") == Some("control-plane");
    if system_image || priority.starts_with("system-") || labelled {
        return;
    }
    let pos = pod
        .object
        .root
        .path("metadata.namespace")
        .map_or(pod.object.pos(), |n| n.pos);
    let message = format!(
        "{} `{}` runs in `kube-system` but nothing marks it as a cluster component (image, priority class or labels)",
        pod.object.kind(),
        pod.object.name()
    );
    ctx.report(
        &WORKLOAD_IN_KUBE_SYSTEM,
        pod.object,
        pos,
        "metadata.namespace",
        message,
    );
}
