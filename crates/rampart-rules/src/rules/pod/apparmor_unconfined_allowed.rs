use rampart_model::{Node, PodTemplate};

use super::{describe, is_windows};
use crate::context::Context;
use crate::declare_rule;
use crate::pss::Level;
use crate::rule::Check;

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

declare_rule! {
    /// ## What it does
    /// Checks for AppArmor explicitly set to unconfined (the `appArmorProfile.type:
    /// Unconfined` field, or an `unconfined` value in a
    /// `container.apparmor.security.beta.kubernetes.io/*` annotation) in pods judged at
    /// the `privileged` level, where Pod Security's `appArmorProfile` check does not run.
    /// At `baseline` and `restricted`, `POD006` reports the same thing.
    ///
    /// A pod that sets no profile is not reported: since Kubernetes 1.30 the runtime's
    /// default profile applies on nodes with AppArmor enabled.
    ///
    /// ## Why is this bad?
    /// AppArmor confines a process even when it is root in its container; an unconfined
    /// process reaches every file, mount and kernel interface the default profile denies.
    /// A namespace labelled `privileged` lets this through silently.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile: {type: Unconfined}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile: {type: RuntimeDefault}
    /// ```
    ///
    /// ## Remediation
    /// Set `appArmorProfile.type: RuntimeDefault` (or a `Localhost` profile written for
    /// the workload) and remove `unconfined` annotations.
    ///
    /// ## References
    /// - [Kubernetes: Restrict a container's access to resources with AppArmor](https://kubernetes.io/docs/tutorials/security/apparmor/)
    /// - [pod-security-admission `check_appArmorProfile.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_appArmorProfile.go)
    pub(crate) APPARMOR_UNCONFINED_ALLOWED {
        code: "POD020",
        name: "apparmor-unconfined-allowed",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(apparmor_unconfined_allowed),
    }
}

/// POD020
fn apparmor_unconfined_allowed(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    let (lv, _) = ctx.policies.for_namespace(pod.object.namespace());
    if lv.level != Level::Privileged || is_windows(pod) {
        return;
    }
    let unconfined = |sc: &Node| {
        sc.path("appArmorProfile.type")
            .filter(|t| t.as_str() == Some("Unconfined"))
            .map(|t| t.pos)
    };
    if let Some(pos) = pod.security_context().and_then(unconfined) {
        let path = pod.spec_field_path("securityContext.appArmorProfile.type");
        ctx.report(&APPARMOR_UNCONFINED_ALLOWED, pod.object, pos, &path, "pod runs without AppArmor confinement (`Unconfined`), which its `privileged` namespace allows");
    }
    for c in pod.containers() {
        if let Some(pos) = c.security_context().and_then(unconfined) {
            let message = format!(
                "{} runs without AppArmor confinement (`Unconfined`), which its `privileged` namespace allows",
                describe(&c)
            );
            ctx.report(
                &APPARMOR_UNCONFINED_ALLOWED,
                pod.object,
                pos,
                &c.field_path("securityContext.appArmorProfile.type"),
                message,
            );
        }
    }
    let Some(annotations) = pod
        .metadata
        .and_then(|m| m.get("annotations"))
        .and_then(Node::as_map)
    else {
        return;
    };
    for e in annotations {
        if e.key.starts_with(ANNOTATION_PREFIX) && e.value.as_str() == Some("unconfined") {
            let path = format!("{}.annotations.{}", pod.metadata_path, e.key);
            let message = format!(
                "annotation `{}` turns AppArmor off, which the pod's `privileged` namespace allows",
                e.key
            );
            ctx.report(
                &APPARMOR_UNCONFINED_ALLOWED,
                pod.object,
                e.value.pos,
                &path,
                message,
            );
        }
    }
}
