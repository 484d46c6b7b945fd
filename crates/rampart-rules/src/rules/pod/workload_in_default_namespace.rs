use rampart_model::PodTemplate;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for workloads and pods in the `default` namespace, written there or left
    /// without a namespace.
    ///
    /// ## Why is this bad?
    /// `default` is where everything lands by accident: it usually has no Pod Security
    /// label, no NetworkPolicy, no quota, and RBAC granted there is granted to whatever
    /// else ends up there. Namespaces are only useful as a policy scope when workloads
    /// are placed in them on purpose.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Deployment
    /// metadata: {name: api}   # no namespace
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// ```
    ///
    /// ## Remediation
    /// Create a namespace per application or team, with its Pod Security labels,
    /// NetworkPolicies and RBAC, and set `metadata.namespace`.
    ///
    /// ## References
    /// - [Kubernetes: Namespaces, initial namespaces](https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#initial-namespaces)
    /// - [Kubernetes: Multi-tenancy, namespaces](https://kubernetes.io/docs/concepts/security/multi-tenancy/#namespaces)
    pub(crate) WORKLOAD_IN_DEFAULT_NAMESPACE {
        code: "POD031",
        name: "workload-in-default-namespace",
        practice: PodSecurity,
        severity: Low,
        status: Stable { since: "0.1.0" },
        check: Check::Template(workload_in_default_namespace),
    }
}

/// POD031
fn workload_in_default_namespace(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    if pod.object.namespace() != Some("default") {
        return;
    }
    let (pos, path) = match pod.object.root.path("metadata.namespace") {
        Some(n) => (n.pos, "metadata.namespace"),
        None => (
            pod.object
                .root
                .path("metadata.name")
                .map_or(pod.object.pos(), |n| n.pos),
            "metadata.name",
        ),
    };
    let written = if path == "metadata.name" {
        " (no namespace given)"
    } else {
        ""
    };
    let message = format!(
        "{} `{}` runs in the `default` namespace{written}",
        pod.object.kind(),
        pod.object.name()
    );
    ctx.report(
        &WORKLOAD_IN_DEFAULT_NAMESPACE,
        pod.object,
        pos,
        path,
        message,
    );
}
