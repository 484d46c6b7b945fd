//! Kinds grouped by the part they play for the rules, where two crates must agree on
//! them (the admission webhook's context and the watches that keep it).

/// The kinds the RBAC escalation analysis reads.
pub const RBAC_KINDS: &[&str] = &[
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ServiceAccount",
];

/// The kinds the admission webhook keeps of a cluster, and so the kinds its watches
/// read: Namespaces, [`RBAC_KINDS`], and, per namespace, what the rules read next to a
/// reviewed workload, NetworkPolicy, Service or PodDisruptionBudget (the other
/// workloads, NetworkPolicies, Services and PodDisruptionBudgets). Never Secrets or
/// ConfigMaps: their values would sit in the webhook's memory.
///
/// `deploy/webhook/webhook.yaml` grants `list` and `watch` on exactly these (a test
/// checks it).
pub const ADMISSION_CONTEXT_KINDS: &[&str] = &[
    "Namespace",
    "Pod",
    "ReplicationController",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Service",
    "ServiceAccount",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
];
