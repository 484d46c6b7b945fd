//! Reachable from where it should not be: NET006, NET010.

use std::collections::BTreeMap;

use rampart_analysis::netpol::{Direction, IpRange, Party};

use super::{policy_object, service_endpoints};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

/// The link-local metadata addresses of the big clouds (AWS, GCP, Azure, OpenStack,
/// and AWS's IPv6 one).
const METADATA: &[&str] = &["169.254.169.254", "fd00:ec2::254"];

declare_rule! {
    /// ## What it does
    /// Checks for egress NetworkPolicy rules that let pods reach the cloud metadata
    /// address `169.254.169.254` (or AWS's `fd00:ec2::254`): an `ipBlock` that covers
    /// it without an `except`, or a rule with no `to` at all.
    ///
    /// Only pods isolated for egress are checked here; namespaces without any egress
    /// isolation are NET003's.
    ///
    /// ## Why is this bad?
    /// The metadata service hands out the node's cloud credentials and bootstrap data
    /// to anyone who asks from the node's network. A compromised pod that reaches it can
    /// act as the node in the cloud account — a classic path from one pod to the whole
    /// cluster.
    ///
    /// ## Example
    /// ```yaml
    /// egress:
    /// - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// egress:
    /// - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]
    /// ```
    ///
    /// ## Remediation
    /// Add `169.254.169.254/32` to the `except` list of wide `ipBlock`s, and give pods
    /// cloud access through workload identity instead of the node's credentials.
    ///
    /// ## References
    /// - [Kubernetes: Securing a cluster, restricting cloud metadata API access](https://kubernetes.io/docs/tasks/administer-cluster/securing-a-cluster/#restricting-cloud-metadata-api-access)
    pub(crate) METADATA_EGRESS {
        code: "NET006",
        name: "egress-to-cloud-metadata-allowed",
        practice: Network,
        severity: High,
        status: Stable { since: "0.2.0" },
        check: Check::Inventory(metadata_egress),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks for Services of type `LoadBalancer` or `NodePort` whose pods no ingress
    /// NetworkPolicy isolates.
    ///
    /// ## Why is this bad?
    /// The Service opens the pods to the outside world (a NodePort on every node's
    /// address), and nothing narrows who may connect or on which ports: every
    /// container port of those pods is reachable, not only the Service's.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Service
    /// spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 443}]}
    /// # ...and no policy selects app: web
    /// ```
    ///
    /// Use instead: a NetworkPolicy selecting `app: web` that admits only the Service's
    /// port (and, where the load balancer preserves them, only its source ranges).
    ///
    /// ## Remediation
    /// Select the pods with an ingress policy that allows exactly the exposed ports.
    ///
    /// ## References
    /// - [Kubernetes: Service type LoadBalancer](https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer)
    pub(crate) EXPOSED_UNISOLATED {
        code: "NET010",
        name: "exposed-service-without-ingress-policy",
        practice: Network,
        severity: High,
        status: Stable { since: "0.2.0" },
        check: Check::Inventory(exposed_unisolated),
    }
}

/// NET006
fn metadata_egress(ctx: &mut Context<'_>) {
    let net = ctx.network();
    let targets: Vec<IpRange> = METADATA
        .iter()
        .filter_map(|a| IpRange::parse(a).ok())
        .collect();
    // (policy, direction rule) -> (workloads, address, connections)
    let mut by_rule: BTreeMap<(usize, usize), (Vec<String>, String, String)> = BTreeMap::new();
    for w in net.workloads.iter().filter(|w| !w.host_network) {
        if net.isolating(w.endpoint, Direction::Egress).is_empty() {
            continue;
        }
        for target in &targets {
            let verdict = net.explain(Party::Endpoint(w.endpoint), Party::External(*target));
            let Some(first) = verdict.egress.allowed_by.first() else {
                continue;
            };
            let entry = by_rule
                .entry((first.policy, first.rule))
                .or_insert_with(|| (Vec::new(), target.to_string(), verdict.conns.to_string()));
            if !entry.0.contains(&w.to_string()) {
                entry.0.push(w.to_string());
            }
        }
    }
    for ((p, r), (workloads, address, conns)) in by_rule {
        let Some(policy) = net.policies.get(p) else {
            continue;
        };
        let Some(rule) = policy.egress.get(r) else {
            continue;
        };
        let Some(object) = policy_object(ctx.inventory, policy) else {
            continue;
        };
        let address = address.split('-').next().unwrap_or_default().to_string();
        let more = match workloads.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        ctx.report(
            &METADATA_EGRESS,
            object,
            rule.pos,
            &format!("spec.egress[{r}]"),
            format!(
                "egress rule #{} of `{}` lets `{}`{more} reach the cloud metadata address {address} ({conns})",
                r + 1,
                policy.full_name(),
                workloads.first().map_or("", String::as_str),
            ),
        )
        .help("add `169.254.169.254/32` to the `except` list of the rule's `ipBlock`, or name the real destinations");
    }
}

/// NET010
fn exposed_unisolated(ctx: &mut Context<'_>) {
    let net = ctx.network();
    for (_, service) in ctx.inventory.of_kind("Service") {
        let Some(kind) = service.root.path("spec.type") else {
            continue;
        };
        let Some(kind_text) = kind
            .as_str()
            .filter(|t| matches!(*t, "LoadBalancer" | "NodePort"))
        else {
            continue;
        };
        let open: Vec<String> = service_endpoints(net, service)
            .filter(|w| !w.host_network && net.isolating(w.endpoint, Direction::Ingress).is_empty())
            .map(ToString::to_string)
            .collect();
        let Some(first) = open.first() else {
            continue;
        };
        let more = match open.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        ctx.report(
            &EXPOSED_UNISOLATED,
            service,
            kind.pos,
            "spec.type",
            format!(
                "{kind_text} Service `{}` exposes `{first}`{more}, which no ingress NetworkPolicy isolates: every port of its pods is open to anyone who reaches the nodes",
                service.name()
            ),
        );
    }
}
