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

pub mod admin;
pub mod ip;
pub mod policy;
pub mod ports;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use rampart_model::{Inventory, Node, PodTemplate};
use rayon::prelude::*;

pub use admin::{Action, AdminPeer, AdminPolicy, AdminRule};
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
    /// Decisions of AdminNetworkPolicy and BaselineAdminNetworkPolicy rules, in the
    /// order they apply.
    pub admin: Vec<AdminDecision>,
}

/// An admin rule that decided part of a connection.
#[derive(Clone, Debug)]
pub struct AdminDecision {
    /// The policy (index into [`Network::admin`]; `None` for the baseline).
    pub policy: Option<usize>,
    /// Which list the rule is in.
    pub direction: Direction,
    /// The rule's index in its list.
    pub rule: usize,
    /// What it decided.
    pub action: Action,
    /// The connections it decided.
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
    /// AdminNetworkPolicies, by priority (then name).
    pub admin: Vec<AdminPolicy>,
    /// The BaselineAdminNetworkPolicy, if any.
    pub baseline: Option<AdminPolicy>,
    /// Distinct pod signatures.
    pub endpoints: Vec<Endpoint>,
    /// Workloads (or pods), sorted by their text form.
    pub workloads: Vec<Workload>,
    namespaces: HashMap<String, BTreeMap<String, String>>,
    /// Endpoints by namespace.
    by_namespace: BTreeMap<String, Vec<usize>>,
    /// Workloads by endpoint.
    by_endpoint: Vec<Vec<usize>>,
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
        let mut admin: Vec<AdminPolicy> = inventory
            .of_kind("AdminNetworkPolicy")
            .filter_map(|(_, o)| AdminPolicy::compile(o))
            .collect();
        admin.sort_by(|a, b| (a.priority, &a.name).cmp(&(b.priority, &b.name)));
        let baseline = inventory
            .of_kind("BaselineAdminNetworkPolicy")
            .find_map(|(_, o)| AdminPolicy::compile(o));

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

