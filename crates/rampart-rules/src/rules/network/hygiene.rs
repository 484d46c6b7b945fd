//! Policies that say more or less than their author meant: NET005, NET007, NET008,
//! NET009, NET012.

use std::collections::BTreeSet;

use rampart_analysis::netpol::policy::{Namespaces, PortSpec};
use rampart_analysis::netpol::{
    Direction, IpRange, NAMESPACE_NAME_LABEL, Network, Party, Peer, Policy, Rule,
};
use rampart_model::Inventory;

use super::{policy_object, public_workloads, selected_indices, selected_workloads};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for ingress rules that admit every source — a rule without `from`, a peer
    /// with an empty `namespaceSelector` and no `podSelector` (every pod of the
    /// cluster), or an `ipBlock` of `0.0.0.0/0` or `::/0` — into workloads that are not
    /// meant to be public.
    ///
    /// A workload is meant to be public when a Service of type `LoadBalancer` or
    /// `NodePort`, or an Ingress, sends traffic to it, or when its pod template carries
    /// the annotation `rampart.dev/public: "true"`.
    ///
    /// ## Why is this bad?
    /// The policy isolates the pods and then lets everything back in: any pod in the
    /// cluster (or any address) can reach a database or an admin port that only one
    /// client needs.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   podSelector: {matchLabels: {app: postgres}}
    ///   ingress:
    ///   - from: [{namespaceSelector: {}}]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec:
    ///   podSelector: {matchLabels: {app: postgres}}
    ///   ingress:
    ///   - from: [{podSelector: {matchLabels: {app: api}}}]
    ///     ports: [{port: 5432}]
    /// ```
    ///
    /// ## Remediation
    /// Name the clients (pod and namespace selectors) and the ports; if the workload is
    /// public on purpose, annotate its pod template with `rampart.dev/public: "true"`.
    ///
    /// ## References
    /// - [Kubernetes: NetworkPolicy, behavior of to and from selectors](https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors)
    pub(crate) ALLOWS_EVERY_SOURCE {
        code: "NET005",
        name: "policy-allows-every-source",
        practice: Network,
        severity: Medium,
        status: Stable { since: "0.2.0" },
        check: Check::Inventory(allows_every_source),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks for NetworkPolicies whose `podSelector` selects no pod of their namespace,
    /// in namespaces where the scanned manifests run pods.
    ///
    /// ## Why is this bad?
    /// A policy that selects nothing protects nothing; usually a label was renamed in
    /// the workload and not in the policy, and the pods it was written for are open.
    ///
    /// ## Example
    /// ```yaml
    /// spec: {podSelector: {matchLabels: {app: api-v1}}}   # pods are labelled app: api
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec: {podSelector: {matchLabels: {app: api}}}
    /// ```
    ///
    /// ## Remediation
    /// Fix the selector to match the pods' labels, or delete the policy.
    ///
    /// ## References
    /// - [Kubernetes: NetworkPolicy resource, podSelector](https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource)
    pub(crate) SELECTS_NO_POD {
        code: "NET007",
        name: "policy-selects-no-pod",
        practice: Network,
        severity: Low,
        status: Stable { since: "0.2.0" },
        check: Check::Inventory(selects_no_pod),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks for `from`/`to` peers that match no pod: a `podSelector` or
    /// `namespaceSelector` that selects nothing among the scanned namespaces and pods.
    /// Peers are checked only where the scan knows the pods (their namespace runs
    /// scanned workloads, or Namespace objects were scanned).
    ///
    /// ## Why is this bad?
    /// The rule allows nothing, so the traffic it was written for is dropped — or
    /// somebody "fixes" that later with a much wider rule. Often a namespace lacks the
    /// label the selector asks for (use `kubernetes.io/metadata.name`).
    ///
    /// ## Example
    /// ```yaml
    /// ingress:
    /// - from: [{namespaceSelector: {matchLabels: {name: monitoring}}}]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// ingress:
    /// - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
    /// ```
    ///
    /// ## Remediation
    /// Match the labels the namespaces and pods really carry.
    ///
    /// ## References
    /// - [Kubernetes: Targeting a namespace by its name](https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-namespace-by-its-name)
    pub(crate) PEER_MATCHES_NOTHING {
        code: "NET008",
        name: "policy-peer-matches-nothing",
        practice: Network,
        severity: Low,
        status: Stable { since: "0.2.0" },
        check: Check::Inventory(peer_matches_nothing),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks for named ports in policy rules that no container of the destination pods
    /// declares with that name and protocol. For an ingress rule the destinations are
    /// the pods the policy selects; for an egress rule, the pods its peers match.
    ///
    /// ## Why is this bad?
    /// A named port resolves against each destination pod's `containers[].ports`; when
    /// no pod declares it (or declares it for another protocol), the rule allows
    /// nothing, and the traffic it was meant for is silently dropped.
    ///
    /// ## Example
    /// ```yaml
    /// ingress:
    /// - ports: [{port: metrics}]     # the pods name their port `http-metrics`
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// ingress:
    /// - ports: [{port: http-metrics}]
    /// ```
    ///
    /// ## Remediation
    /// Use a name the containers declare (with the same protocol), or the port number.
    ///
    /// ## References
    /// - [Kubernetes API: NetworkPolicyPort](https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec)
    pub(crate) NAMED_PORT_UNDECLARED {
        code: "NET009",
        name: "policy-named-port-undeclared",
        practice: Network,
        severity: Medium,
        status: Stable { since: "0.2.0" },
        check: Check::Inventory(named_port_undeclared),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks for NetworkPolicies the API server would reject: a peer that is `{}` (no
    /// selector and no `ipBlock`), an `ipBlock` combined with a selector in one peer,
    /// an invalid CIDR, a protocol other than TCP, UDP and SCTP, or a port range
    /// outside 1–65535.
    ///
    /// Reachability reads an empty peer as "every pod and address" (what its author
    /// most likely meant, and the safe over-approximation).
    ///
    /// ## Why is this bad?
    /// `kubectl apply` fails on the policy, so the isolation it describes does not
    /// exist in the cluster; CI that only lints the manifests never notices.
    ///
    /// ## Example
    /// ```yaml
    /// ingress:
    /// - from: [{}]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// ingress:
    /// - {}     # a rule without `from` allows every source
    /// ```
    ///
    /// ## Remediation
    /// Fix the field the message names.
    ///
    /// ## References
    /// - [Kubernetes API: NetworkPolicyPeer](https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec)
    pub(crate) INVALID_POLICY {
        code: "NET012",
        name: "policy-invalid",
        practice: Network,
        severity: Medium,
        status: Stable { since: "0.2.0" },
        check: Check::Inventory(invalid_policy),
    }
}

/// Why a rule admits every source, if it does.
fn every_source(rule: &Rule) -> Option<&'static str> {
    let Some(peers) = &rule.peers else {
        return Some("it has no `from`, so every pod and every address");
    };
    peers.iter().find_map(|p| match p {
        Peer::Everything { .. } => Some("its peer `{}` reads as every pod and address"),
        Peer::Pods {
            namespaces: Namespaces::Selector(ns),
            pods,
            ..
        } if ns.is_everything()
            && pods
                .as_ref()
                .is_none_or(rampart_analysis::selector::LabelSelector::is_everything) =>
        {
            Some("an empty `namespaceSelector` matches every pod of every namespace")
        }
        Peer::Ip { set, .. }
            if [
                IpRange::parse_cidr("0.0.0.0/0"),
                IpRange::parse_cidr("::/0"),
            ]
            .iter()
            .flatten()
            .any(|all| set.contains(all)) =>
        {
            Some("its `ipBlock` covers every address")
        }
        _ => None,
    })
}

/// NET005
fn allows_every_source(ctx: &mut Context<'_>) {
    let net = ctx.network();
    let inventory = ctx.inventory;
    let mut public = None;
    for (p, policy) in net.policies.iter().enumerate() {
        let Some(rules) = policy.rules(Direction::Ingress) else {
            continue;
        };
        let open: Vec<(&Rule, &'static str)> = rules
            .iter()
            .filter_map(|r| Some((r, every_source(r)?)))
            .collect();
        if open.is_empty() {
            continue;
        }
        let public = public.get_or_insert_with(|| public_workloads(inventory, net));
        let private: Vec<String> = selected_indices(net, p)
            .into_iter()
            .filter(|w| !public.contains(w))
            .filter_map(|w| net.workloads.get(w))
            .map(ToString::to_string)
            .collect();
        if private.is_empty() {
            continue;
        }
        for (rule, why) in open {
            let Some(object) = policy_object(inventory, policy) else {
                continue;
            };
            let more = match private.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            ctx.report(
                &ALLOWS_EVERY_SOURCE,
                object,
                rule.pos,
                &format!("spec.ingress[{}]", rule.index),
                format!(
                    "ingress rule #{} of `{}` admits every source ({why}) into `{}`{more}, which nothing exposes publicly",
                    rule.index + 1,
                    policy.full_name(),
                    private.first().map_or("", String::as_str),
                ),
            );
        }
    }
}

/// NET007
fn selects_no_pod(ctx: &mut Context<'_>) {
    let net = ctx.network();
    let with_pods: BTreeSet<&str> = net.workloads.iter().map(|w| w.namespace.as_str()).collect();
    for (p, policy) in net.policies.iter().enumerate() {
        if !with_pods.contains(policy.namespace.as_str())
            || selected_workloads(net, p).next().is_some()
        {
            continue;
        }
        let Some(object) = policy_object(ctx.inventory, policy) else {
            continue;
        };
        ctx.report(
            &SELECTS_NO_POD,
            object,
            policy.selector_pos,
            "spec.podSelector",
            format!(
                "`{}` selects no pod: no workload of namespace `{}` carries the labels its `podSelector` asks for",
                policy.full_name(),
                policy.namespace
            ),
        );
    }
}

/// Why a pod peer matches nothing, when the scan knows enough to say so: its own
/// namespace's workloads were scanned, or every namespace its `namespaceSelector`
/// matches had its workloads scanned, or it selects a scanned namespace by a label
/// that namespace does not carry (the classic `name: monitoring`).
fn matches_nothing(
    inventory: &Inventory,
    net: &Network,
    policy: &Policy,
    peer: &Peer,
) -> Option<String> {
    let Peer::Pods { namespaces, .. } = peer else {
        return None;
    };
    let scanned = |ns: &str| !net.endpoints_in(ns).is_empty();
    let candidates: Vec<usize> = match namespaces {
        Namespaces::Own(ns) => net.endpoints_in(ns).to_vec(),
        Namespaces::Selector(s) => net
            .namespaces()
            .filter(|(_, labels)| s.matches(labels))
            .flat_map(|(n, _)| net.endpoints_in(n).iter().copied())
            .collect(),
    };
    if candidates
        .into_iter()
        .any(|e| net.peer_matches(policy, peer, Party::Endpoint(e)))
    {
        return None;
    }
    match namespaces {
        Namespaces::Own(ns) => {
            scanned(ns).then(|| format!("no pod of namespace `{ns}` matches it"))
        }
        Namespaces::Selector(s) => {
            let matched: Vec<&str> = net
                .namespaces()
                .filter(|(_, labels)| s.matches(labels))
                .map(|(n, _)| n)
                .collect();
            if !matched.is_empty() {
                return matched
                    .iter()
                    .all(|n| scanned(n))
                    .then(|| "no pod of the namespaces it selects matches it".to_string());
            }
            // `namespaceSelector: {matchLabels: {name: monitoring}}` while Namespace
            // `monitoring` carries no `name` label.
            s.match_labels().find_map(|(k, v)| {
                (k != NAMESPACE_NAME_LABEL && inventory.get("Namespace", None, v).is_some()).then(|| {
                    format!("namespace `{v}` does not carry the label `{k}={v}`; select it with `{NAMESPACE_NAME_LABEL}: {v}`")
                })
            })
        }
    }
}

/// NET008
fn peer_matches_nothing(ctx: &mut Context<'_>) {
    let net = ctx.network();
    for policy in &net.policies {
        for direction in [Direction::Ingress, Direction::Egress] {
            for rule in policy.all_rules(direction) {
                for (i, peer) in rule.peers.iter().flatten().enumerate() {
                    let Some(what) = matches_nothing(ctx.inventory, net, policy, peer) else {
                        continue;
                    };
                    let Some(object) = policy_object(ctx.inventory, policy) else {
                        continue;
                    };
                    let field = direction.field();
                    let peers = direction.peers_field();
                    ctx.report(
                        &PEER_MATCHES_NOTHING,
                        object,
                        peer.pos(),
                        &format!("spec.{field}[{}].{peers}[{i}]", rule.index),
                        format!(
                            "peer {} of {field} rule #{} of `{}` allows nothing: {what}",
                            i + 1,
                            rule.index + 1,
                            policy.full_name()
                        ),
                    );
                }
            }
        }
    }
}

/// NET009
fn named_port_undeclared(ctx: &mut Context<'_>) {
    let net = ctx.network();
    for (p, policy) in net.policies.iter().enumerate() {
        for direction in [Direction::Ingress, Direction::Egress] {
            for rule in policy.all_rules(direction) {
                let named = rule
                    .ports
                    .iter()
                    .flatten()
                    .enumerate()
                    .filter_map(|(i, port)| match &port.port {
                        PortSpec::Named(name) => Some((i, name, port.protocol, port.pos)),
                        _ => None,
                    });
                for (i, name, protocol, pos) in named {
                    // The pods the name is resolved against.
                    let destinations: Vec<usize> = match direction {
                        Direction::Ingress => {
                            selected_workloads(net, p).map(|w| w.endpoint).collect()
                        }
                        Direction::Egress => (0..net.endpoints.len())
                            .filter(|&e| net.rule_matches(policy, rule, Party::Endpoint(e)))
                            .collect(),
                    };
                    if destinations.is_empty() {
                        continue;
                    }
                    let declared = |same_protocol: bool| {
                        destinations.iter().any(|&e| {
                            net.endpoints.get(e).is_some_and(|ep| {
                                ep.ports.iter().any(|c| {
                                    c.name.as_deref() == Some(name.as_str())
                                        && (!same_protocol || c.protocol == protocol)
                                })
                            })
                        })
                    };
                    if declared(true) {
                        continue;
                    }
                    let why = if declared(false) {
                        format!(
                            "the pods declare `{name}` for another protocol than {}",
                            protocol.name()
                        )
                    } else {
                        format!(
                            "no container of the {} pods declares a port named `{name}`",
                            destinations.len()
                        )
                    };
                    let Some(object) = policy_object(ctx.inventory, policy) else {
                        continue;
                    };
                    let field = direction.field();
                    ctx.report(
                        &NAMED_PORT_UNDECLARED,
                        object,
                        pos,
                        &format!("spec.{field}[{}].ports[{i}]", rule.index),
                        format!(
                            "port `{name}` of {field} rule #{} of `{}` allows nothing: {why}",
                            rule.index + 1,
                            policy.full_name()
                        ),
                    );
                }
            }
        }
    }
}

/// NET012
fn invalid_policy(ctx: &mut Context<'_>) {
    let net = ctx.network();
    for policy in &net.policies {
        for problem in &policy.problems {
            let Some(object) = policy_object(ctx.inventory, policy) else {
                continue;
            };
            ctx.report(
                &INVALID_POLICY,
                object,
                problem.pos,
                &problem.path,
                format!("`{}` is invalid: {}", policy.full_name(), problem.message),
            );
        }
    }
}
