//! The kinds Rampart reads from a cluster, and which practices need each one.

/// One kind Rampart lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    /// The API group (`""` for the core group).
    pub group: &'static str,
    /// The versions accepted, most wanted first; discovery picks the first one served.
    /// Empty: whichever version the server prefers.
    pub versions: &'static [&'static str],
    /// The plural resource name (`pods`).
    pub resource: &'static str,
    /// The kind (`Pod`).
    pub kind: &'static str,
    /// Whether objects live in namespaces (corrected by discovery when it answers).
    pub namespaced: bool,
    /// The practices whose rules read this kind: what is incomplete without it.
    pub practices: &'static [&'static str],
    /// Listed only when discovery shows it (alpha and beta APIs).
    pub optional: bool,
}

impl Resource {
    /// `resource.group`, or `resource` for the core group: how RBAC names it.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.resource.to_string()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }
}

const fn r(
    group: &'static str,
    versions: &'static [&'static str],
    resource: &'static str,
    kind: &'static str,
    namespaced: bool,
    practices: &'static [&'static str],
) -> Resource {
    Resource {
        group,
        versions,
        resource,
        kind,
        namespaced,
        practices,
        optional: false,
    }
}

const WORKLOAD: &[&str] = &["POD", "SEC", "NET", "UPD", "RBAC"];

/// Every kind a cluster scan lists, in the order objects are kept (and written to a
/// snapshot). Secrets are not here: see [`SECRETS`].
pub const RESOURCES: &[Resource] = &[
    r(
        "",
        &["v1"],
        "namespaces",
        "Namespace",
        false,
        &["POD", "NET", "SEC"],
    ),
    r("", &["v1"], "nodes", "Node", false, &["UPD", "POD"]),
    // Mirror pods of the control plane (kube-system) carry the component flags: AUD and
    // SEC (encryption at rest, etcd TLS) read them.
    r(
        "",
        &["v1"],
        "pods",
        "Pod",
        true,
        &["POD", "SEC", "NET", "UPD", "AUD", "RBAC"],
    ),
    r(
        "",
        &["v1"],
        "replicationcontrollers",
        "ReplicationController",
        true,
        WORKLOAD,
    ),
    r("apps", &["v1"], "deployments", "Deployment", true, WORKLOAD),
    r("apps", &["v1"], "replicasets", "ReplicaSet", true, WORKLOAD),
    r(
        "apps",
        &["v1"],
        "statefulsets",
        "StatefulSet",
        true,
        WORKLOAD,
    ),
    r("apps", &["v1"], "daemonsets", "DaemonSet", true, WORKLOAD),
    r("batch", &["v1"], "jobs", "Job", true, WORKLOAD),
    r("batch", &["v1"], "cronjobs", "CronJob", true, WORKLOAD),
    r("", &["v1"], "services", "Service", true, &["NET"]),
    r(
        "",
        &["v1"],
        "serviceaccounts",
        "ServiceAccount",
        true,
        &["SEC", "RBAC"],
    ),
    r("", &["v1"], "configmaps", "ConfigMap", true, &["SEC"]),
    r(
        "networking.k8s.io",
        &["v1"],
        "ingresses",
        "Ingress",
        true,
        &["NET"],
    ),
    r(
        "networking.k8s.io",
        &["v1"],
        "networkpolicies",
        "NetworkPolicy",
        true,
        &["NET"],
    ),
    r(
        "rbac.authorization.k8s.io",
        &["v1"],
        "roles",
        "Role",
        true,
        &["RBAC", "SEC"],
    ),
    r(
        "rbac.authorization.k8s.io",
        &["v1"],
        "rolebindings",
        "RoleBinding",
        true,
        &["RBAC", "SEC"],
    ),
    r(
        "rbac.authorization.k8s.io",
        &["v1"],
        "clusterroles",
        "ClusterRole",
        false,
        &["RBAC", "SEC"],
    ),
    r(
        "rbac.authorization.k8s.io",
        &["v1"],
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
        &["RBAC", "SEC"],
    ),
    r(
        "policy",
        &["v1"],
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
        &["UPD"],
    ),
    Resource {
        optional: true,
        ..r(
            "policy.networking.k8s.io",
            &[],
            "adminnetworkpolicies",
            "AdminNetworkPolicy",
            false,
            &["NET"],
        )
    },
    Resource {
        optional: true,
        ..r(
            "policy.networking.k8s.io",
            &[],
            "baselineadminnetworkpolicies",
            "BaselineAdminNetworkPolicy",
            false,
            &["NET"],
        )
    },
];

/// Secrets: listed only with `--secret-metadata`, and then as metadata only.
pub const SECRETS: Resource = r("", &["v1"], "secrets", "Secret", true, &["SEC", "RBAC"]);

/// The position of a kind in [`RESOURCES`] (secrets come last), for a stable order.
pub fn rank(kind: &str) -> usize {
    RESOURCES
        .iter()
        .position(|r| r.kind == kind)
        .unwrap_or(if kind == SECRETS.kind {
            RESOURCES.len()
        } else {
            RESOURCES.len() + 1
        })
}
