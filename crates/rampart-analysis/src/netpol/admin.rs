//! AdminNetworkPolicy and BaselineAdminNetworkPolicy (`policy.networking.k8s.io/v1alpha1`).
//!
//! Cluster-scoped tiers around NetworkPolicy, per direction: AdminNetworkPolicies by
//! ascending `priority`, each rule in order, decide Allow, Deny or Pass for the traffic
//! they match (the first match wins); what they pass or do not match goes to the
//! NetworkPolicies when one isolates the pod, and otherwise to the single
//! BaselineAdminNetworkPolicy (Allow or Deny, first match), and otherwise is allowed.
//! Unlike NetworkPolicy, admin rules never isolate implicitly. Reference:
//! <https://network-policy-api.sigs.k8s.io/api-overview/>.

use rampart_model::{Node, Object, Pos};

use super::ip::IpSet;
use super::policy::{ContainerPort, Direction};
use super::ports::{ConnSet, PortSet, Protocol};
use crate::selector::LabelSelector;

/// What an admin rule does with the traffic it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Allowed, whatever lower tiers say.
    Allow,
    /// Denied, whatever lower tiers say.
    Deny,
    /// Decided by NetworkPolicies (or the baseline).
    Pass,
}

impl Action {
    /// `Allow`, `Deny`, `Pass`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
            Action::Pass => "Pass",
        }
    }
}

/// Pods chosen by namespace labels, or by namespace and pod labels.
#[derive(Clone, Debug)]
pub enum Selection {
    /// `namespaces`: every pod of the matching namespaces.
    Namespaces(LabelSelector),
    /// `pods`: matching pods of matching namespaces.
    Pods(LabelSelector, LabelSelector),
}

impl Selection {
    fn parse(node: &Node) -> Option<Selection> {
        if let Some(ns) = node.get("namespaces").filter(|n| !n.is_null()) {
            return Some(Selection::Namespaces(LabelSelector::parse(ns)));
        }
        let pods = node.get("pods").filter(|n| !n.is_null())?;
        let selector = |key: &str| {
            pods.get(key)
                .filter(|n| !n.is_null())
                .map_or_else(LabelSelector::everything, LabelSelector::parse)
        };
        Some(Selection::Pods(
            selector("namespaceSelector"),
            selector("podSelector"),
        ))
    }

    /// Whether a pod with these namespace and pod labels is selected.
    pub fn matches(
        &self,
        namespace_labels: &std::collections::BTreeMap<String, String>,
        pod_labels: &std::collections::BTreeMap<String, String>,
    ) -> bool {
        match self {
            Selection::Namespaces(ns) => ns.matches(namespace_labels),
            Selection::Pods(ns, pods) => ns.matches(namespace_labels) && pods.matches(pod_labels),
        }
    }
}

/// A peer of an admin rule.
#[derive(Clone, Debug)]
pub enum AdminPeer {
    /// Pods.
    Pods(Selection),
    /// `networks` (egress only): one set per CIDR.
    Networks(Vec<IpSet>),
    /// `nodes` (egress only): node addresses, which the manifests do not tell; never
    /// matched.
    Nodes,
}

/// An entry of an admin rule's `ports`.
#[derive(Clone, Debug)]
pub enum AdminPort {
    /// `portNumber`.
    Number(Protocol, u16),
    /// `namedPort`: the destination container port of that name, with its protocol.
    Named(String),
    /// `portRange`.
    Range(Protocol, u16, u16),
}

/// One ingress or egress rule of an admin policy.
#[derive(Clone, Debug)]
pub struct AdminRule {
    /// `name`.
    pub name: String,
    /// `action`.
    pub action: Action,
    /// `from` / `to`.
    pub peers: Vec<AdminPeer>,
    /// `ports`; `None` for every port.
    pub ports: Option<Vec<AdminPort>>,
    /// Where the rule is written.
    pub pos: Pos,
}

impl AdminRule {
    /// What the rule covers towards a destination with these container ports (`None`
    /// for an address outside the cluster).
    pub fn conns(&self, ports: Option<&[ContainerPort]>) -> ConnSet {
        let Some(list) = &self.ports else {
            return ConnSet::all();
        };
        let mut out = ConnSet::none();
        for p in list {
            match p {
                AdminPort::Number(protocol, n) => out.add(*protocol, &PortSet::range(*n, *n)),
                AdminPort::Range(protocol, a, b) => out.add(*protocol, &PortSet::range(*a, *b)),
                AdminPort::Named(name) => {
                    if let Some(c) = ports
                        .unwrap_or_default()
                        .iter()
                        .find(|c| c.name.as_deref() == Some(name.as_str()))
                    {
                        out.add(c.protocol, &PortSet::range(c.port, c.port));
                    }
                }
            }
        }
        out
    }

