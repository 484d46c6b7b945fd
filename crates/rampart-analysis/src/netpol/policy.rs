//! NetworkPolicy objects compiled into the form the evaluator reads.
//!
//! Semantics follow `networking.k8s.io/v1` as the API server validates and defaults
//! it: `policyTypes` defaults to `Ingress`, plus `Egress` when the policy has egress
//! rules; a rule without `from`/`to` matches every peer, one without `ports` every
//! port; a peer's `podSelector` alone means the policy's namespace; a port without a
//! protocol is TCP; `endPort` extends a numeric port into a range.

use rampart_model::{Node, Object, Pos};

use super::ip::IpSet;
use super::ports::{PortSet, Protocol};
use crate::selector::LabelSelector;

/// A compiled NetworkPolicy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The index of its object in the inventory.
    pub object: usize,
    /// `spec.podSelector`.
    pub pod_selector: LabelSelector,
    /// `spec.ingress`, whether or not the policy isolates for ingress.
    pub ingress: Vec<Rule>,
    /// `spec.egress`, whether or not the policy isolates for egress.
    pub egress: Vec<Rule>,
    /// Whether the policy isolates the pods it selects for ingress, for egress
    /// (`policyTypes`, or its default).
    pub isolates: (bool, bool),
    /// What is invalid in it (the API server would reject the policy).
    pub problems: Vec<Problem>,
    /// Where `spec.podSelector` is written.
    pub selector_pos: Pos,
}

/// Something the API server would reject.
#[derive(Clone, Debug)]
pub struct Problem {
    /// The field path.
    pub path: String,
    /// Where.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

/// Which way a rule admits traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Into the selected pods.
    Ingress,
    /// Out of the selected pods.
    Egress,
}

impl Direction {
    /// `Ingress` or `Egress`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// The spec field that holds the rules.
    pub fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The rule field that lists peers.
    pub fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

/// One ingress or egress rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Its index in the policy's list.
    pub index: usize,
    /// The peers; `None` when the rule has no `from`/`to` (every peer).
    pub peers: Option<Vec<Peer>>,
    /// The ports; `None` when the rule has no `ports` (every port).
    pub ports: Option<Vec<PortRule>>,
    /// Where the rule is written.
    pub pos: Pos,
}

impl Rule {
    /// Whether the rule names a port by name (its connections depend on the pod).
    pub fn has_named_ports(&self) -> bool {
        self.ports
            .iter()
            .flatten()
            .any(|p| matches!(p.port, PortSpec::Named(_)))
    }
}

/// A peer of a rule.
#[derive(Clone, Debug)]
pub enum Peer {
    /// Pods chosen by namespace and pod selectors.
    Pods {
        /// Which namespaces.
        namespaces: Namespaces,
        /// Which pods in them; `None` for every pod.
        pods: Option<LabelSelector>,
        /// Where the peer is written.
        pos: Pos,
    },
    /// Addresses outside the cluster's pods.
    Ip {
        /// The addresses.
        set: IpSet,
        /// Where.
        pos: Pos,
    },
    /// `{}`: rejected by the API server ("must specify a peer"); read as every pod
    /// and address, which is what its author meant and the safe over-approximation.
    Everything {
        /// Where.
        pos: Pos,
    },
    /// A peer that cannot match (an invalid CIDR, say).
    Nothing {
        /// Where.
        pos: Pos,
    },
}

impl Peer {
    /// Where the peer is written.
    pub fn pos(&self) -> Pos {
        match self {
            Peer::Pods { pos, .. }
            | Peer::Ip { pos, .. }
            | Peer::Everything { pos }
            | Peer::Nothing { pos } => *pos,
        }
    }
}

/// The namespace part of a pod peer.
#[derive(Clone, Debug)]
pub enum Namespaces {
    /// No `namespaceSelector`: the policy's own namespace.
    Own(String),
    /// A `namespaceSelector`.
    Selector(LabelSelector),
}

