//! Privilege escalation paths: who can become whom, and how far each subject can climb.
//!
//! Nodes are identities (users, groups, ServiceAccounts) and two goals: *cluster-admin
//! equivalent* (everything, cluster-wide) and *reads every Secret*. Each edge is one
//! step an attacker holding the source identity can take, with the binding that
//! grants it:
//!
//! - create pods or pod-creating workloads in NS ⇒ run as any ServiceAccount of NS;
//!   where NS admits privileged pods, ⇒ the node ⇒ every ServiceAccount with pods there;
//! - read Secrets in NS ⇒ the legacy token Secrets of ServiceAccounts in NS;
//! - `serviceaccounts/token` create ⇒ that ServiceAccount;
//! - impersonate ⇒ anyone, `system:masters` included ⇒ cluster-admin;
//! - `bind`/`escalate` on roles with binding creation ⇒ any role (cluster-wide: admin);
//! - `nodes/proxy` ⇒ exec in any pod ⇒ every ServiceAccount with pods;
//! - approve CSRs for the API client signer ⇒ a certificate for any identity ⇒ admin;
//! - write admission webhooks ⇒ see and change every object ⇒ admin.
//!
//! Paths are computed for all subjects at once with one backwards breadth-first
//! search per goal, through "hub" nodes (any ServiceAccount of a namespace, any
//! ServiceAccount running pods), so the work grows with identities and bindings,
//! not with their product.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use super::{Rbac, Request, Subject, SubjectKind, UserInfo};

/// A node of the escalation graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    /// A user.
    User(String),
    /// A group.
    Group(String),
    /// A ServiceAccount (namespace, name).
    ServiceAccount(String, String),
    /// Any ServiceAccount of a namespace.
    AnyServiceAccountIn(String),
    /// Any ServiceAccount that runs pods (reached through a node).
    AnyPodServiceAccount,
    /// Any ServiceAccount of any namespace.
    AnyServiceAccount,
    /// Everything, cluster-wide.
    ClusterAdmin,
    /// Every Secret of the cluster.
    AllSecrets,
}

impl Node {
    /// Whether this is a hub ("any ServiceAccount of ...") rather than an identity.
    pub fn is_hub(&self) -> bool {
        matches!(
            self,
            Node::AnyServiceAccountIn(_) | Node::AnyPodServiceAccount
        )
    }

    /// A readable name.
    pub fn describe(&self) -> String {
        match self {
            Node::User(n) => format!("User `{n}`"),
            Node::Group(n) => format!("Group `{n}`"),
            Node::ServiceAccount(ns, n) => format!("ServiceAccount `{ns}/{n}`"),
            Node::AnyServiceAccountIn(ns) => format!("any ServiceAccount of `{ns}`"),
            Node::AnyPodServiceAccount => "any ServiceAccount that runs pods".to_string(),
            Node::AnyServiceAccount => "any ServiceAccount of any namespace".to_string(),
            Node::ClusterAdmin => "cluster-admin equivalent".to_string(),
            Node::AllSecrets => "every Secret of the cluster".to_string(),
        }
    }

    /// The node of a binding subject (a ServiceAccount without a namespace takes the
    /// binding's); `None` for subjects that name nobody.
    pub fn of(subject: &Subject, binding_namespace: Option<&str>) -> Option<Node> {
        Some(match subject.kind {
            SubjectKind::User => Node::User(subject.name.clone()),
            SubjectKind::Group => Node::Group(subject.name.clone()),
            SubjectKind::ServiceAccount => {
                let ns = subject.namespace.as_deref().or(binding_namespace)?;
                Node::ServiceAccount(ns.to_string(), subject.name.clone())
            }
            SubjectKind::Other => return None,
        })
    }
}

/// One step: from a node to another, why, and through which binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Where the step leads.
    pub to: Node,
    /// What the attacker does.
    pub why: String,
    /// The binding that grants it (index in [`Rbac::bindings`]), if any.
    pub binding: Option<usize>,
}