    /// Whether a rule names a port by name.
    pub fn has_named_ports(&self) -> bool {
        self.ports
            .iter()
            .flatten()
            .any(|p| matches!(p, AdminPort::Named(_)))
    }
}

/// An AdminNetworkPolicy, or the BaselineAdminNetworkPolicy (`priority` is `None`).
#[derive(Clone, Debug)]
pub struct AdminPolicy {
    /// Its name.
    pub name: String,
    /// `spec.priority` (lower wins); `None` for the baseline.
    pub priority: Option<i64>,
    /// `spec.subject`; `None` when invalid (selects nothing).
    pub subject: Option<Selection>,
    /// `spec.ingress`.
    pub ingress: Vec<AdminRule>,
    /// `spec.egress`.
    pub egress: Vec<AdminRule>,
    /// The index of its object in the inventory.
    pub object: usize,
}

impl AdminPolicy {
    /// Compiles an AdminNetworkPolicy or BaselineAdminNetworkPolicy object.
    pub fn compile(object: &Object) -> Option<AdminPolicy> {
        let baseline = match object.kind() {
            "AdminNetworkPolicy" => false,
            "BaselineAdminNetworkPolicy" => true,
            _ => return None,
        };
        if object.group() != "policy.networking.k8s.io" {
            return None;
        }
        let spec = object.root.get("spec");
        let rules = |d: Direction| -> Vec<AdminRule> {
            spec.and_then(|s| s.get(d.field()))
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|r| compile_rule(r, d, baseline))
                .collect()
        };
        Some(AdminPolicy {
            name: object.name().to_string(),
            priority: if baseline {
                None
            } else {
                Some(
                    spec.and_then(|s| s.get("priority"))
                        .and_then(Node::as_i64)
                        .unwrap_or(0),
                )
            },
            subject: spec
                .and_then(|s| s.get("subject"))
                .and_then(Selection::parse),
            ingress: rules(Direction::Ingress),
            egress: rules(Direction::Egress),
            object: object.index,
        })
    }

    /// The rules of one direction.
    pub fn rules(&self, direction: Direction) -> &[AdminRule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// `[ANP] name` or `[BANP] name`.
    pub fn full_name(&self) -> String {
        match self.priority {
            Some(_) => format!("[ANP] {}", self.name),
            None => format!("[BANP] {}", self.name),
        }
    }
}

fn compile_rule(rule: &Node, direction: Direction, baseline: bool) -> Option<AdminRule> {
    let action = match rule.get("action").and_then(Node::as_str)? {
        "Allow" => Action::Allow,
        "Deny" => Action::Deny,
        "Pass" if !baseline => Action::Pass,
        _ => return None,
    };
    let peers = rule
        .get(direction.peers_field())
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            if let Some(networks) = p.get("networks").and_then(Node::as_seq) {
                let sets = networks
                    .iter()
                    .filter_map(Node::as_str)
                    .filter_map(|cidr| IpSet::block(cidr, &[]).ok())
                    .collect();
                return Some(AdminPeer::Networks(sets));
            }
            if p.get("nodes").is_some_and(|n| !n.is_null()) {
                return Some(AdminPeer::Nodes);
            }
            Selection::parse(p).map(AdminPeer::Pods)
        })
        .collect();
    let ports = rule.get("ports").and_then(Node::as_seq).map(|list| {
        list.iter()
            .filter_map(|p| {
                let protocol = |n: &Node| {
                    n.get("protocol")
                        .and_then(Node::as_str)
                        .map_or(Some(Protocol::Tcp), Protocol::parse)
                };
                let port = |n: &Node, key: &str| {
                    n.get(key)
                        .and_then(Node::as_i64)
                        .and_then(|v| u16::try_from(v).ok())
                };
                if let Some(n) = p.get("portNumber") {
                    return Some(AdminPort::Number(protocol(n)?, port(n, "port")?));
                }
                if let Some(name) = p.get("namedPort").and_then(Node::as_str) {
                    return Some(AdminPort::Named(name.to_string()));
                }
                let r = p.get("portRange")?;
                Some(AdminPort::Range(
                    protocol(r)?,
                    port(r, "start")?,
                    port(r, "end")?,
                ))
            })
            .collect()
    });
    Some(AdminRule {
        name: rule
            .get("name")
            .and_then(Node::scalar_string)
            .unwrap_or_default(),
        action,
        peers,
        ports,
        pos: rule.pos,
    })
}
