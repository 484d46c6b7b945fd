//! Rules from the [Pod Security Standards](https://kubernetes.io/docs/concepts/security/pod-security-standards/)
//! and pod hardening practice.

mod capabilities_not_dropped;
mod custom_selinux_options;
mod host_namespaces;
mod host_path_volume;
mod host_port;
mod non_default_capabilities;
mod privilege_escalation_allowed;
mod privileged_container;
mod probe_host_override;
mod restricted_volume_type;
mod run_as_non_root_unset;
mod run_as_root_user;
mod seccomp_profile_unset;
mod unconfined_apparmor_profile;
mod unconfined_seccomp_profile;
mod unmasked_proc_mount;
mod unsafe_sysctl;
mod windows_host_process;

pub(crate) use capabilities_not_dropped::CAPABILITIES_NOT_DROPPED;
pub(crate) use custom_selinux_options::CUSTOM_SELINUX_OPTIONS;
pub(crate) use host_namespaces::HOST_NAMESPACES;
pub(crate) use host_path_volume::HOST_PATH_VOLUME;
pub(crate) use host_port::HOST_PORT;
pub(crate) use non_default_capabilities::NON_DEFAULT_CAPABILITIES;
pub(crate) use privilege_escalation_allowed::PRIVILEGE_ESCALATION_ALLOWED;
pub(crate) use privileged_container::PRIVILEGED_CONTAINER;
pub(crate) use probe_host_override::PROBE_HOST_OVERRIDE;
pub(crate) use restricted_volume_type::RESTRICTED_VOLUME_TYPE;
pub(crate) use run_as_non_root_unset::RUN_AS_NON_ROOT_UNSET;
pub(crate) use run_as_root_user::RUN_AS_ROOT_USER;
pub(crate) use seccomp_profile_unset::SECCOMP_PROFILE_UNSET;
pub(crate) use unconfined_apparmor_profile::UNCONFINED_APPARMOR_PROFILE;
pub(crate) use unconfined_seccomp_profile::UNCONFINED_SECCOMP_PROFILE;
pub(crate) use unmasked_proc_mount::UNMASKED_PROC_MOUNT;
pub(crate) use unsafe_sysctl::UNSAFE_SYSCTL;
pub(crate) use windows_host_process::WINDOWS_HOST_PROCESS;

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
    let why = match source {
        PolicySource::NamespaceLabel(_) => {
            format!("enforced on namespace `{}`", namespace.unwrap_or_default())
        }
        PolicySource::Default => "the default level".to_string(),
    };
    // The first POD rule to look at a pod evaluates every check once; the others reuse it.
    let index = pod.object.index;
    if ctx
        .pss_memo
        .as_ref()
        .is_none_or(|(i, memo_lv, _)| *i != index || *memo_lv != lv)
    {
        ctx.pss_memo = Some((index, lv, pss::evaluate(pod, lv)));
    }
    let mine: Vec<pss::Violation> = ctx
        .pss_memo
        .as_ref()
        .map(|(_, _, all)| {
            all.iter()
                .filter(|v| checks.contains(&v.check))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for violation in mine {
        let id = violation.check;
        for offense in violation.offenses {
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
