use rampart_model::{ContainerKind, PodTemplate};

use super::describe;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for containers (ephemeral ones excepted, they take no resources) without
    /// `resources.limits.memory`. CPU limits are deliberately not required: they throttle
    /// without protecting neighbours the way memory limits do, and many operators avoid them.
    ///
    /// ## Why is this bad?
    /// A container without a memory limit can take all of its node's memory; the kernel
    /// then kills processes of other pods, including security agents. A compromised or
    /// leaking pod becomes a node-wide denial of service.
    ///
    /// ## Example
    /// ```yaml
    /// resources:
    ///   requests: {memory: 128Mi}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// resources:
    ///   requests: {memory: 128Mi}
    ///   limits: {memory: 256Mi}
    /// ```
    ///
    /// ## Remediation
    /// Set `resources.limits.memory` (a LimitRange in the namespace can default it).
    ///
    /// ## References
    /// - [Kubernetes: Resource Management for Pods and Containers](https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/)
    /// - [Kubernetes: Configure Default Memory Requests and Limits for a Namespace](https://kubernetes.io/docs/tasks/administer-cluster/manage-resources/memory-default-namespace/)
    pub(crate) MISSING_MEMORY_LIMIT {
        code: "POD023",
        name: "missing-memory-limit",
        practice: PodSecurity,
        severity: Low,
        status: Stable { since: "0.1.0" },
        check: Check::Template(missing_memory_limit),
    }
}

/// POD023
fn missing_memory_limit(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    for c in pod
        .containers()
        .filter(|c| c.kind != ContainerKind::Ephemeral)
    {
        if c.node
            .path("resources.limits.memory")
            .is_some_and(|m| !m.is_null())
        {
            continue;
        }
        let pos = c.node.entry("resources").map_or(c.node.pos, |e| e.key_pos);
        let message = format!("{} has no memory limit", describe(&c));
        ctx.report(
            &MISSING_MEMORY_LIMIT,
            pod.object,
            pos,
            &c.field_path("resources.limits.memory"),
            message,
        );
    }
}
