//! NetworkPolicy semantics and reachability.
//!
//! A pod is isolated for ingress (egress) when at least one policy in its namespace
//! selects it and has that policy type; an isolated pod accepts (sends) only what the
//! union of those policies' rules allows; a connection needs both the source's egress
//! and the destination's ingress. Reference:
//! <https://kubernetes.io/docs/concepts/services-networking/network-policies/> and the
//! `networking.k8s.io/v1` API.
//!
//! Pods are grouped into *endpoints*: distinct (namespace, labels, container ports)
//! signatures. Every policy question depends only on those, so the connectivity
//! matrix costs endpoints², not pods², however many replicas and workloads share one.
//! Addresses outside the cluster are cut into pieces at every `ipBlock` edge (sources
//! from ingress rules, destinations from egress rules), as np-guard's netpol-analyzer
//! does, so its connectivity lists can be compared line by line.

pub mod ip;
pub mod policy;
pub mod ports;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use rampart_model::{Inventory, Node, PodTemplate};
use rayon::prelude::*;

pub use ip::{IpRange, IpSet};
pub use policy::{ContainerPort, Direction, Peer, Policy, PortRule, Rule};
pub use ports::{ConnSet, PortSet, Protocol};

use crate::selector::labels_of;

/// The label every namespace carries with its own name (set by the API server).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// How pods are named in results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// A pod with a controlling owner is shown as its owner (`ns/name[ReplicaSet]`).
    Workload,
    /// Every Pod object is shown by its own name.
    Pod,
}

/// A distinct pod signature: every pod with these is treated alike by every policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// The namespace.
    pub namespace: String,
    /// The pod labels.
    pub labels: BTreeMap<String, String>,
    /// The container ports (for named ports).
    pub ports: Vec<ContainerPort>,
}

/// A workload (or a pod, at pod level).
#[derive(Clone, Debug)]
pub struct Workload {
    /// The namespace.
    pub namespace: String,
    /// The name.
    pub name: String,
    /// The kind (`Deployment`; `Pod` for a pod without a controlling owner).
    pub kind: String,
    /// The index of the first object that produced it.
    pub object: usize,
    /// Its endpoint.
    pub endpoint: usize,
    /// Whether its pods use the node's network (`hostNetwork: true`), where
    /// NetworkPolicy does not reach them.
    pub host_network: bool,
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}[{}]", self.namespace, self.name, self.kind)
    }
}

/// One side of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// Pods of an endpoint.
    Endpoint(usize),
    /// Addresses outside the cluster's pods.
    External(IpRange),
}

/// A rule that allowed part of a connection.
#[derive(Clone, Debug)]
pub struct Allowance {
    /// The policy (index into [`Network::policies`]).
    pub policy: usize,
    /// Which list the rule is in.
    pub direction: Direction,
    /// The rule's index in the policy.
    pub rule: usize,
    /// What it allows.
    pub conns: ConnSet,
}

/// How one side (the source's egress or the destination's ingress) decides.
#[derive(Clone, Debug, Default)]
pub struct SideVerdict {
    /// The policies that isolate this side (empty: not isolated, everything allowed).
    pub isolated_by: Vec<usize>,
    /// The rules that allow something.
    pub allowed_by: Vec<Allowance>,
    /// What this side allows.
    pub conns: ConnSet,
}

/// Why a connection is allowed or denied.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The source's egress.
    pub egress: SideVerdict,
    /// The destination's ingress.
    pub ingress: SideVerdict,
    /// What is allowed end to end.
    pub conns: ConnSet,
}

/// One allowed connection of a connectivity list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Connection {
    /// The source (`ns/name[Kind]` or `first-last[External]`).
    pub src: String,
    /// The destination.
    pub dst: String,
    /// What is allowed.
    pub conns: ConnSet,
}

/// Pods, namespaces and policies, ready for reachability questions.
#[derive(Debug)]
pub struct Network {
    /// Every NetworkPolicy.
    pub policies: Vec<Policy>,
    /// Distinct pod signatures.
    pub endpoints: Vec<Endpoint>,
    /// Workloads (or pods), sorted by their text form.
    pub workloads: Vec<Workload>,
    namespaces: HashMap<String, BTreeMap<String, String>>,
    isolating: [Vec<Vec<usize>>; 2],
}

fn by_direction<T>(pair: &[T; 2], d: Direction) -> &T {
    match d {
        Direction::Ingress => &pair[0],
        Direction::Egress => &pair[1],
    }
}

/// The kinds whose pods NetworkPolicy sees (PodTemplate objects run nothing).
const POD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
];

