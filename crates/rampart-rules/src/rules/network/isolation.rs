//! Default-deny and coverage: NET002, NET003, NET004.

use std::collections::BTreeMap;

use rampart_analysis::netpol::{Direction, Network, Policy};

use super::{namespace_anchor, template_anchor};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for namespaces that run pods and have NetworkPolicies, but no
    /// default-deny ingress policy: one with an empty `podSelector` (every pod of the
    /// namespace) that isolates ingress and does not allow every source on every port.
    ///
    /// A namespace with no NetworkPolicy at all is reported by NET001 instead.
    ///
    /// ## Why is this bad?
    /// NetworkPolicies are allow-lists for the pods they select; every pod no policy
    /// selects accepts connections from anywhere. Without a default-deny policy, each
    /// new workload starts open until somebody remembers to write its policy.
    ///
    /// ## Example
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
    /// # ...and nothing that selects every pod of `shop`
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny-ingress, namespace: shop}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress]
    /// ```
    ///
    /// ## Remediation
    /// Add a policy with `podSelector: {}` and `policyTypes: [Ingress]` and no ingress
    /// rules to the namespace; keep the specific policies that allow what each
    /// workload needs.
    ///
    /// ## References
    /// - [Kubernetes: Network Policies, default deny all ingress traffic](https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic)
    pub(crate) NO_DEFAULT_DENY_INGRESS {
        code: "NET002",
        name: "namespace-without-default-deny-ingress",
        practice: Network,
        severity: Medium,
        status: Stable { since: "0.2.0" },
        check: Check::Inventory(no_default_deny_ingress),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks for namespaces that run pods and have no default-deny egress policy: one
    /// with an empty `podSelector` that isolates egress and does not allow every
    /// destination on every port.
    ///
    /// ## Why is this bad?
    /// Without egress isolation, a compromised pod can reach every other pod, the
    /// Kubernetes API, the cloud metadata endpoint (`169.254.169.254`, which hands out
    /// node credentials on most clouds) and the internet, to move laterally and send
    /// data out. Egress allow-lists take more work than ingress ones, hence the lower
    /// severity.
    ///
    /// ## Example
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny-ingress, namespace: shop}
    /// spec: {podSelector: {}, policyTypes: [Ingress]}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny, namespace: shop}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress, Egress]
    ///   egress:   # DNS only; other policies allow the rest
    ///   - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
    ///     ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
    /// ```
    ///
    /// ## Remediation
    /// Add `Egress` to the namespace's default-deny policy, allow DNS, and allow each
    /// workload's real destinations in its own policy.
    ///
    /// ## References
    /// - [Kubernetes: Network Policies, default deny all egress traffic](https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic)
    pub(crate) NO_DEFAULT_DENY_EGRESS {
        code: "NET003",
        name: "namespace-without-default-deny-egress",
        practice: Network,
        severity: Low,
        status: Stable { since: "0.2.0" },
        check: Check::Inventory(no_default_deny_egress),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks for workloads that no ingress NetworkPolicy selects, in namespaces that
    /// have NetworkPolicies (a namespace with none is NET001's).
    ///
    /// A pod is isolated for ingress only when a policy of its own namespace selects it
    /// and has the `Ingress` policy type (given or defaulted). Pods on the host network
    /// are skipped: NetworkPolicy does not apply to them.
    ///
    /// ## Why is this bad?
    /// The namespace's policies give a false sense of isolation: this workload accepts
    /// connections from every pod in the cluster and from outside it.
    ///
    /// ## Example
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: shop}
    /// spec: {podSelector: {matchLabels: {app: api}}, ingress: [...]}
    /// ---
    /// kind: Deployment
    /// metadata: {name: admin, namespace: shop}
    /// spec: {template: {metadata: {labels: {app: admin}}, ...}}
    /// ```
    ///
    /// Use instead: a default-deny policy (`podSelector: {}`) in `shop`, or a policy
    /// that selects `app: admin`.
    ///
    /// ## Remediation
    /// Select the workload with an ingress policy that allows only its clients, or add
    /// a namespace-wide default-deny policy.
    ///
    /// ## References
    /// - [Kubernetes: The two sorts of pod isolation](https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation)
    pub(crate) WORKLOAD_NOT_ISOLATED {
        code: "NET004",
        name: "workload-without-ingress-policy",
        practice: Network,
        severity: Medium,
        status: Stable { since: "0.2.0" },
        check: Check::Inventory(workload_not_isolated),
    }
}