        let mut by_namespace: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (e, endpoint) in endpoints.iter().enumerate() {
            by_namespace
                .entry(endpoint.namespace.clone())
                .or_default()
                .push(e);
        }
        let mut isolating = [
            vec![Vec::new(); endpoints.len()],
            vec![Vec::new(); endpoints.len()],
        ];
        for (p, policy) in policies.iter().enumerate() {
            for &e in by_namespace
                .get(&policy.namespace)
                .map_or(&[][..], Vec::as_slice)
            {
                let Some(endpoint) = endpoints.get(e) else {
                    continue;
                };
                if !policy.pod_selector.matches(&endpoint.labels) {
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
        let mut by_endpoint: Vec<Vec<usize>> = vec![Vec::new(); endpoints.len()];
        for (w, workload) in workloads.iter().enumerate() {
            if let Some(list) = by_endpoint.get_mut(workload.endpoint) {
                list.push(w);
            }
        }
        Network {
            policies,
            admin,
            baseline,
            endpoints,
            workloads,
            namespaces,
            by_namespace,
            by_endpoint,
            isolating,
        }
    }

    /// The endpoints of a namespace.
    pub fn endpoints_in(&self, namespace: &str) -> &[usize] {
        self.by_namespace.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// The workloads of an endpoint (indexes into [`Network::workloads`]).
    pub fn workloads_of(&self, endpoint: usize) -> &[usize] {
        self.by_endpoint.get(endpoint).map_or(&[], Vec::as_slice)
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
        let mut verdict = self.np_side(direction, owner, other, dst);
        if self.admin.is_empty() && self.baseline.is_none() {
            return verdict;
        }
        let ports = self.ports_of(dst);
        let (mut allowed, mut denied, mut decided) =
            (ConnSet::none(), ConnSet::none(), ConnSet::none());
        for (i, anp) in self.admin.iter().enumerate() {
            if !self.admin_selects(anp, owner) {
                continue;
            }
            for (r, rule) in anp.rules(direction).iter().enumerate() {
                if !rule.peers.iter().any(|p| self.admin_peer_matches(p, other)) {
                    continue;
                }
                let conns = rule.conns(ports).subtract(&decided);
                if conns.is_empty() {
                    continue;
                }
                match rule.action {
                    Action::Allow => allowed.union_with(&conns),
                    Action::Deny => denied.union_with(&conns),
                    Action::Pass => {}
                }
                decided.union_with(&conns);
                verdict.admin.push(AdminDecision {
                    policy: Some(i),
                    direction,
                    rule: r,
                    action: rule.action,
                    conns,
                });
            }
        }
        // What no AdminNetworkPolicy allowed or denied is passed down.
        let passed = ConnSet::all().subtract(&allowed).subtract(&denied);
        let lower = if verdict.isolated_by.is_empty() {
            let mut baseline_decided = ConnSet::none();
            let mut baseline_denied = ConnSet::none();
            if let Some(banp) = self
                .baseline
                .as_ref()
                .filter(|b| self.admin_selects(b, owner))
            {
                for (r, rule) in banp.rules(direction).iter().enumerate() {
                    if !rule.peers.iter().any(|p| self.admin_peer_matches(p, other)) {
                        continue;
                    }
                    let conns = rule.conns(ports).subtract(&baseline_decided);
                    if conns.is_empty() {
                        continue;
                    }
                    if rule.action == Action::Deny {
                        baseline_denied.union_with(&conns);
                    }
                    baseline_decided.union_with(&conns);
                    let effective = conns.intersect(&passed);
                    if !effective.is_empty() {
                        verdict.admin.push(AdminDecision {
                            policy: None,
                            direction,
                            rule: r,
                            action: rule.action,
                            conns: effective,
                        });
                    }
                }
            }
            passed.subtract(&baseline_denied)
        } else {
            passed.intersect(&verdict.conns)
        };
        allowed.union_with(&lower);
        verdict.conns = allowed;
        verdict
    }

    /// Whether an admin policy's subject selects an endpoint.
    pub fn admin_selects(&self, policy: &AdminPolicy, endpoint: usize) -> bool {
        let Some(e) = self.endpoints.get(endpoint) else {
            return false;
        };
        let Some(ns_labels) = self.namespaces.get(&e.namespace) else {
            return false;
        };
        policy
            .subject
            .as_ref()
            .is_some_and(|s| s.matches(ns_labels, &e.labels))
    }

    /// Whether an admin rule peer matches a party.
    pub fn admin_peer_matches(&self, peer: &AdminPeer, party: Party) -> bool {
        match (peer, party) {
            (AdminPeer::Pods(selection), Party::Endpoint(e)) => {
                self.endpoints.get(e).is_some_and(|ep| {
                    self.namespaces
                        .get(&ep.namespace)
                        .is_some_and(|ns| selection.matches(ns, &ep.labels))
                })
            }
            (AdminPeer::Networks(sets), Party::External(range)) => {
                sets.iter().any(|s| s.contains(&range))
            }
            _ => false,
        }
    }

    /// The NetworkPolicy layer of one side.
    fn np_side(&self, direction: Direction, owner: usize, other: Party, dst: Party) -> SideVerdict {
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
        // Admin policies cut destinations at their IPv4 `networks`, as netpol-analyzer
        // does (it leaves IPv6 networks out of the cut).
        let admin_blocks: Vec<&IpSet> = self
            .admin
            .iter()
            .chain(&self.baseline)
            .flat_map(|p| &p.egress)
            .flat_map(|r| &r.peers)
            .filter_map(|peer| match peer {
                AdminPeer::Networks(sets) => Some(sets),
                _ => None,
            })
            .flatten()
            .filter(|set| set.ranges().iter().all(|r| r.family == ip::Family::V4))
            .collect();
        let mut destinations = blocks(Direction::Egress);
        destinations.extend(admin_blocks);
        (
            ip::pieces(blocks(Direction::Ingress)),
            ip::pieces(destinations),
        )
    }

    /// The connectivity matrix between endpoints, computed over equivalence classes:
    /// endpoints that every policy treats alike as a source (same egress isolation,
    /// matched by the same ingress rules) share a source class, and likewise for
    /// destinations, so the cost is classes², however many pods and signatures there
    /// are.
    pub fn matrix(&self) -> Matrix {
        let fast = FastRules::new(self);
        let n = self.endpoints.len();
        let has_admin = !self.admin.is_empty() || self.baseline.is_some();
        let named_ports = self
            .policies
            .iter()
            .any(|p| p.ingress.iter().chain(&p.egress).any(Rule::has_named_ports))
            || self.admin.iter().chain(&self.baseline).any(|p| {
                p.ingress
                    .iter()
                    .chain(&p.egress)
                    .any(AdminRule::has_named_ports)
            });
        // Which admin subjects select an endpoint and which admin rules match it.
        let admin_bits = |e: usize| -> Vec<u64> {
            let mut bits: Vec<bool> = Vec::new();
            for policy in self.admin.iter().chain(&self.baseline) {
                bits.push(self.admin_selects(policy, e));
                for rule in policy.ingress.iter().chain(&policy.egress) {
                    bits.push(
                        rule.peers
                            .iter()
                            .any(|p| self.admin_peer_matches(p, Party::Endpoint(e))),
                    );
                }
            }
            bits.chunks(64)
                .map(|c| {
                    c.iter()
                        .enumerate()
                        .fold(0u64, |w, (i, b)| w | (u64::from(*b) << i))
                })
                .collect()
        };
        let column = |direction: Direction, e: usize| -> Vec<u64> {
            let mut key = Vec::new();
            let mut bit = 0usize;
            for rules in by_direction(&fast.rules, direction) {
                for (bits, _) in rules {
                    if bit.is_multiple_of(64) {
                        key.push(0u64);
                    }
                    let hit = bits.get(e / 64).is_some_and(|w| w & (1 << (e % 64)) != 0);
                    if hit && let Some(word) = key.last_mut() {
                        *word |= 1 << (bit % 64);
                    }
                    bit += 1;
                }
            }
            key
        };
        let keys: Vec<(SourceKey, DestKey)> = (0..n)
            .into_par_iter()
            .map(|e| {
                let admin = if has_admin { admin_bits(e) } else { Vec::new() };
                let mut ingress_bits = column(Direction::Ingress, e);
                ingress_bits.extend(&admin);
                let src = (self.isolating(e, Direction::Egress).to_vec(), ingress_bits);
                let ports = if named_ports {
                    self.endpoints
                        .get(e)
                        .map(|x| x.ports.clone())
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                let mut egress_bits = column(Direction::Egress, e);
                egress_bits.extend(&admin);
                let dst = (
                    self.isolating(e, Direction::Ingress).to_vec(),
                    ports,
                    egress_bits,
                );
                (src, dst)
            })
            .collect();
        let mut src_ids: HashMap<&SourceKey, u32> = HashMap::new();
        let mut dst_ids: HashMap<&DestKey, u32> = HashMap::new();
        let (mut src_class, mut dst_class) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut src_reps, mut dst_reps) = (Vec::new(), Vec::new());
        for (e, (sk, dk)) in keys.iter().enumerate() {
            let next = u32::try_from(src_reps.len()).unwrap_or(u32::MAX);
            let id = *src_ids.entry(sk).or_insert(next);
            if id == next {
                src_reps.push(e);
            }
            src_class.push(id);
            let next = u32::try_from(dst_reps.len()).unwrap_or(u32::MAX);
            let id = *dst_ids.entry(dk).or_insert(next);
            if id == next {
                dst_reps.push(e);
            }
            dst_class.push(id);
        }
        let rows: Vec<Vec<(u32, ConnSet)>> = src_reps
            .clone()
            .into_par_iter()
            .map(|s| {
                dst_reps
                    .iter()
                    .enumerate()
                    .filter_map(|(cd, &d)| {
                        let conns = if has_admin {
                            self.explain(Party::Endpoint(s), Party::Endpoint(d)).conns
                        } else {
                            fast.allowed(self, s, d)
                        };
                        (!conns.is_empty()).then(|| (u32::try_from(cd).unwrap_or(u32::MAX), conns))
                    })
                    .collect()
            })
            .collect();
        let mut interned: HashMap<ConnSet, u32> = HashMap::new();
        let mut conns = Vec::new();
        let rows = rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|(cd, c)| {
                        let next = u32::try_from(conns.len()).unwrap_or(u32::MAX);
                        let id = *interned.entry(c.clone()).or_insert(next);
                        if id == next {
                            conns.push(c);
                        }
                        (cd, id)
                    })
                    .collect()
            })
            .collect();
        Matrix {
            src_class,
            dst_class,
            src_reps,
            dst_reps,
            rows,
            conns,
        }
    }