impl Network {
    /// Reads pods, workloads, namespaces and NetworkPolicies from the inventory.
    pub fn build(inventory: &Inventory, level: Level) -> Network {
        let mut namespaces: HashMap<String, BTreeMap<String, String>> = HashMap::new();
        for (_, ns) in inventory.of_kind("Namespace") {
            if ns.id.api_version != "v1" {
                continue;
            }
            let mut labels = labels_of(ns.metadata());
            labels.insert(NAMESPACE_NAME_LABEL.into(), ns.name().to_string());
            namespaces.insert(ns.name().to_string(), labels);
        }
        let policies: Vec<Policy> = inventory
            .of_kind("NetworkPolicy")
            .filter_map(|(_, o)| Policy::compile(o))
            .collect();

        let mut endpoint_ids: HashMap<Endpoint, usize> = HashMap::new();
        let mut endpoints = Vec::new();
        let mut seen: HashSet<(String, String, String)> = HashSet::new();
        let mut workloads = Vec::new();
        for &kind in POD_KINDS {
            for (index, object) in inventory.of_kind(kind) {
                let Some(template) = PodTemplate::of(object) else {
                    continue;
                };
                let namespace = object.namespace().unwrap_or("default").to_string();
                let (name, kind) = match (level, owner(object.metadata())) {
                    (Level::Workload, Some((name, kind))) if object.kind() == "Pod" => {
                        (name, if kind.is_empty() { "Pod".into() } else { kind })
                    }
                    _ => (object.name().to_string(), object.kind().to_string()),
                };
                if !seen.insert((namespace.clone(), name.clone(), kind.clone())) {
                    continue;
                }
                namespaces.entry(namespace.clone()).or_insert_with(|| {
                    BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), namespace.clone())])
                });
                let endpoint = Endpoint {
                    namespace: namespace.clone(),
                    labels: labels_of(template.metadata),
                    ports: container_ports(&template),
                };
                let next = endpoints.len();
                let id = *endpoint_ids.entry(endpoint.clone()).or_insert(next);
                if id == next {
                    endpoints.push(endpoint);
                }
                workloads.push(Workload {
                    namespace,
                    name,
                    kind,
                    object: index,
                    endpoint: id,
                    host_network: template.field("hostNetwork").and_then(Node::as_bool)
                        == Some(true),
                });
            }
        }
        workloads.sort_by_cached_key(ToString::to_string);

        let mut isolating = [
            vec![Vec::new(); endpoints.len()],
            vec![Vec::new(); endpoints.len()],
        ];
        for (p, policy) in policies.iter().enumerate() {
            for (e, endpoint) in endpoints.iter().enumerate() {
                if endpoint.namespace != policy.namespace
                    || !policy.pod_selector.matches(&endpoint.labels)
                {
                    continue;
                }
                let [ingress, egress] = &mut isolating;
                for (d, lists) in [(Direction::Ingress, ingress), (Direction::Egress, egress)] {
                    if policy.rules(d).is_some()
                        && let Some(list) = lists.get_mut(e)
                    {
                        list.push(p);
                    }
                }
            }
        }
        Network {
            policies,
            endpoints,
            workloads,
            namespaces,
            isolating,
        }
    }

    /// The labels of a namespace (with the name label), if any pod or object names it.
    pub fn namespace_labels(&self, namespace: &str) -> Option<&BTreeMap<String, String>> {
        self.namespaces.get(namespace)
    }

    /// Every namespace known to the network.
    pub fn namespaces(&self) -> impl Iterator<Item = (&str, &BTreeMap<String, String>)> {
        self.namespaces.iter().map(|(n, l)| (n.as_str(), l))
    }

    /// The policies that isolate an endpoint in one direction.
    pub fn isolating(&self, endpoint: usize, direction: Direction) -> &[usize] {
        by_direction(&self.isolating, direction)
            .get(endpoint)
            .map_or(&[], Vec::as_slice)
    }

    /// Whether a peer of `policy` matches a party.
    pub fn peer_matches(&self, policy: &Policy, peer: &Peer, party: Party) -> bool {
        let _ = policy;
        match (peer, party) {
            (Peer::Everything { .. }, _) => true,
            (Peer::Ip { set, .. }, Party::External(range)) => set.contains(&range),
            (Peer::Nothing { .. } | Peer::Ip { .. }, _)
            | (Peer::Pods { .. }, Party::External(_)) => false,
            (
                Peer::Pods {
                    namespaces, pods, ..
                },
                Party::Endpoint(e),
            ) => {
                let Some(endpoint) = self.endpoints.get(e) else {
                    return false;
                };
                let in_namespace = match namespaces {
                    policy::Namespaces::Own(ns) => *ns == endpoint.namespace,
                    policy::Namespaces::Selector(s) => self
                        .namespaces
                        .get(&endpoint.namespace)
                        .is_some_and(|labels| s.matches(labels)),
                };
                in_namespace && pods.as_ref().is_none_or(|s| s.matches(&endpoint.labels))
            }
        }
    }

    /// Whether a rule's peers match a party (a rule without peers matches every one).
    pub fn rule_matches(&self, policy: &Policy, rule: &Rule, party: Party) -> bool {
        rule.peers
            .as_ref()
            .is_none_or(|peers| peers.iter().any(|p| self.peer_matches(policy, p, party)))
    }

    fn ports_of(&self, party: Party) -> Option<&[ContainerPort]> {
        match party {
            Party::Endpoint(e) => self.endpoints.get(e).map(|e| e.ports.as_slice()),
            Party::External(_) => None,
        }
    }

    /// How one side decides: `owner` is the endpoint whose policies apply (the
    /// destination for ingress, the source for egress), `other` the far end, and
    /// `dst` the destination (whose container ports resolve named ports).
    fn side(&self, direction: Direction, owner: usize, other: Party, dst: Party) -> SideVerdict {
        let isolated_by = self.isolating(owner, direction).to_vec();
        if isolated_by.is_empty() {
            return SideVerdict {
                conns: ConnSet::all(),
                ..SideVerdict::default()
            };
        }
        let ports = self.ports_of(dst);
        let mut verdict = SideVerdict {
            isolated_by,
            ..SideVerdict::default()
        };
        for &p in &verdict.isolated_by {
            let Some(policy) = self.policies.get(p) else {
                continue;
            };
            for rule in policy.rules(direction).unwrap_or_default() {
                if !self.rule_matches(policy, rule, other) {
                    continue;
                }
                let conns = rule_conns(rule, ports);
                if conns.is_empty() {
                    continue;
                }
                verdict.conns.union_with(&conns);
                verdict.allowed_by.push(Allowance {
                    policy: p,
                    direction,
                    rule: rule.index,
                    conns,
                });
            }
        }
        verdict
    }

    /// What is allowed from `src` to `dst`, and which policies and rules decide it.
    pub fn explain(&self, src: Party, dst: Party) -> Verdict {
        let egress = match src {
            Party::Endpoint(s) => self.side(Direction::Egress, s, dst, dst),
            Party::External(_) => SideVerdict {
                conns: ConnSet::all(),
                ..SideVerdict::default()
            },
        };
        let ingress = match dst {
            Party::Endpoint(d) => self.side(Direction::Ingress, d, src, dst),
            Party::External(_) => SideVerdict {
                conns: ConnSet::all(),
                ..SideVerdict::default()
            },
        };
        let conns = egress.conns.intersect(&ingress.conns);
        Verdict {
            egress,
            ingress,
            conns,
        }
    }

    /// External address pieces: sources (cut by ingress `ipBlock`s) and destinations
    /// (cut by egress `ipBlock`s).
    pub fn external_pieces(&self) -> (Vec<IpRange>, Vec<IpRange>) {
        let blocks = |d: Direction| -> Vec<&IpSet> {
            self.policies
                .iter()
                .flat_map(|p| p.all_rules(d))
                .flat_map(|r| r.peers.iter().flatten())
                .filter_map(|peer| match peer {
                    Peer::Ip { set, .. } => Some(set),
                    _ => None,
                })
                .collect()
        };
        (
            ip::pieces(blocks(Direction::Ingress)),
            ip::pieces(blocks(Direction::Egress)),
        )
    }

    /// Allowed connections between every pair of endpoints (including an endpoint and
    /// itself, which matters when several workloads share it): `(src, dst, conns)`.
    pub fn endpoint_matrix(&self) -> Vec<(usize, usize, ConnSet)> {
        let n = self.endpoints.len();
        let fast = FastRules::new(self);
        (0..n)
            .into_par_iter()
            .flat_map_iter(|d| {
                let fast = &fast;
                (0..n).filter_map(move |s| {
                    let conns = fast.allowed(self, s, d);
                    (!conns.is_empty()).then_some((s, d, conns))
                })
            })
            .collect()
    }

    /// Every allowed connection between workloads (no self-connections) and between
    /// workloads and external address pieces, sorted as netpol-analyzer prints them.
    pub fn connections(&self) -> Vec<Connection> {
        let mut by_endpoint: Vec<Vec<usize>> = vec![Vec::new(); self.endpoints.len()];
        for (w, workload) in self.workloads.iter().enumerate() {
            if let Some(list) = by_endpoint.get_mut(workload.endpoint) {
                list.push(w);
            }
        }
        let names: Vec<String> = self.workloads.iter().map(ToString::to_string).collect();
        let mut out = Vec::new();
        for (s, d, conns) in self.endpoint_matrix() {
            for &ws in by_endpoint.get(s).map_or(&[][..], Vec::as_slice) {
                for &wd in by_endpoint.get(d).map_or(&[][..], Vec::as_slice) {
                    if ws == wd {
                        continue;
                    }
                    if let (Some(a), Some(b)) = (names.get(ws), names.get(wd)) {
                        out.push(Connection {
                            src: a.clone(),
                            dst: b.clone(),
                            conns: conns.clone(),
                        });
                    }
                }
            }
        }
        let (sources, destinations) = self.external_pieces();
        for (e, workloads) in by_endpoint.iter().enumerate() {
            if workloads.is_empty() {
                continue;
            }
            for piece in &sources {
                let conns = self
                    .side(
                        Direction::Ingress,
                        e,
                        Party::External(*piece),
                        Party::Endpoint(e),
                    )
                    .conns;
                if conns.is_empty() {
                    continue;
                }
                for &w in workloads {
                    if let Some(name) = names.get(w) {
                        out.push(Connection {
                            src: format!("{piece}[External]"),
                            dst: name.clone(),
                            conns: conns.clone(),
                        });
                    }
                }
            }
            for piece in &destinations {
                let dst = Party::External(*piece);
                let conns = self.side(Direction::Egress, e, dst, dst).conns;
                if conns.is_empty() {
                    continue;
                }
                for &w in workloads {
                    if let Some(name) = names.get(w) {
                        out.push(Connection {
                            src: name.clone(),
                            dst: format!("{piece}[External]"),
                            conns: conns.clone(),
                        });
                    }
                }
            }
        }
        out.sort_by_cached_key(connlist_line);
        out
    }
}