/// Whether a policy is a namespace-wide default deny for `direction`.
pub(super) fn is_default_deny(policy: &Policy, direction: Direction) -> bool {
    policy.pod_selector.is_everything()
        && policy
            .rules(direction)
            .is_some_and(|rules| !rules.iter().any(|r| r.peers.is_none() && r.ports.is_none()))
}

/// Namespaces with pods NetworkPolicy applies to: first workload and count.
fn namespaces_with_workloads(net: &Network) -> BTreeMap<&str, (usize, usize)> {
    let mut out: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for w in net.workloads.iter().filter(|w| !w.host_network) {
        out.entry(w.namespace.as_str()).or_insert((w.object, 0)).1 += 1;
    }
    out
}

fn no_default_deny(ctx: &mut Context<'_>, direction: Direction) {
    let net = ctx.network();
    for (ns, (first, count)) in namespaces_with_workloads(net) {
        let mut policies = net.policies.iter().filter(|p| p.namespace == ns).peekable();
        if direction == Direction::Ingress && policies.peek().is_none() {
            continue; // NET001
        }
        if policies.any(|p| is_default_deny(p, direction)) {
            continue;
        }
        let Some((object, pos, path)) = namespace_anchor(ctx.inventory, ns, first) else {
            continue;
        };
        let plural = if count == 1 { "workload" } else { "workloads" };
        let (rule, what) = match direction {
            Direction::Ingress => (
                &NO_DEFAULT_DENY_INGRESS,
                "ingress: pods no policy selects accept traffic from anywhere",
            ),
            Direction::Egress => (
                &NO_DEFAULT_DENY_EGRESS,
                "egress: pods can reach every pod, the API server, the cloud metadata address and the internet",
            ),
        };
        ctx.report(
            rule,
            object,
            pos,
            path,
            format!("namespace `{ns}` runs {count} {plural} and has no default-deny {what}"),
        );
    }
}

/// NET002
fn no_default_deny_ingress(ctx: &mut Context<'_>) {
    no_default_deny(ctx, Direction::Ingress);
}

/// NET003
fn no_default_deny_egress(ctx: &mut Context<'_>) {
    no_default_deny(ctx, Direction::Egress);
}

/// NET004
fn workload_not_isolated(ctx: &mut Context<'_>) {
    // Without a NetworkPolicy every workload is NET001's, not ours: skip building the
    // network (an admission review of one Pod would spend most of its time on it).
    if ctx.inventory.of_kind("NetworkPolicy").next().is_none() {
        return;
    }
    let net = ctx.network();
    let with_policies: std::collections::HashSet<&str> =
        net.policies.iter().map(|p| p.namespace.as_str()).collect();
    for w in net.workloads.iter().filter(|w| !w.host_network) {
        if !with_policies.contains(w.namespace.as_str()) {
            continue; // NET001
        }
        if !net.isolating(w.endpoint, Direction::Ingress).is_empty() {
            continue;
        }
        let Some((object, pos, path)) = template_anchor(ctx.inventory, w.object) else {
            continue;
        };
        ctx.report(
            &WORKLOAD_NOT_ISOLATED,
            object,
            pos,
            &path,
            format!("`{w}` is selected by no ingress NetworkPolicy of namespace `{}`, so it accepts traffic from every pod and address", w.namespace),
        );
    }
}