/// What the cluster knows about ServiceAccounts and pods, for the graph.
#[derive(Clone, Debug, Default)]
pub struct Workloads {
    /// ServiceAccounts by namespace (declared, referenced by pods or by bindings).
    pub accounts: BTreeMap<String, BTreeSet<String>>,
    /// ServiceAccounts whose pods run (namespace, name).
    pub running: BTreeSet<(String, String)>,
    /// ServiceAccounts with a legacy token Secret (namespace, name).
    pub token_secrets: BTreeSet<(String, String)>,
    /// Namespaces that admit privileged pods.
    pub privileged_namespaces: BTreeSet<String>,
}

/// The escalation graph with every subject's shortest path to each goal.
#[derive(Debug, Default)]
pub struct Escalations {
    /// Outgoing edges per node.
    pub edges: BTreeMap<Node, Vec<Edge>>,
    to_admin: HashMap<Node, Edge>,
    to_secrets: HashMap<Node, Edge>,
}

fn ask(verb: &str, group: &str, resource: &str, sub: &str, namespace: &str) -> Request {
    Request {
        verb: verb.into(),
        api_group: group.into(),
        resource: resource.into(),
        subresource: sub.into(),
        namespace: namespace.into(),
        ..Request::default()
    }
}

/// The (group, resource) pairs whose creation creates pods.
pub const POD_CREATING: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