/// A line of netpol-analyzer's `connlist` text format.
pub fn connlist_line(c: &Connection) -> String {
    format!("{} => {} : {}", c.src, c.dst, c.conns)
}

/// What a rule allows towards a destination with these container ports.
pub fn rule_conns(rule: &Rule, ports: Option<&[ContainerPort]>) -> ConnSet {
    match &rule.ports {
        None => ConnSet::all(),
        Some(list) => {
            let mut conns = ConnSet::none();
            for p in list {
                conns.add(p.protocol, &p.resolve(ports));
            }
            conns
        }
    }
}

/// Precomputed rule matches for the matrix: for every isolating rule, the endpoints
/// its peers match, and its connections when they do not depend on the destination.
struct FastRules {
    /// Per direction, per policy: per rule.
    rules: [Vec<Vec<FastRule>>; 2],
}

/// The endpoints a rule's peers match (a bitset), and its connections when they do
/// not depend on the destination's named ports.
type FastRule = (Vec<u64>, Option<ConnSet>);

impl FastRules {
    fn new(net: &Network) -> Self {
        let n = net.endpoints.len();
        let words = n.div_ceil(64);
        let build = |d: Direction| -> Vec<Vec<FastRule>> {
            net.policies
                .par_iter()
                .map(|policy| {
                    policy
                        .rules(d)
                        .unwrap_or_default()
                        .iter()
                        .map(|rule| {
                            let mut bits = vec![0u64; words];
                            for e in 0..n {
                                if net.rule_matches(policy, rule, Party::Endpoint(e))
                                    && let Some(word) = bits.get_mut(e / 64)
                                {
                                    *word |= 1 << (e % 64);
                                }
                            }
                            let fixed = (!rule.has_named_ports()).then(|| rule_conns(rule, None));
                            (bits, fixed)
                        })
                        .collect()
                })
                .collect()
        };
        FastRules {
            rules: [build(Direction::Ingress), build(Direction::Egress)],
        }
    }

