use rampart_model::{Node, PodTemplate};

use super::{container_pos, describe, effective, is_windows};
use crate::context::Context;
use crate::declare_rule;
use crate::pss::Level;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for containers that may run as root because nothing says otherwise:
    /// neither the container nor the pod sets `runAsNonRoot: true` or a non-zero
    /// `runAsUser`, so the image's `USER` decides (root when it names none); and for an
    /// explicit `runAsUser: 0`. Reported only where the Pod Security level the pod is
    /// judged at does not (`privileged` and `baseline`; at `restricted`, `POD016` and
    /// `POD017` decide). Pods with `hostUsers: false` (a user namespace, where UID 0 is
    /// unprivileged on the node) and Windows pods are skipped.
    ///
    /// ## Why is this bad?
    /// Root in a container is root on the node as soon as anything else gives: a
    /// writable host mount, an added capability, a kernel bug. Most images never needed it.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0   # Dockerfile without USER
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   runAsNonRoot: true
    ///   runAsUser: 10001
    /// ```
    ///
    /// ## Remediation
    /// Set `runAsNonRoot: true` and a non-zero `runAsUser` on the pod, and give the image
    /// a non-root `USER`.
    ///
    /// ## References
    /// - [Kubernetes: Configure a Security Context](https://kubernetes.io/docs/tasks/configure-pod-container/security-context/)
    /// - [Pod Security Standards: Restricted, Running as Non-root](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    pub(crate) ROOT_BY_IMAGE_DEFAULT {
        code: "POD022",
        name: "root-by-image-default",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(root_by_image_default),
    }
}

/// POD022
fn root_by_image_default(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    let (lv, _) = ctx.policies.for_namespace(pod.object.namespace());
    let user_namespace = pod.field("hostUsers").and_then(Node::as_bool) == Some(false);
    if lv.level == Level::Restricted || user_namespace || is_windows(pod) {
        return;
    }
    for c in pod.containers() {
        let non_root = effective(pod, &c, "runAsNonRoot").and_then(Node::as_bool) == Some(true);
        let user = effective(pod, &c, "runAsUser");
        match user.and_then(Node::as_i64) {
            Some(0) => {
                let pos = user.map_or(c.node.pos, |n| n.pos);
                let message = format!(
                    "{} runs as UID 0 (`runAsUser: 0`), which the `{}` level lets through",
                    describe(&c),
                    lv.level.as_str()
                );
                ctx.report(
                    &ROOT_BY_IMAGE_DEFAULT,
                    pod.object,
                    pos,
                    &c.field_path("securityContext.runAsUser"),
                    message,
                );
            }
            None if !non_root => {
                let message = format!(
                    "{} sets neither `runAsNonRoot: true` nor `runAsUser`, so it runs as root if its image does",
                    describe(&c)
                );
                ctx.report(
                    &ROOT_BY_IMAGE_DEFAULT,
                    pod.object,
                    container_pos(&c),
                    &c.field_path("securityContext.runAsNonRoot"),
                    message,
                );
            }
            Some(_) | None => {}
        }
    }
}
