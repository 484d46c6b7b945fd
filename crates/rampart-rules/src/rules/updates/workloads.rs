//! What the rollout and disruption rules share: replica counts, the Services and
//! PodDisruptionBudgets that select a workload's pods, and controlled objects.

use std::collections::BTreeMap;

use rampart_analysis::selector::{LabelSelector, labels_of};
use rampart_model::{Inventory, Node, Object, PodTemplate, Pos};

/// Kinds that keep a number of identical replicas.
pub(crate) const REPLICATED: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
];

/// A workload's replica count and where it is written.
pub(crate) struct Replicas<'a> {
    /// Replicas: `spec.replicas` (1 when unset), or the `minReplicas` of a
    /// HorizontalPodAutoscaler that scales the workload.
    pub(crate) count: i64,
    /// The `spec.replicas` node, if written.
    pub(crate) node: Option<&'a Node>,
    /// The autoscaler, if one scales the workload.
    pub(crate) autoscaler: Option<&'a Object>,
}

impl Replicas<'_> {
    /// The position to report a finding about the replica count at.
    pub(crate) fn pos(&self, object: &Object) -> Pos {
        self.node.map_or_else(
            || {
                object
                    .root
                    .entry("spec")
                    .map_or(object.pos(), |e| e.key_pos)
            },
            |n| n.pos,
        )
    }
}

/// The replicas of a replicated workload; `None` for other kinds or an unreadable count.
pub(crate) fn replicas<'a>(inventory: &'a Inventory, object: &'a Object) -> Option<Replicas<'a>> {
    if !REPLICATED.contains(&object.kind()) {
        return None;
    }
    let node = object.root.path("spec.replicas").filter(|n| !n.is_null());
    let count = match node {
        Some(n) => n.as_i64()?,
        None => 1,
    };
    let autoscaler = inventory
        .of_kind("HorizontalPodAutoscaler")
        .map(|(_, h)| h)
        .find(|h| {
            h.namespace() == object.namespace()
                && h.root
                    .path("spec.scaleTargetRef.kind")
                    .and_then(Node::as_str)
                    == Some(object.kind())
                && h.root
                    .path("spec.scaleTargetRef.name")
                    .and_then(Node::as_str)
                    == Some(object.name())
        });
    let count = match autoscaler {
        Some(h) => h
            .root
            .path("spec.minReplicas")
            .and_then(Node::as_i64)
            .unwrap_or(1),
        None => count,
    };
    Some(Replicas {
        count,
        node,
        autoscaler,
    })
}

/// Whether a controller owns the object (a ReplicaSet of a Deployment, a Pod of a
/// ReplicaSet): its owner is judged instead.
pub(crate) fn is_controlled(object: &Object) -> bool {
    controller(object).is_some()
}

/// The controlling owner reference (`kind`, `name`, `uid`), unless it is a Node
/// (mirror pods).
pub(crate) fn controller(object: &Object) -> Option<(&str, &str, &str)> {
    let refs = object.root.path("metadata.ownerReferences")?.as_seq()?;
    let owner = refs
        .iter()
        .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))?;
    let kind = owner.get("kind").and_then(Node::as_str).unwrap_or_default();
    if kind == "Node" {
        return None;
    }
    Some((
        kind,
        owner.get("name").and_then(Node::as_str).unwrap_or_default(),
        owner.get("uid").and_then(Node::as_str).unwrap_or_default(),
    ))
}

/// The labels of a pod template.
pub(crate) fn pod_labels(pod: &PodTemplate<'_>) -> BTreeMap<String, String> {
    labels_of(pod.metadata)
}

/// Services in the namespace whose selector selects pods with these labels.
pub(crate) fn selecting_services<'a>(
    inventory: &'a Inventory,
    namespace: Option<&str>,
    labels: &BTreeMap<String, String>,
) -> Vec<&'a Object> {
    inventory
        .of_kind("Service")
        .map(|(_, s)| s)
        .filter(|s| s.namespace() == namespace)
        .filter(|s| s.root.path("spec.type").and_then(Node::as_str) != Some("ExternalName"))
        .filter(|s| {
            let Some(selector) = s.root.path("spec.selector").and_then(Node::as_map) else {
                return false;
            };
            !selector.is_empty()
                && selector.iter().all(|e| {
                    e.value
                        .scalar_string()
                        .is_some_and(|v| labels.get(&*e.key) == Some(&v))
                })
        })
        .collect()
}

/// Whether a PodDisruptionBudget selects pods with these labels (an unset selector
/// selects nothing; an empty one everything in `policy/v1`, nothing in `v1beta1`).
pub(crate) fn budget_selects(budget: &Object, labels: &BTreeMap<String, String>) -> bool {
    let Some(node) = budget.root.path("spec.selector").filter(|n| !n.is_null()) else {
        return false;
    };
    let selector = LabelSelector::parse(node);
    if selector.is_everything() && budget.id.api_version == "policy/v1beta1" {
        return false;
    }
    selector.matches(labels)
}

/// PodDisruptionBudgets in the namespace that select pods with these labels.
pub(crate) fn selecting_budgets<'a>(
    inventory: &'a Inventory,
    namespace: Option<&str>,
    labels: &BTreeMap<String, String>,
) -> Vec<&'a Object> {
    inventory
        .of_kind("PodDisruptionBudget")
        .map(|(_, b)| b)
        .filter(|b| b.namespace() == namespace && budget_selects(b, labels))
        .collect()
}

/// An `IntOrString` count (`2` or `"50%"`) of `total`, rounded down as the controllers
/// round `maxUnavailable`; `None` when unreadable.
pub(crate) fn scaled_down(node: &Node, total: i64) -> Option<i64> {
    if let Some(n) = node.as_i64() {
        return Some(n);
    }
    let percent: i64 = node.as_str()?.trim().strip_suffix('%')?.parse().ok()?;
    Some(percent.saturating_mul(total) / 100)
}

/// The percentage of an `IntOrString` written as `"N%"`.
pub(crate) fn percent(node: &Node) -> Option<i64> {
    node.as_str()?.trim().strip_suffix('%')?.parse().ok()
}
