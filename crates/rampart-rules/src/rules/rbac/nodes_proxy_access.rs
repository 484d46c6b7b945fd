use super::{Probe, ask, report_rights};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for bindings that let a subject outside Kubernetes itself use the
    /// `nodes/proxy` subresource (`get` or `create`), directly or through a wildcard.
    ///
    /// ## Why is this bad?
    /// `nodes/proxy` reaches the kubelet API of every node through the API server: `exec`,
    /// `run` and `attach` into any pod on the node, bypassing pod-level RBAC and, in most
    /// clusters, audit logging of what was run. It is cluster-admin by another name.
    ///
    /// ## Example
    /// ```yaml
    /// rules: [{apiGroups: [""], resources: [nodes/proxy], verbs: [get]}]
    /// ```
    ///
    /// Use instead:
    /// Use `nodes/metrics`, `nodes/stats` or `nodes/log` for monitoring agents, which need
    /// no proxy.
    ///
    /// ## Remediation
    /// Remove `nodes/proxy`; grant the specific kubelet subresources a monitoring agent
    /// needs.
    ///
    /// ## References
    /// - [Kubernetes: RBAC good practices, nodes/proxy](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#access-to-proxy-subresource-of-nodes)
    pub(crate) NODES_PROXY_ACCESS {
        code: "RBAC010",
        name: "nodes-proxy-access",
        practice: Rbac,
        severity: Critical,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(nodes_proxy_access),
    }
}

/// RBAC010
fn nodes_proxy_access(ctx: &mut Context<'_>) {
    let probes = [Probe {
        label: "proxy to kubelets",
        requests: vec![
            ask("get", "", "nodes", "proxy"),
            ask("create", "", "nodes", "proxy"),
        ],
    }];
    report_rights(ctx, &NODES_PROXY_ACCESS, &probes);
}