impl Escalations {
    /// Builds the graph and solves every shortest path.
    pub fn build(rbac: &Rbac, workloads: &Workloads) -> Self {
        let mut graph = Escalations::default();
        let rbac_group = "rbac.authorization.k8s.io";
        for (b, binding) in rbac.bindings.iter().enumerate() {
            let Some(role) = rbac.resolve(binding) else {
                continue;
            };
            let rules = rbac.rules_of(role);
            let ns = binding.namespace.as_deref().unwrap_or("");
            let allows = |q: &Request| rules.iter().any(|r| r.allows(q));
            let scope = if ns.is_empty() {
                "in every namespace".to_string()
            } else {
                format!("in `{ns}`")
            };
            let mut edges: Vec<Edge> = Vec::new();
            let mut add = |to: Node, why: String| {
                edges.push(Edge {
                    to,
                    why,
                    binding: Some(b),
                });
            };
            let everything = allows(&ask("*", "*", "*", "", ns))
                || rules.iter().any(|r| {
                    r.verbs.iter().any(|v| v == "*")
                        && r.api_groups.iter().any(|g| g == "*")
                        && r.resources.iter().any(|x| x == "*")
                });
            if everything && ns.is_empty() {
                add(
                    Node::ClusterAdmin,
                    "holds every verb on every resource cluster-wide".into(),
                );
            }
            let secrets = ["get", "list", "watch"]
                .iter()
                .any(|v| allows(&ask(v, "", "secrets", "", ns)));
            if ns.is_empty()
                && ["list", "watch"]
                    .iter()
                    .any(|v| allows(&ask(v, "", "secrets", "", ns)))
            {
                add(Node::AllSecrets, "lists Secrets in every namespace".into());
            }
            let create_pods = POD_CREATING
                .iter()
                .any(|(g, r)| allows(&ask("create", g, r, "", ns)));
            let namespaces: Vec<String> = if ns.is_empty() {
                workloads.accounts.keys().cloned().collect()
            } else {
                vec![ns.to_string()]
            };
            if create_pods {
                if ns.is_empty() {
                    add(
                        Node::AnyServiceAccount,
                        "creates a pod in any namespace, running as any of its ServiceAccounts"
                            .into(),
                    );
                } else {
                    add(
                        Node::AnyServiceAccountIn(ns.to_string()),
                        format!("creates a pod in `{ns}` that runs as any of its ServiceAccounts"),
                    );
                }
                for n in &namespaces {
                    if workloads.privileged_namespaces.contains(n) {
                        add(
                            Node::AnyPodServiceAccount,
                            format!(
                                "creates a privileged pod in `{n}`, which admits them, takes its node and the tokens of every pod there"
                            ),
                        );
                    }
                }
            }
            if secrets
                && ["get", "list"]
                    .iter()
                    .any(|v| allows(&ask(v, "", "secrets", "", ns)))
            {
                for (sa_ns, sa) in &workloads.token_secrets {
                    if ns.is_empty() || sa_ns == ns {
                        add(
                            Node::ServiceAccount(sa_ns.clone(), sa.clone()),
                            format!("reads the legacy token Secret of `{sa_ns}/{sa}` {scope}"),
                        );
                    }
                }
            }
            // Token requests: any account in scope, or the ones `resourceNames` lists.
            let token = ask("create", "", "serviceaccounts", "token", ns);
            if allows(&token) {
                if ns.is_empty() {
                    add(
                        Node::AnyServiceAccount,
                        "requests a token for any ServiceAccount (serviceaccounts/token)".into(),
                    );
                } else {
                    add(
                        Node::AnyServiceAccountIn(ns.to_string()),
                        format!(
                            "requests a token for any ServiceAccount of `{ns}` (serviceaccounts/token)"
                        ),
                    );
                }
            } else {
                let mut named: BTreeSet<&String> = BTreeSet::new();
                for r in rules {
                    for n in &r.resource_names {
                        let mut q = token.clone();
                        q.name.clone_from(n);
                        if r.allows(&q) {
                            named.insert(n);
                        }
                    }
                }
                for name in named {
                    for n in &namespaces {
                        if workloads.accounts.get(n).is_some_and(|a| a.contains(name)) {
                            add(
                                Node::ServiceAccount(n.clone(), name.clone()),
                                format!(
                                    "requests a token for `{n}/{name}` (serviceaccounts/token)"
                                ),
                            );
                        }
                    }
                }
            }
            let impersonate = ["users", "groups"]
                .iter()
                .any(|r| allows(&ask("impersonate", "", r, "", "")));
            if impersonate {
                add(
                    Node::ClusterAdmin,
                    "impersonates any user or the group `system:masters`".into(),
                );
            }
            let bind_any = allows(&ask("bind", rbac_group, "clusterroles", "", ns))
                || allows(&ask("escalate", rbac_group, "clusterroles", "", ns));
            let create_binding = if ns.is_empty() {
                allows(&ask("create", rbac_group, "clusterrolebindings", "", ""))
            } else {
                allows(&ask("create", rbac_group, "rolebindings", "", ns))
            };
            if bind_any && create_binding {
                if ns.is_empty() {
                    add(Node::ClusterAdmin, "binds itself to `cluster-admin` (bind/escalate and ClusterRoleBinding create)".into());
                } else {
                    for n in &namespaces {
                        add(
                            Node::AnyServiceAccountIn(n.clone()),
                            format!(
                                "binds itself any role in `{n}`, then runs pods as its ServiceAccounts"
                            ),
                        );
                    }
                }
            }
            if ns.is_empty()
                && ["get", "create"]
                    .iter()
                    .any(|v| allows(&ask(v, "", "nodes", "proxy", "")))
            {
                add(
                    Node::AnyPodServiceAccount,
                    "execs into any pod through the kubelet API (nodes/proxy)".into(),
                );
            }
            let approve = ["update", "patch"].iter().any(|v| {
                allows(&ask(
                    v,
                    "certificates.k8s.io",
                    "certificatesigningrequests",
                    "approval",
                    "",
                ))
            });
            let mut signer = ask("approve", "certificates.k8s.io", "signers", "", "");
            signer.name = "kubernetes.io/kube-apiserver-client".into();
            let mut domain = signer.clone();
            domain.name = "kubernetes.io/*".into();
            if ns.is_empty() && approve && (allows(&signer) || allows(&domain)) {
                add(
                    Node::ClusterAdmin,
                    "approves a CSR for a `system:masters` client certificate".into(),
                );
            }
            let webhooks = ["create", "update", "patch"].iter().any(|v| {
                allows(&ask(
                    v,
                    "admissionregistration.k8s.io",
                    "mutatingwebhookconfigurations",
                    "",
                    "",
                ))
            });
            if ns.is_empty() && webhooks {
                add(Node::ClusterAdmin, "registers a mutating webhook that rewrites every object, Secrets and pods included".into());
            }
            if edges.is_empty() {
                continue;
            }
            for subject in &binding.subjects {
                let Some(from) = Node::of(subject, binding.namespace.as_deref()) else {
                    continue;
                };
                graph
                    .edges
                    .entry(from)
                    .or_default()
                    .extend(edges.iter().cloned());
            }
        }
        // Hubs: any ServiceAccount at all, of a namespace, or running pods.
        for ns in workloads.accounts.keys() {
            graph
                .edges
                .entry(Node::AnyServiceAccount)
                .or_default()
                .push(Edge {
                    to: Node::AnyServiceAccountIn(ns.clone()),
                    why: format!("in namespace `{ns}`"),
                    binding: None,
                });
        }
        for (ns, names) in &workloads.accounts {
            for name in names {
                graph
                    .edges
                    .entry(Node::AnyServiceAccountIn(ns.clone()))
                    .or_default()
                    .push(Edge {
                        to: Node::ServiceAccount(ns.clone(), name.clone()),
                        why: format!("the pod runs as `{ns}/{name}` and carries its token"),
                        binding: None,
                    });
            }
        }
        for (ns, name) in &workloads.running {
            graph.edges.entry(Node::AnyPodServiceAccount).or_default().push(Edge {
                to: Node::ServiceAccount(ns.clone(), name.clone()),
                why: format!("on that node, a pod runs as `{ns}/{name}`: its token is there for the taking"),
                binding: None,
            });
        }
        // A ServiceAccount is also in its groups: bindings to them apply to it.
        let accounts: Vec<(String, String)> = workloads
            .accounts
            .iter()
            .flat_map(|(ns, names)| names.iter().map(move |n| (ns.clone(), n.clone())))
            .collect();
        for (ns, name) in &accounts {
            let user = UserInfo::authenticated(&format!("system:serviceaccount:{ns}:{name}"), &[]);
            for group in &user.groups {
                if graph.edges.contains_key(&Node::Group(group.clone())) {
                    graph
                        .edges
                        .entry(Node::ServiceAccount(ns.clone(), name.clone()))
                        .or_default()
                        .push(Edge {
                            to: Node::Group(group.clone()),
                            why: format!("is a member of `{group}`"),
                            binding: None,
                        });
                }
            }
        }
        graph.to_admin = graph.solve(&Node::ClusterAdmin);
        graph.to_secrets = graph.solve(&Node::AllSecrets);
        graph
    }