/// One entry of `ports`.
#[derive(Clone, Debug)]
pub struct PortRule {
    /// The protocol (TCP when omitted).
    pub protocol: Protocol,
    /// The port.
    pub port: PortSpec,
    /// Where the entry is written.
    pub pos: Pos,
}

/// The port of a [`PortRule`].
#[derive(Clone, Debug)]
pub enum PortSpec {
    /// No `port`: every port of the protocol.
    All,
    /// A number, or `port`..`endPort`.
    Range(u16, u16),
    /// A named port, resolved against the destination pod's container ports.
    Named(String),
}

impl PortRule {
    /// The ports this entry allows towards a pod with these container ports
    /// (`None` for an address outside the cluster, where names never resolve).
    pub fn resolve(&self, container_ports: Option<&[ContainerPort]>) -> PortSet {
        match &self.port {
            PortSpec::All => PortSet::all(),
            PortSpec::Range(a, b) => PortSet::range(*a, *b),
            PortSpec::Named(name) => container_ports
                .unwrap_or_default()
                .iter()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .filter(|p| p.protocol == self.protocol)
                .map_or_else(PortSet::default, |p| PortSet::range(p.port, p.port)),
        }
    }
}

/// A container port of a pod.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPort {
    /// `name`, if any.
    pub name: Option<String>,
    /// `containerPort`.
    pub port: u16,
    /// `protocol` (TCP when omitted).
    pub protocol: Protocol,
}

impl Policy {
    /// Compiles a NetworkPolicy object (`networking.k8s.io`); `None` for other kinds.
    pub fn compile(object: &Object) -> Option<Policy> {
        if object.kind() != "NetworkPolicy" || object.group() != "networking.k8s.io" {
            return None;
        }
        let namespace = object.namespace().unwrap_or("default").to_string();
        let spec = object.root.get("spec");
        let mut problems = Vec::new();
        let selector_node = spec.and_then(|s| s.get("podSelector"));
        let pod_selector =
            selector_node.map_or_else(LabelSelector::everything, LabelSelector::parse);
        let types: Option<Vec<&str>> = spec
            .and_then(|s| s.get("policyTypes"))
            .and_then(Node::as_seq)
            .filter(|t| !t.is_empty())
            .map(|t| t.iter().filter_map(Node::as_str).collect());
        let has_egress_rules = spec
            .and_then(|s| s.get("egress"))
            .and_then(Node::as_seq)
            .is_some_and(|e| !e.is_empty());
        let affects = |d: Direction| match &types {
            Some(t) => t.contains(&d.name()),
            None => d == Direction::Ingress || has_egress_rules,
        };
        let isolates = (affects(Direction::Ingress), affects(Direction::Egress));
        let mut compile_rules = |d: Direction| -> Vec<Rule> {
            spec.and_then(|s| s.get(d.field()))
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, r)| compile_rule(r, i, d, &namespace, &mut problems))
                .collect()
        };
        let ingress = compile_rules(Direction::Ingress);
        let egress = compile_rules(Direction::Egress);
        Some(Policy {
            name: object.name().to_string(),
            object: object.index,
            pod_selector,
            ingress,
            egress,
            isolates,
            problems,
            selector_pos: selector_node.map_or_else(|| object.pos(), |n| n.pos),
            namespace,
        })
    }

    /// The rules for one direction, when the policy isolates for it.
    pub fn rules(&self, direction: Direction) -> Option<&[Rule]> {
        match direction {
            Direction::Ingress => self.isolates.0.then_some(self.ingress.as_slice()),
            Direction::Egress => self.isolates.1.then_some(self.egress.as_slice()),
        }
    }

    /// Every rule of one direction, isolating or not (ipBlocks cut the address space
    /// either way, as netpol-analyzer reads them).
    pub fn all_rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// `ns/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

