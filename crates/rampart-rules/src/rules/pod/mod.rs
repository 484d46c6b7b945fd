//! Rules from the [Pod Security Standards](https://kubernetes.io/docs/concepts/security/pod-security-standards/)
//! and pod hardening practice.

mod apparmor_unconfined_allowed;
mod capabilities_not_dropped;
mod control_plane_toleration;
mod custom_selinux_options;
mod host_namespaces;
mod host_path_volume;
mod host_port;
mod missing_memory_limit;
mod namespace_boundary_crossing;
mod namespace_without_pss_enforcement;
mod node_name_in_template;
mod non_default_capabilities;
mod privilege_escalation_allowed;
mod privileged_container;
mod privileged_namespace;
mod probe_host_override;
mod restricted_volume_type;
mod root_by_image_default;
mod run_as_non_root_unset;
mod run_as_root_user;
mod schedulable_control_plane_node;
mod seccomp_not_enforced;
mod seccomp_profile_unset;
mod sensitive_workload_unconstrained;
mod unconfined_apparmor_profile;
mod unconfined_seccomp_profile;
mod unmasked_proc_mount;
mod unsafe_sysctl;
mod wildcard_toleration;
mod windows_host_process;
mod workload_in_default_namespace;
mod workload_in_kube_system;
mod writable_root_filesystem;

pub(crate) use apparmor_unconfined_allowed::APPARMOR_UNCONFINED_ALLOWED;
pub(crate) use capabilities_not_dropped::CAPABILITIES_NOT_DROPPED;
pub(crate) use control_plane_toleration::CONTROL_PLANE_TOLERATION;
pub(crate) use custom_selinux_options::CUSTOM_SELINUX_OPTIONS;
pub(crate) use host_namespaces::HOST_NAMESPACES;
pub(crate) use host_path_volume::HOST_PATH_VOLUME;
pub(crate) use host_port::HOST_PORT;
pub(crate) use missing_memory_limit::MISSING_MEMORY_LIMIT;
pub(crate) use namespace_boundary_crossing::NAMESPACE_BOUNDARY_CROSSING;
pub(crate) use namespace_without_pss_enforcement::NAMESPACE_WITHOUT_PSS_ENFORCEMENT;
pub(crate) use node_name_in_template::NODE_NAME_IN_TEMPLATE;
pub(crate) use non_default_capabilities::NON_DEFAULT_CAPABILITIES;
pub(crate) use privilege_escalation_allowed::PRIVILEGE_ESCALATION_ALLOWED;
pub(crate) use privileged_container::PRIVILEGED_CONTAINER;
pub(crate) use privileged_namespace::PRIVILEGED_NAMESPACE;
pub(crate) use probe_host_override::PROBE_HOST_OVERRIDE;
pub(crate) use restricted_volume_type::RESTRICTED_VOLUME_TYPE;
pub(crate) use root_by_image_default::ROOT_BY_IMAGE_DEFAULT;
pub(crate) use run_as_non_root_unset::RUN_AS_NON_ROOT_UNSET;
pub(crate) use run_as_root_user::RUN_AS_ROOT_USER;
pub(crate) use schedulable_control_plane_node::SCHEDULABLE_CONTROL_PLANE_NODE;
pub(crate) use seccomp_not_enforced::SECCOMP_NOT_ENFORCED;
pub(crate) use seccomp_profile_unset::SECCOMP_PROFILE_UNSET;
pub(crate) use sensitive_workload_unconstrained::SENSITIVE_WORKLOAD_UNCONSTRAINED;
pub(crate) use unconfined_apparmor_profile::UNCONFINED_APPARMOR_PROFILE;
pub(crate) use unconfined_seccomp_profile::UNCONFINED_SECCOMP_PROFILE;
pub(crate) use unmasked_proc_mount::UNMASKED_PROC_MOUNT;
pub(crate) use unsafe_sysctl::UNSAFE_SYSCTL;
pub(crate) use wildcard_toleration::WILDCARD_TOLERATION;
pub(crate) use windows_host_process::WINDOWS_HOST_PROCESS;
pub(crate) use workload_in_default_namespace::WORKLOAD_IN_DEFAULT_NAMESPACE;
pub(crate) use workload_in_kube_system::WORKLOAD_IN_KUBE_SYSTEM;
pub(crate) use writable_root_filesystem::WRITABLE_ROOT_FILESYSTEM;

