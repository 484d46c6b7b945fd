use rampart_model::{ContainerKind, Node, PodTemplate};

use super::{container_pos, describe, is_windows};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for containers (ephemeral debug containers excepted) that do not set
    /// `securityContext.readOnlyRootFilesystem: true`. No Pod Security level asks for it.
    /// Windows pods are skipped: the field does not apply to them.
    ///
    /// ## Why is this bad?
    /// A writable root filesystem lets an attacker who gets code execution drop tools,
    /// replace binaries and persist for the container's lifetime; a read-only one forces
    /// every write into volumes you declared.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   allowPrivilegeEscalation: false
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   readOnlyRootFilesystem: true
    /// volumeMounts:
    ///   - {name: tmp, mountPath: /tmp}   # an emptyDir for what must be written
    /// ```
    ///
    /// ## Remediation
    /// Set `readOnlyRootFilesystem: true` and mount an `emptyDir` where the process
    /// writes (`/tmp`, caches).
    ///
    /// ## References
    /// - [Kubernetes: Configure a Security Context](https://kubernetes.io/docs/tasks/configure-pod-container/security-context/)
    /// - [CIS Kubernetes Benchmark 5.7.3: Apply security context to your pods and containers](https://www.cisecurity.org/benchmark/kubernetes)
    pub(crate) WRITABLE_ROOT_FILESYSTEM {
        code: "POD021",
        name: "writable-root-filesystem",
        practice: PodSecurity,
        severity: Low,
        status: Stable { since: "0.1.0" },
        check: Check::Template(writable_root_filesystem),
    }
}

/// POD021
fn writable_root_filesystem(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    if is_windows(pod) {
        return;
    }
    for c in pod
        .containers()
        .filter(|c| c.kind != ContainerKind::Ephemeral)
    {
        let field = c
            .security_context()
            .and_then(|sc| sc.get("readOnlyRootFilesystem"))
            .filter(|n| !n.is_null());
        if field.and_then(Node::as_bool) == Some(true) {
            continue;
        }
        let pos = field.map_or_else(|| container_pos(&c), |n| n.pos);
        let message = format!("{} can write to its root filesystem", describe(&c));
        ctx.report(
            &WRITABLE_ROOT_FILESYSTEM,
            pod.object,
            pos,
            &c.field_path("securityContext.readOnlyRootFilesystem"),
            message,
        );
    }
}