    /// Allowed connections between every pair of endpoints (including an endpoint and
    /// itself, which matters when several workloads share it): `(src, dst, conns)`.
    /// Quadratic in endpoints; [`Network::matrix`] is the compact form.
    pub fn endpoint_matrix(&self) -> Vec<(usize, usize, ConnSet)> {
        let m = self.matrix();
        let n = self.endpoints.len();
        (0..n)
            .flat_map(|s| (0..n).map(move |d| (s, d)))
            .filter_map(|(s, d)| Some((s, d, m.get(s, d)?.clone())))
            .collect()
    }

    /// Calls `emit(src, dst, conns)` for every allowed connection between workloads
    /// (no self-connections) and between workloads and external address pieces, in
    /// the order netpol-analyzer prints them (sorted by source, then destination),
    /// without holding the list in memory.
    pub fn for_each_connection(&self, mut emit: impl FnMut(&str, &str, &ConnSet)) {
        let matrix = self.matrix();
        let (sources, destinations) = self.external_pieces();
        let names: Vec<String> = self.workloads.iter().map(ToString::to_string).collect();
        // What each external piece may send to each destination class, or receive from
        // each source class (a class decides its side of the connection).
        let ext = |pieces: &[IpRange], direction: Direction| -> Vec<Vec<ConnSet>> {
            let reps = match direction {
                Direction::Ingress => &matrix.dst_reps,
                Direction::Egress => &matrix.src_reps,
            };
            pieces
                .par_iter()
                .map(|piece| {
                    let party = Party::External(*piece);
                    reps.iter()
                        .map(|&e| match direction {
                            Direction::Ingress => {
                                self.side(direction, e, party, Party::Endpoint(e)).conns
                            }
                            Direction::Egress => self.side(direction, e, party, party).conns,
                        })
                        .collect()
                })
                .collect()
        };
        let ext_in = ext(&sources, Direction::Ingress);
        let ext_out = ext(&destinations, Direction::Egress);
        // Both name lists sorted: workload names end in `]`, so sorting by name sorts
        // the lines too.
        let mut src_order: Vec<(String, Side)> = names
            .iter()
            .enumerate()
            .map(|(w, n)| (n.clone(), Side::Workload(w)))
            .chain(
                sources
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (format!("{p}[External]"), Side::External(i))),
            )
            .collect();
        src_order.sort();
        let mut dst_order: Vec<(String, Side)> = names
            .iter()
            .enumerate()
            .map(|(w, n)| (n.clone(), Side::Workload(w)))
            .chain(
                destinations
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (format!("{p}[External]"), Side::External(i))),
            )
            .collect();
        dst_order.sort();
        let endpoint = |w: usize| self.workloads.get(w).map(|x| x.endpoint);
        let src_class = |w: usize| endpoint(w).and_then(|e| matrix.src_class.get(e)).copied();
        let dst_class = |w: usize| endpoint(w).and_then(|e| matrix.dst_class.get(e)).copied();
        // Per destination position: its workload and class, or its external piece.
        let dst_info: Vec<(Side, Option<u32>)> = dst_order
            .iter()
            .map(|(_, side)| match *side {
                Side::Workload(w) => (*side, dst_class(w)),
                Side::External(_) => (*side, None),
            })
            .collect();
        let (_, dst_classes) = matrix.classes();
        let mut dense: Vec<Option<&ConnSet>> = vec![None; dst_classes];
        for (src_name, src) in &src_order {
            let mut any = false;
            let source_class = match *src {
                Side::Workload(a) => {
                    let cs = src_class(a);
                    for &(cd, id) in cs
                        .and_then(|c| matrix.rows.get(c as usize))
                        .map_or(&[][..], Vec::as_slice)
                    {
                        if let Some(slot) = dense.get_mut(cd as usize) {
                            *slot = matrix.conns.get(id as usize);
                            any = true;
                        }
                    }
                    cs
                }
                Side::External(i) => {
                    for (cd, slot) in dense.iter_mut().enumerate() {
                        *slot = ext_in
                            .get(i)
                            .and_then(|row| row.get(cd))
                            .filter(|c| !c.is_empty());
                        any |= slot.is_some();
                    }
                    None
                }
            };
            let ext_out_any = source_class.is_some();
            if any || ext_out_any {
                for ((dst_name, _), (dst, cd)) in dst_order.iter().zip(&dst_info) {
                    let conns = match (*src, *dst) {
                        (Side::Workload(a), Side::Workload(b)) if a == b => None,
                        (_, Side::Workload(_)) => {
                            cd.and_then(|c| dense.get(c as usize).copied().flatten())
                        }
                        (Side::Workload(_), Side::External(j)) => {
                            source_class.and_then(|cs| ext_out.get(j)?.get(cs as usize))
                        }
                        (Side::External(_), Side::External(_)) => None,
                    };
                    if let Some(c) = conns.filter(|c| !c.is_empty()) {
                        emit(src_name, dst_name, c);
                    }
                }
            }
            dense.fill(None);
        }
    }

    /// Every allowed connection, as [`Network::for_each_connection`] yields them.
    pub fn connections(&self) -> Vec<Connection> {
        let mut out = Vec::new();
        self.for_each_connection(|src, dst, conns| {
            out.push(Connection {
                src: src.to_string(),
                dst: dst.to_string(),
                conns: conns.clone(),
            });
        });
        out
    }
}

