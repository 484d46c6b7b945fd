//! The registry: every rule, in code order. Codes are never reused; a retired rule
//! keeps its entry with status `Removed`.

use crate::rule::RuleMeta;
use crate::rules::{audit, network, pod, rbac, secrets, updates};

/// Every rule, ordered by practice then code.
pub static RULES: &[&RuleMeta] = &[
    &rbac::CLUSTER_ADMIN_BINDING,
    &rbac::SECRETS_READ_ACCESS,
    &rbac::POD_EXEC_ACCESS,
    &rbac::ESCALATION_VERBS,
    &rbac::WORKLOAD_CREATE_ACCESS,
    &rbac::WILDCARD_GRANT,
    &rbac::BINDING_TO_MISSING_ROLE,
    &rbac::BROAD_GROUP_BINDING,
    &rbac::AUTHORIZATION_MODE_WITHOUT_RBAC,
    &rbac::NODES_PROXY_ACCESS,
    &rbac::CSR_APPROVAL_ACCESS,
    &rbac::SERVICE_ACCOUNT_TOKEN_CREATE,
    &rbac::WEBHOOK_CONFIGURATION_WRITE,
    &rbac::PERSISTENT_VOLUME_CREATE,
    &rbac::DEFAULT_SERVICE_ACCOUNT_BINDING,
    &rbac::BINDING_TO_MISSING_SERVICE_ACCOUNT,
    &rbac::ANONYMOUS_ACCESS,
    &rbac::DANGEROUS_AGGREGATION_LABEL,
    &rbac::ESCALATION_TO_CLUSTER_ADMIN,
    &rbac::ESCALATION_TO_ALL_SECRETS,
    &secrets::SECRET_IN_ENV_VAR,
    &secrets::ENCRYPTION_AT_REST,
    &secrets::ETCD_TRANSPORT_INSECURE,
    &secrets::SECRET_LITERAL_ELSEWHERE,
    &secrets::PLAINTEXT_SECRET_MANIFEST,
    &secrets::SECRET_VIA_ENVIRONMENT,
    &secrets::AUTOMOUNT_TOKEN_UNUSED,
    &secrets::DEFAULT_SERVICE_ACCOUNT_USED,
    &secrets::SECRET_PARTITIONING,
    &secrets::APISERVER_TLS_FLAGS,
    &network::NAMESPACE_WITHOUT_NETWORK_POLICY,
    &network::NO_DEFAULT_DENY_INGRESS,
    &network::NO_DEFAULT_DENY_EGRESS,
    &network::WORKLOAD_NOT_ISOLATED,
    &network::ALLOWS_EVERY_SOURCE,
    &network::METADATA_EGRESS,
    &network::SELECTS_NO_POD,
    &network::PEER_MATCHES_NOTHING,
    &network::NAMED_PORT_UNDECLARED,
    &network::EXPOSED_UNISOLATED,
    &network::MIXED_LEVELS_ON_NODE,
    &network::INVALID_POLICY,
    &pod::PRIVILEGED_CONTAINER,
    &pod::HOST_NAMESPACES,
    &pod::HOST_PATH_VOLUME,
    &pod::HOST_PORT,
    &pod::NON_DEFAULT_CAPABILITIES,
    &pod::UNCONFINED_APPARMOR_PROFILE,
    &pod::CUSTOM_SELINUX_OPTIONS,
    &pod::UNMASKED_PROC_MOUNT,
    &pod::UNCONFINED_SECCOMP_PROFILE,
    &pod::UNSAFE_SYSCTL,
    &pod::WINDOWS_HOST_PROCESS,
    &pod::PROBE_HOST_OVERRIDE,
    &pod::PRIVILEGE_ESCALATION_ALLOWED,
    &pod::CAPABILITIES_NOT_DROPPED,
    &pod::RESTRICTED_VOLUME_TYPE,
    &pod::RUN_AS_NON_ROOT_UNSET,
    &pod::RUN_AS_ROOT_USER,
    &pod::SECCOMP_PROFILE_UNSET,
    &pod::SECCOMP_NOT_ENFORCED,
    &pod::APPARMOR_UNCONFINED_ALLOWED,
    &pod::WRITABLE_ROOT_FILESYSTEM,
    &pod::ROOT_BY_IMAGE_DEFAULT,
    &pod::MISSING_MEMORY_LIMIT,
    &pod::WILDCARD_TOLERATION,
    &pod::CONTROL_PLANE_TOLERATION,
    &pod::NODE_NAME_IN_TEMPLATE,
    &pod::SCHEDULABLE_CONTROL_PLANE_NODE,
    &pod::SENSITIVE_WORKLOAD_UNCONSTRAINED,
    &pod::NAMESPACE_WITHOUT_PSS_ENFORCEMENT,
    &pod::PRIVILEGED_NAMESPACE,
    &pod::WORKLOAD_IN_DEFAULT_NAMESPACE,
    &pod::WORKLOAD_IN_KUBE_SYSTEM,
    &pod::NAMESPACE_BOUNDARY_CROSSING,
    &updates::LATEST_IMAGE_TAG,
    &updates::UNSUPPORTED_KUBERNETES_VERSION,
    &updates::KUBERNETES_VERSION_NEAR_END_OF_LIFE,
    &updates::OUTDATED_PATCH_RELEASE,
    &updates::KUBELET_VERSION_SKEW,
    &updates::REMOVED_API_VERSION,
    &updates::DEPRECATED_API_VERSION,
    &updates::RECREATE_UPDATE_STRATEGY,
    &updates::MAX_UNAVAILABLE_ALL_REPLICAS,
    &updates::SINGLE_REPLICA_BEHIND_SERVICE,
    &updates::MISSING_READINESS_PROBE,
    &updates::ON_DELETE_UPDATE_STRATEGY,
    &updates::MISSING_DISRUPTION_BUDGET,
    &updates::DISRUPTION_BUDGET_BLOCKS_EVICTION,
    &updates::RUNNING_IMAGE_DRIFT,
    &updates::REPLICA_IMAGE_MISMATCH,
    &updates::MUTABLE_TAG_PULL_POLICY,
    &audit::AUDIT_LOG_DISABLED,
    &audit::LOGS_SECRET_BODIES,
    &audit::MISSES_SECURITY_REQUESTS,
    &audit::NO_CATCH_ALL,
    &audit::RULE_SHADOWED,
    &audit::REQUEST_RECEIVED_LOGGED,
    &audit::LOG_RETENTION_UNSET,
    &audit::INVALID_POLICY,
];

/// Renamed rules: old name to code, so configurations keep working.
pub static REDIRECTS: &[(&str, &str)] = &[];

/// The rule with this code or name (case-insensitive).
pub fn find(code_or_name: &str) -> Option<&'static RuleMeta> {
    let wanted = REDIRECTS
        .iter()
        .find(|(old, _)| old.eq_ignore_ascii_case(code_or_name))
        .map_or(code_or_name, |(_, c)| c);
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(wanted) || r.name.eq_ignore_ascii_case(wanted))
}
