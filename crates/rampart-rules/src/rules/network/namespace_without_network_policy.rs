use std::collections::{BTreeMap, BTreeSet};

use rampart_model::Node;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for namespaces that run pods (any workload kind) and hold no
    /// NetworkPolicy at all.
    ///
    /// A NetworkPolicy isolates only pods in its own namespace, so a policy elsewhere
    /// never counts. Pods on the host network are not subject to NetworkPolicy and do
    /// not make a namespace count as running pods.
    ///
    /// ## Why is this bad?
    /// Without a policy that selects them, pods accept connections from every pod in
    /// the cluster and send traffic anywhere. One compromised pod can then reach every
    /// database, admin port and metadata endpoint in the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// # ...and no NetworkPolicy in namespace `shop`
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny, namespace: shop}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress, Egress]
    /// ```
    ///
    /// ## Remediation
    /// Add a default-deny NetworkPolicy (`podSelector: {}` with both policy types) to
    /// the namespace, then policies that allow the traffic each workload needs.
    ///
    /// ## References
    /// - [Kubernetes: Network Policies, default policies](https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies)
    pub(crate) NAMESPACE_WITHOUT_NETWORK_POLICY {
        code: "NET001",
        name: "namespace-without-network-policy",
        practice: Network,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(namespace_without_network_policy),
    }
}

/// NET001
fn namespace_without_network_policy(ctx: &mut Context<'_>) {
    let inventory = ctx.inventory;
    let covered: BTreeSet<&str> = inventory
        .of_kind("NetworkPolicy")
        .filter(|(_, o)| o.group() == "networking.k8s.io")
        .filter_map(|(_, o)| o.namespace())
        .collect();
    // The first workload of each uncovered namespace, and how many there are.
    let mut workloads: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (index, pod) in inventory.pod_templates() {
        if pod.field("hostNetwork").and_then(Node::as_bool) == Some(true) {
            continue;
        }
        let Some(ns) = pod.object.namespace() else {
            continue;
        };
        if covered.contains(ns) {
            continue;
        }
        workloads.entry(ns).or_insert((index, 0)).1 += 1;
    }
    for (ns, (first, count)) in workloads {
        let Some((object, pos, path)) = super::namespace_anchor(inventory, ns, first) else {
            continue;
        };
        let plural = if count == 1 { "workload" } else { "workloads" };
        ctx.report(
            &NAMESPACE_WITHOUT_NETWORK_POLICY,
            object,
            pos,
            path,
            format!("namespace `{ns}` runs {count} {plural} and has no NetworkPolicy, so every pod in it accepts traffic from anywhere"),
        );
    }
}