    fn side(&self, net: &Network, d: Direction, owner: usize, other: usize, dst: usize) -> Acc<'_> {
        let isolating = net.isolating(owner, d);
        if isolating.is_empty() {
            return Acc::All;
        }
        let mut acc = Acc::None;
        let ports = net.endpoints.get(dst).map(|e| e.ports.as_slice());
        for &p in isolating {
            let Some(rules) = by_direction(&self.rules, d).get(p) else {
                continue;
            };
            for (r, (bits, fixed)) in rules.iter().enumerate() {
                let hit = bits
                    .get(other / 64)
                    .is_some_and(|w| w & (1 << (other % 64)) != 0);
                if !hit {
                    continue;
                }
                if let Some(c) = fixed {
                    acc.add(c);
                } else if let Some(rule) = net.policies.get(p).and_then(|pol| pol.rules(d)?.get(r))
                {
                    acc.add_owned(rule_conns(rule, ports));
                }
                if matches!(acc, Acc::All) {
                    return acc;
                }
            }
        }
        acc
    }

    fn allowed(&self, net: &Network, s: usize, d: usize) -> ConnSet {
        let ingress = self.side(net, Direction::Ingress, d, s, d);
        if matches!(ingress, Acc::None) {
            return ConnSet::none();
        }
        let egress = self.side(net, Direction::Egress, s, d, d);
        match (ingress, egress) {
            (_, Acc::None) | (Acc::None, _) => ConnSet::none(),
            (Acc::All, Acc::All) => ConnSet::all(),
            (Acc::All, other) | (other, Acc::All) => other.into_owned(),
            (a, b) => a.get().intersect(b.get()),
        }
    }
}