use rampart_model::PodTemplate;

use crate::context::Context;
use crate::pss::{self, PolicySource};
use crate::rule::RuleMeta;

/// Reports every offense of the given upstream checks, judged at the pod's namespace
/// policy (or the default), one finding per offending field.
pub(crate) fn report_pss(
    ctx: &mut Context<'_>,
    pod: &PodTemplate<'_>,
    rule: &'static RuleMeta,
    checks: &[&str],
) {
    let policies = ctx.policies;
    let namespace = pod.object.namespace();
    let (lv, source) = policies.for_namespace(namespace);
    // The first POD rule to look at a pod evaluates every check once; the others reuse it.
    let index = pod.object.index;
    if ctx
        .pss_memo
        .as_ref()
        .is_none_or(|(i, memo_lv, _)| *i != index || *memo_lv != lv)
    {
        ctx.pss_memo = Some((index, lv, pss::evaluate(pod, lv)));
    }
    // Borrowed out of the context while this rule reports (no copy of the verdict).
    let Some(memo) = ctx.pss_memo.take() else {
        return;
    };
    let mut mine = memo
        .2
        .iter()
        .filter(|v| checks.contains(&v.check))
        .peekable();
    if mine.peek().is_some() {
        let why = match source {
            PolicySource::NamespaceLabel(_) => {
                format!("enforced on namespace `{}`", namespace.unwrap_or_default())
            }
            PolicySource::Default => "the default level".to_string(),
        };
        for violation in mine {
            let id = violation.check;
            for offense in &violation.offenses {
                ctx.report(
                    rule,
                    pod.object,
                    offense.pos,
                    &offense.path,
                    format!(
                        "{} (Pod Security {lv} check `{id}`, {why})",
                        offense.message
                    ),
                )
                .help(format!(
                    "Pod Security admission would say: {} ({})",
                    violation.reason, violation.detail
                ));
            }
        }
    }
    ctx.pss_memo = Some(memo);
}

/// Namespaces that belong to Kubernetes itself.
pub(crate) const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Whether a namespace belongs to Kubernetes itself.
pub(crate) fn is_system_namespace(namespace: Option<&str>) -> bool {
    namespace.is_some_and(|n| SYSTEM_NAMESPACES.contains(&n))
}

/// A DaemonSet in a system namespace: node agents (CNI, kube-proxy, CSI) that need
/// node access by design. Rules about node placement grade them `info` rather than
/// drowning the report.
pub(crate) fn is_system_daemonset(pod: &PodTemplate<'_>) -> bool {
    pod.object.kind() == "DaemonSet" && is_system_namespace(pod.object.namespace())
}

/// A container's security context field, falling back to the pod's (the way the
/// kubelet resolves `runAsUser`, `runAsNonRoot`, `seccompProfile` and friends).
pub(crate) fn effective<'a>(
    pod: &PodTemplate<'a>,
    container: &rampart_model::Container<'a>,
    key: &str,
) -> Option<&'a rampart_model::Node> {
    let own = container
        .security_context()
        .and_then(|sc| sc.get(key))
        .filter(|n| !n.is_null());
    own.or_else(|| {
        pod.security_context()
            .and_then(|sc| sc.get(key))
            .filter(|n| !n.is_null())
    })
}

/// `spec.os.name: windows`.
pub(crate) fn is_windows(pod: &PodTemplate<'_>) -> bool {
    pod.spec
        .path("os.name")
        .and_then(rampart_model::Node::as_str)
        == Some("windows")
}

/// Where to point at a container when a field is missing.
pub(crate) fn container_pos(container: &rampart_model::Container<'_>) -> rampart_model::Pos {
    container
        .node
        .entry("securityContext")
        .map_or(container.node.pos, |e| e.key_pos)
}

/// A container described for messages: `init container `x``.
pub(crate) fn describe(container: &rampart_model::Container<'_>) -> String {
    let kind = match container.kind {
        rampart_model::ContainerKind::Init => "init container",
        rampart_model::ContainerKind::Regular => "container",
        rampart_model::ContainerKind::Ephemeral => "ephemeral container",
    };
    format!("{kind} `{}`", container.name())
}
