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

/// The workloads a policy's `podSelector` selects.
pub(super) fn selected_workloads(net: &Network, policy: usize) -> impl Iterator<Item = &Workload> {
    let policy = net.policies.get(policy);
    net.workloads.iter().filter(move |w| {
        policy.is_some_and(|p| {
            p.namespace == w.namespace
                && net
                    .endpoints
                    .get(w.endpoint)
                    .is_some_and(|e| p.pod_selector.matches(&e.labels))
        })
    })
}

/// The workloads a Service's selector sends traffic to.
pub(super) fn service_endpoints<'a>(
    net: &'a Network,
    service: &'a Object,
) -> impl Iterator<Item = &'a Workload> {
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
    let namespace = service.namespace().unwrap_or("default");
    net.workloads.iter().filter(move |w| {
        !selector.is_empty()
            && w.namespace == namespace
            && net
                .endpoints
                .get(w.endpoint)
                .is_some_and(|e| selector.iter().all(|(k, v)| e.labels.get(k) == Some(v)))
    })
}

/// Whether a workload is public on purpose: annotated `rampart.dev/public: "true"`, or
/// behind a LoadBalancer or NodePort Service, or behind an Ingress.
pub(super) fn is_public(inventory: &Inventory, net: &Network, workload: &Workload) -> bool {
    let annotated = inventory
        .objects
        .get(workload.object)
        .and_then(PodTemplate::of)
        .and_then(|p| p.annotation("rampart.dev/public"))
        == Some("true");
    if annotated {
        return true;
    }
    let ingress_backends: Vec<(&str, String)> = inventory
        .of_kind("Ingress")
        .flat_map(|(_, ing)| {
            let ns = ing.namespace().unwrap_or("default");
            let mut names = Vec::new();
            if let Some(n) = ing
                .root
                .path("spec.defaultBackend.service.name")
                .and_then(Node::scalar_string)
            {
                names.push((ns, n));
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
                        names.push((ns, n));
                    }
                }
            }
            names
        })
        .collect();
    inventory.of_kind("Service").any(|(_, svc)| {
        let ns = svc.namespace().unwrap_or("default");
        let exposed = matches!(
            svc.root.path("spec.type").and_then(Node::as_str),
            Some("LoadBalancer" | "NodePort")
        ) || ingress_backends
            .iter()
            .any(|(n, name)| *n == ns && name == svc.name());
        exposed && service_endpoints(net, svc).any(|w| std::ptr::eq(w, workload))
    })
}