/// One side of a connectivity list line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Workload(usize),
    External(usize),
}

/// What makes endpoints alike as sources: the policies that isolate their egress, and
/// which ingress rules match them.
type SourceKey = (Vec<usize>, Vec<u64>);
/// What makes endpoints alike as destinations: the policies that isolate their
/// ingress, their ports (when a rule names one), and which egress rules match them.
type DestKey = (Vec<usize>, Vec<ContainerPort>, Vec<u64>);

/// The connectivity matrix over endpoint classes (see [`Network::matrix`]).
#[derive(Debug)]
pub struct Matrix {
    src_class: Vec<u32>,
    dst_class: Vec<u32>,
    /// An endpoint of each source class.
    src_reps: Vec<usize>,
    /// An endpoint of each destination class.
    dst_reps: Vec<usize>,
    /// Per source class, the destination classes with something allowed, sorted.
    rows: Vec<Vec<(u32, u32)>>,
    conns: Vec<ConnSet>,
}

impl Matrix {
    /// What endpoint `s` may open to endpoint `d` (`None`: nothing).
    pub fn get(&self, s: usize, d: usize) -> Option<&ConnSet> {
        let cs = *self.src_class.get(s)?;
        let cd = *self.dst_class.get(d)?;
        let row = self.rows.get(usize::try_from(cs).ok()?)?;
        let i = row.binary_search_by_key(&cd, |(c, _)| *c).ok()?;
        let (_, id) = row.get(i)?;
        self.conns.get(usize::try_from(*id).ok()?)
    }