fn compile_rule(
    rule: &Node,
    index: usize,
    direction: Direction,
    namespace: &str,
    problems: &mut Vec<Problem>,
) -> Rule {
    let base = format!("spec.{}[{index}]", direction.field());
    let peers = rule
        .get(direction.peers_field())
        .and_then(Node::as_seq)
        .filter(|p| !p.is_empty())
        .map(|list| {
            list.iter()
                .enumerate()
                .map(|(i, p)| {
                    let path = format!("{base}.{}[{i}]", direction.peers_field());
                    compile_peer(p, &path, namespace, problems)
                })
                .collect()
        });
    let ports = rule
        .get("ports")
        .and_then(Node::as_seq)
        .filter(|p| !p.is_empty())
        .map(|list| {
            list.iter()
                .enumerate()
                .filter_map(|(i, p)| compile_port(p, &format!("{base}.ports[{i}]"), problems))
                .collect()
        });
    Rule {
        index,
        peers,
        ports,
        pos: rule.pos,
    }
}

fn compile_peer(peer: &Node, path: &str, namespace: &str, problems: &mut Vec<Problem>) -> Peer {
    let pos = peer.pos;
    let pods = peer.get("podSelector").filter(|n| !n.is_null());
    let namespaces = peer.get("namespaceSelector").filter(|n| !n.is_null());
    let ip = peer.get("ipBlock").filter(|n| !n.is_null());
    let mut problem = |message: String| {
        problems.push(Problem {
            path: path.to_string(),
            pos,
            message,
        });
    };
    match (pods, namespaces, ip) {
        (None, None, None) => {
            problem("a peer must name a `podSelector`, a `namespaceSelector` or an `ipBlock`; the API server rejects `{}`".into());
            Peer::Everything { pos }
        }
        (_, _, Some(block)) => {
            if pods.is_some() || namespaces.is_some() {
                problem("`ipBlock` cannot be combined with `podSelector` or `namespaceSelector` in one peer".into());
            }
            let cidr = block.get("cidr").and_then(Node::as_str).unwrap_or_default();
            let except: Vec<String> = block
                .get("except")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::scalar_string)
                .collect();
            match IpSet::block(cidr, &except) {
                Ok(set) => Peer::Ip { set, pos },
                Err(e) => {
                    problem(format!("invalid `ipBlock`: {e}"));
                    Peer::Nothing { pos }
                }
            }
        }
        (pods, namespaces, None) => Peer::Pods {
            namespaces: namespaces.map_or_else(
                || Namespaces::Own(namespace.to_string()),
                |n| Namespaces::Selector(LabelSelector::parse(n)),
            ),
            pods: pods.map(LabelSelector::parse),
            pos,
        },
    }
}

fn compile_port(port: &Node, path: &str, problems: &mut Vec<Problem>) -> Option<PortRule> {
    let protocol = if let Some(p) = port.get("protocol").and_then(Node::as_str) {
        let Some(p) = Protocol::parse(p) else {
            problems.push(Problem {
                path: format!("{path}.protocol"),
                pos: port.get("protocol").map_or(port.pos, |n| n.pos),
                message: format!("unsupported protocol `{p}` (TCP, UDP or SCTP)"),
            });
            return None;
        };
        p
    } else {
        Protocol::Tcp
    };
    let spec = match port.get("port").filter(|n| !n.is_null()) {
        None => PortSpec::All,
        Some(n) => match n.as_i64().or_else(|| n.as_str()?.parse().ok()) {
            Some(number) => {
                let first = u16::try_from(number).unwrap_or(0);
                let last = port
                    .get("endPort")
                    .and_then(Node::as_i64)
                    .map_or(Some(first), |e| u16::try_from(e).ok())
                    .unwrap_or(0);
                if first == 0 || last < first {
                    problems.push(Problem {
                        path: format!("{path}.port"),
                        pos: n.pos,
                        message: format!("port range `{number}`..`{last}` is not within 1-65535 with `endPort` ≥ `port`"),
                    });
                }
                PortSpec::Range(first, last)
            }
            None => PortSpec::Named(n.as_str().unwrap_or_default().to_string()),
        },
    };
    Some(PortRule {
        protocol,
        port: spec,
        pos: port.pos,
    })
}
