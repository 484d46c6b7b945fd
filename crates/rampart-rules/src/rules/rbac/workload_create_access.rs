use rampart_analysis::rbac::escalation::POD_CREATING;

use super::{Probe, ask, report_rights};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for bindings that let a subject outside Kubernetes itself create pods, or
    /// any controller that creates them (Deployments, ReplicaSets, StatefulSets,
    /// DaemonSets, Jobs, CronJobs, ReplicationControllers), or change an existing one
    /// (`update`/`patch`).
    ///
    /// ## Why is this bad?
    /// Whoever creates a pod chooses its ServiceAccount: any ServiceAccount of the
    /// namespace, and with it that account's rights and the namespace's Secrets it can
    /// mount. Where Pod Security allows it, the pod can also be privileged and own its
    /// node. This is the escalation the Kubernetes documentation warns about first.
    ///
    /// ## Example
    /// ```yaml
    /// rules: [{apiGroups: [apps], resources: [deployments], verbs: [create, patch]}]
    /// ```
    ///
    /// Use instead: deploy through a pipeline identity; keep humans on read-only roles.
    ///
    /// ## Remediation
    /// Limit workload creation to deployment tooling, keep powerful ServiceAccounts out
    /// of namespaces where others may create pods, and enforce the `restricted` Pod
    /// Security level there.
    ///
    /// ## References
    /// - [Kubernetes: RBAC good practices, workload creation](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation)
    pub(crate) WORKLOAD_CREATE_ACCESS {
        code: "RBAC005",
        name: "workload-create-access",
        practice: Rbac,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(workload_create_access),
    }
}

/// RBAC005
fn workload_create_access(ctx: &mut Context<'_>) {
    let requests: Vec<_> = POD_CREATING
        .iter()
        .map(|(group, resource)| ask("create", group, resource, ""))
        .collect();
    let mut changes = Vec::new();
    for verb in ["update", "patch"] {
        for (group, resource) in [
            ("", "pods"),
            ("apps", "deployments"),
            ("apps", "daemonsets"),
            ("apps", "statefulsets"),
        ] {
            changes.push(ask(verb, group, resource, ""));
        }
    }
    let probes = [
        Probe {
            label: "create pods or workloads",
            requests,
        },
        Probe {
            label: "change running workloads",
            requests: changes,
        },
    ];
    report_rights(ctx, &WORKLOAD_CREATE_ACCESS, &probes);
}