/// A union of connection sets that avoids copying in the common cases.
enum Acc<'a> {
    None,
    All,
    One(&'a ConnSet),
    Owned(ConnSet),
}

impl<'a> Acc<'a> {
    fn add(&mut self, c: &'a ConnSet) {
        if c.is_all() {
            *self = Acc::All;
            return;
        }
        match self {
            Acc::None => *self = Acc::One(c),
            Acc::All => {}
            Acc::One(x) => {
                let mut owned = (*x).clone();
                owned.union_with(c);
                *self = Acc::Owned(owned);
            }
            Acc::Owned(x) => x.union_with(c),
        }
        self.normalize();
    }

    fn add_owned(&mut self, c: ConnSet) {
        if c.is_empty() {
            return;
        }
        match self {
            Acc::None => *self = Acc::Owned(c),
            Acc::All => {}
            Acc::One(x) => {
                let mut owned = (*x).clone();
                owned.union_with(&c);
                *self = Acc::Owned(owned);
            }
            Acc::Owned(x) => x.union_with(&c),
        }
        self.normalize();
    }

    fn normalize(&mut self) {
        let all = match self {
            Acc::One(x) => x.is_all(),
            Acc::Owned(x) => x.is_all(),
            Acc::None | Acc::All => false,
        };
        if all {
            *self = Acc::All;
        } else if matches!(self, Acc::One(x) if x.is_empty())
            || matches!(self, Acc::Owned(x) if x.is_empty())
        {
            *self = Acc::None;
        }
    }

    fn get(&self) -> &ConnSet {
        static NONE: std::sync::OnceLock<ConnSet> = std::sync::OnceLock::new();
        static ALL: std::sync::OnceLock<ConnSet> = std::sync::OnceLock::new();
        match self {
            Acc::None => NONE.get_or_init(ConnSet::none),
            Acc::All => ALL.get_or_init(ConnSet::all),
            Acc::One(x) => x,
            Acc::Owned(x) => x,
        }
    }

    fn into_owned(self) -> ConnSet {
        match self {
            Acc::Owned(x) => x,
            other => other.get().clone(),
        }
    }
}

/// The controlling owner of a pod (`name`, `kind`), unless it is a Node (mirror pods).
fn owner(metadata: Option<&Node>) -> Option<(String, String)> {
    let refs = metadata?.get("ownerReferences")?.as_seq()?;
    let controller = refs
        .iter()
        .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))?;
    let kind = controller
        .get("kind")
        .and_then(Node::as_str)
        .unwrap_or_default();
    if kind == "Node" {
        return None;
    }
    let name = controller.get("name").and_then(Node::scalar_string)?;
    Some((name, kind.to_string()))
}

fn container_ports(template: &PodTemplate<'_>) -> Vec<ContainerPort> {
    let mut ports: Vec<ContainerPort> = template
        .spec
        .get("containers")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .flat_map(|c| c.get("ports").and_then(Node::as_seq).unwrap_or_default())
        .filter_map(|p| {
            let port = u16::try_from(p.get("containerPort")?.as_i64()?).ok()?;
            let protocol = match p.get("protocol").and_then(Node::as_str) {
                None => Protocol::Tcp,
                Some(text) => Protocol::parse(text)?,
            };
            Some(ContainerPort {
                name: p.get("name").and_then(Node::scalar_string),
                port,
                protocol,
            })
        })
        .collect();
    ports.sort();
    ports.dedup();
    ports
}

#[cfg(test)]
mod tests;