    /// The number of source and destination classes.
    pub fn classes(&self) -> (usize, usize) {
        (self.rows.len(), self.dst_reps.len())
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
                            let mut set = |e: usize| {
                                if let Some(word) = bits.get_mut(e / 64) {
                                    *word |= 1 << (e % 64);
                                }
                            };
                            // Only the endpoints of the namespaces a peer can match
                            // are tried, through the same `peer_matches`.
                            let candidates: Vec<usize> = match &rule.peers {
                                None => (0..n).collect(),
                                Some(peers) => {
                                    let mut c = Vec::new();
                                    for peer in peers {
                                        match peer {
                                            Peer::Everything { .. } => c.extend(0..n),
                                            Peer::Pods {
                                                namespaces: policy::Namespaces::Own(ns),
                                                ..
                                            } => {
                                                c.extend(
                                                    net.by_namespace.get(ns).into_iter().flatten(),
                                                );
                                            }
                                            Peer::Pods {
                                                namespaces: policy::Namespaces::Selector(sel),
                                                ..
                                            } => {
                                                for (ns, list) in &net.by_namespace {
                                                    if net
                                                        .namespaces
                                                        .get(ns)
                                                        .is_some_and(|l| sel.matches(l))
                                                    {
                                                        c.extend(list);
                                                    }
                                                }
                                            }
                                            Peer::Ip { .. } | Peer::Nothing { .. } => {}
                                        }
                                    }
                                    c
                                }
                            };
                            for e in candidates {
                                if net.rule_matches(policy, rule, Party::Endpoint(e)) {
                                    set(e);
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
