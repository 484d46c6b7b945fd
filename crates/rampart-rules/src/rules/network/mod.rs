//! Rules for isolating pods with
//! [NetworkPolicy](https://kubernetes.io/docs/concepts/services-networking/network-policies/).
//!
//! They read one [`Network`] per run (`Context::network`): the semantics and the
//! reachability live in `rampart_analysis::netpol`, the rules only phrase findings.

mod exposure;
mod hygiene;
mod isolation;
mod namespace_without_network_policy;
mod nodes;

pub(crate) use exposure::{EXPOSED_UNISOLATED, METADATA_EGRESS};
pub(crate) use hygiene::{
    ALLOWS_EVERY_SOURCE, INVALID_POLICY, NAMED_PORT_UNDECLARED, PEER_MATCHES_NOTHING,
    SELECTS_NO_POD,
};
pub(crate) use isolation::{
    NO_DEFAULT_DENY_EGRESS, NO_DEFAULT_DENY_INGRESS, WORKLOAD_NOT_ISOLATED,
};
pub(crate) use namespace_without_network_policy::NAMESPACE_WITHOUT_NETWORK_POLICY;
pub(crate) use nodes::MIXED_LEVELS_ON_NODE;

use rampart_analysis::netpol::{Network, Policy, Workload};
use rampart_model::{Inventory, Node, Object, PodTemplate, Pos};

/// Where to report a namespace-wide finding: the Namespace object's name when it was
/// scanned, else the `metadata.namespace` of the namespace's first workload.
pub(super) fn namespace_anchor<'a>(
    inventory: &'a Inventory,
    ns: &str,
    first: usize,
) -> Option<(&'a Object, Pos, &'static str)> {
    let namespace_object = inventory.get("Namespace", None, ns);
    let object = namespace_object.or_else(|| inventory.objects.get(first))?;
    Some(match namespace_object {
        Some(n) => (
            n,
            n.root.path("metadata.name").map_or(n.pos(), |n| n.pos),
            "metadata.name",
        ),
        None => (
            object,
            object
                .root
                .path("metadata.namespace")
                .map_or(object.pos(), |n| n.pos),
            "metadata.namespace",
        ),
    })
}

/// Where to report a finding about a workload's pods: its pod template's metadata.
pub(super) fn template_anchor(
    inventory: &Inventory,
    object: usize,
) -> Option<(&Object, Pos, String)> {
    let object = inventory.objects.get(object)?;
    let pod = PodTemplate::of(object)?;
    let pos = pod.metadata.map_or_else(|| pod.spec_key_pos(), |m| m.pos);
    Some((object, pos, pod.metadata_path.to_string()))
}

/// The object of a policy.
pub(super) fn policy_object<'a>(inventory: &'a Inventory, policy: &Policy) -> Option<&'a Object> {
    inventory.objects.get(policy.object)
}

/// The workloads a policy's `podSelector` selects (indexes into `net.workloads`).
pub(super) fn selected_indices(net: &Network, policy: usize) -> Vec<usize> {
    let Some(p) = net.policies.get(policy) else {
        return Vec::new();
    };
    net.endpoints_in(&p.namespace)
        .iter()
        .filter(|&&e| {
            net.endpoints
                .get(e)
                .is_some_and(|ep| p.pod_selector.matches(&ep.labels))
        })
        .flat_map(|&e| net.workloads_of(e).iter().copied())
        .collect()
}

/// The workloads a policy's `podSelector` selects.
pub(super) fn selected_workloads(net: &Network, policy: usize) -> impl Iterator<Item = &Workload> {
    selected_indices(net, policy)
        .into_iter()
        .filter_map(|w| net.workloads.get(w))
}

/// The workloads a Service's selector sends traffic to (indexes into `net.workloads`).
pub(super) fn service_selected(net: &Network, service: &Object) -> Vec<usize> {
    let selector: Vec<(String, String)> = service
        .root
        .path("spec.selector")
        .and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|e| Some((e.key.to_string(), e.value.scalar_string()?)))
                .collect()
        })
        .unwrap_or_default();
    if selector.is_empty() {
        return Vec::new();
    }
    net.endpoints_in(service.namespace().unwrap_or("default"))
        .iter()
        .filter(|&&e| {
            net.endpoints
                .get(e)
                .is_some_and(|ep| selector.iter().all(|(k, v)| ep.labels.get(k) == Some(v)))
        })
        .flat_map(|&e| net.workloads_of(e).iter().copied())
        .collect()
}

/// The workloads a Service's selector sends traffic to.
pub(super) fn service_endpoints<'a>(
    net: &'a Network,
    service: &'a Object,
) -> impl Iterator<Item = &'a Workload> {
    service_selected(net, service)
        .into_iter()
        .filter_map(|w| net.workloads.get(w))
}

/// The workloads that are public on purpose: annotated `rampart.dev/public: "true"`, or
/// behind a LoadBalancer or NodePort Service, or behind an Ingress. Computed once per
/// rule run (a set of workload indexes).
pub(super) fn public_workloads(
    inventory: &Inventory,
    net: &Network,
) -> std::collections::HashSet<usize> {
    let mut out = std::collections::HashSet::new();
    for (w, workload) in net.workloads.iter().enumerate() {
        let annotated = inventory
            .objects
            .get(workload.object)
            .and_then(PodTemplate::of)
            .and_then(|p| p.annotation("rampart.dev/public"))
            == Some("true");
        if annotated {
            out.insert(w);
        }
    }
    let mut backends: std::collections::HashSet<(String, String)> =
        std::collections::HashSet::new();
    for (_, ing) in inventory.of_kind("Ingress") {
        let ns = ing.namespace().unwrap_or("default").to_string();
        if let Some(n) = ing
            .root
            .path("spec.defaultBackend.service.name")
            .and_then(Node::scalar_string)
        {
            backends.insert((ns.clone(), n));
        }
        for rule in ing
            .root
            .path("spec.rules")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            for path in rule
                .path("http.paths")
                .and_then(Node::as_seq)
                .unwrap_or_default()
            {
                if let Some(n) = path
                    .path("backend.service.name")
                    .and_then(Node::scalar_string)
                {
                    backends.insert((ns.clone(), n));
                }
            }
        }
    }
    for (_, svc) in inventory.of_kind("Service") {
        let ns = svc.namespace().unwrap_or("default");
        let exposed = matches!(
            svc.root.path("spec.type").and_then(Node::as_str),
            Some("LoadBalancer" | "NodePort")
        ) || backends.contains(&(ns.to_string(), svc.name().to_string()));
        if exposed {
            out.extend(service_selected(net, svc));
        }
    }
    out
}
