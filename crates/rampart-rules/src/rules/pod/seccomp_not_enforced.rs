use rampart_model::{Node, PodTemplate};

use super::{container_pos, describe, effective, is_windows};
use crate::context::Context;
use crate::declare_rule;
use crate::pss::{Level, Version};
use crate::rule::{Check, Severity};

declare_rule! {
    /// ## What it does
    /// Checks the seccomp profile of each container where the Pod Security level the
    /// pod is judged at does not: at `privileged`, at `baseline`, and at levels before
    /// v1.19 where only the alpha annotations counted. A container without a profile
    /// (its own or the pod's) is reported as `low`; an explicit `Unconfined` that the
    /// level lets through as `medium`. At `restricted` from v1.19, `POD018` decides
    /// instead. Windows pods are skipped: seccomp is Linux-only.
    ///
    /// ## Why is this bad?
    /// Unless the kubelet runs with `--seccomp-default`, a container without a profile
    /// runs unconfined: every system call of the kernel is open to it, including those
    /// behind most container escapes. `RuntimeDefault` blocks them at almost no cost.
    ///
    /// ## Example
    /// ```yaml
    /// metadata: {namespace: legacy}   # labelled pod-security.kubernetes.io/enforce: baseline
    /// spec:
    ///   containers: [{name: app, image: example/app:1.0}]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     seccompProfile: {type: RuntimeDefault}
    /// ```
    ///
    /// ## Remediation
    /// Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod, or enable
    /// `--seccomp-default` on every kubelet; move the namespace to the `restricted` level.
    ///
    /// ## References
    /// - [Kubernetes: Restrict a container's syscalls with seccomp](https://kubernetes.io/docs/tutorials/security/seccomp/)
    /// - [Pod Security Standards: Restricted, Seccomp](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    pub(crate) SECCOMP_NOT_ENFORCED {
        code: "POD019",
        name: "seccomp-not-enforced",
        practice: PodSecurity,
        severity: Low,
        status: Stable { since: "0.1.0" },
        check: Check::Template(seccomp_not_enforced),
    }
}

/// POD019
fn seccomp_not_enforced(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    let (lv, _) = ctx.policies.for_namespace(pod.object.namespace());
    let minor = lv.version.effective_minor();
    if is_windows(pod) || (lv.level == Level::Restricted && minor >= 19) {
        return;
    }
    // The baseline check reads the fields from v1.19 and rejects explicit Unconfined.
    let baseline_catches_unconfined = lv.level != Level::Privileged && minor >= 19;
    let at = match lv.version {
        Version::Latest => lv.level.as_str().to_string(),
        Version::Minor(_) => lv.to_string(),
    };
    for c in pod.containers() {
        let profile = effective(pod, &c, "seccompProfile");
        let kind = profile.and_then(|p| p.get("type")).and_then(Node::as_str);
        match kind {
            Some("RuntimeDefault" | "Localhost") => {}
            Some(other) if !baseline_catches_unconfined => {
                let pos = profile
                    .and_then(|p| p.get("type"))
                    .map_or(c.node.pos, |n| n.pos);
                ctx.report(
                    &SECCOMP_NOT_ENFORCED,
                    pod.object,
                    pos,
                    &c.field_path("securityContext.seccompProfile.type"),
                    format!("{} runs with seccomp profile `{other}`, which the `{at}` level it is judged at lets through", describe(&c)),
                )
                .severity = Severity::Medium;
            }
            Some(_) => {}
            None => {
                ctx.report(
                    &SECCOMP_NOT_ENFORCED,
                    pod.object,
                    container_pos(&c),
                    &c.field_path("securityContext.seccompProfile"),
                    format!("{} has no seccomp profile and runs unconfined unless the kubelet enables `--seccomp-default` (not required at `{at}`)", describe(&c)),
                );
            }
        }
    }
}