    /// Backwards breadth-first search from a goal: for every node that reaches it, the
    /// first edge of a shortest path.
    fn solve(&self, goal: &Node) -> HashMap<Node, Edge> {
        let mut reverse: BTreeMap<&Node, Vec<(&Node, &Edge)>> = BTreeMap::new();
        for (from, edges) in &self.edges {
            for e in edges {
                reverse.entry(&e.to).or_default().push((from, e));
            }
        }
        let mut next: HashMap<Node, Edge> = HashMap::new();
        let mut queue = VecDeque::from([goal]);
        let mut seen: BTreeSet<&Node> = BTreeSet::from([goal]);
        while let Some(node) = queue.pop_front() {
            for (from, edge) in reverse.get(node).map(Vec::as_slice).unwrap_or_default() {
                if seen.insert(from) {
                    next.insert((*from).clone(), (*edge).clone());
                    queue.push_back(from);
                }
            }
        }
        next
    }

    /// The shortest path from a node to cluster-admin, as steps.
    pub fn path_to_admin(&self, from: &Node) -> Vec<Edge> {
        Self::walk(&self.to_admin, from)
    }

    /// The shortest path from a node to reading every Secret.
    pub fn path_to_secrets(&self, from: &Node) -> Vec<Edge> {
        Self::walk(&self.to_secrets, from)
    }

    fn walk(next: &HashMap<Node, Edge>, from: &Node) -> Vec<Edge> {
        let mut path = Vec::new();
        let mut at = from;
        while let Some(edge) = next.get(at) {
            path.push(edge.clone());
            if path.len() > next.len() {
                break; // cannot happen on a BFS tree; guards against a cycle all the same
            }
            at = &edge.to;
        }
        path
    }

    /// Every identity node with an outgoing edge, in a stable order.
    pub fn identities(&self) -> Vec<&Node> {
        let mut nodes: Vec<&Node> = self
            .edges
            .keys()
            .filter(|n| matches!(n, Node::User(_) | Node::Group(_) | Node::ServiceAccount(..)))
            .collect();
        nodes.sort();
        nodes
    }
}
