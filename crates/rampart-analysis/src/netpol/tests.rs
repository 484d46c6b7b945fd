//! NetworkPolicy semantics, case by case, after the Kubernetes documentation's
//! examples and the corner cases of the `networking.k8s.io/v1` API.

use rampart_model::Inventory;

use super::*;

fn net(yaml: &str) -> Network {
    let loaded = rampart_source::load_str("net.yaml", yaml);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    Network::build(
        &Inventory::new(loaded.files, loaded.objects, None),
        Level::Workload,
    )
}

fn ep(n: &Network, ns: &str, name: &str) -> Party {
    let w = n
        .workloads
        .iter()
        .find(|w| w.namespace == ns && w.name == name)
        .unwrap_or_else(|| panic!("no workload {ns}/{name}"));
    Party::Endpoint(w.endpoint)
}

fn conns(n: &Network, src: Party, dst: Party) -> String {
    let slow = n.explain(src, dst).conns;
    // The matrix path must agree with the explaining path on every pair.
    if let (Party::Endpoint(s), Party::Endpoint(d)) = (src, dst) {
        let fast = n
            .endpoint_matrix()
            .into_iter()
            .find(|(a, b, _)| *a == s && *b == d)
            .map(|(_, _, c)| c)
            .unwrap_or_default();
        assert_eq!(fast, slow, "matrix and explain disagree");
    }
    slow.to_string()
}

fn ext(ip: &str) -> Party {
    Party::External(IpRange::parse(ip).unwrap())
}

const PODS: &str = "
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  containers:
  - name: c
    image: x
    ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: other, labels: {app: client}}
spec: {containers: [{name: c, image: x}]}
";

fn with(policies: &str) -> Network {
    net(&format!("{PODS}\n---\n{policies}"))
}

#[test]
fn no_policy_allows_everything() {
    let n = with("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}");
    assert_eq!(
        conns(&n, ep(&n, "other", "client"), ep(&n, "shop", "web")),
        "All Connections"
    );
    assert_eq!(
        conns(&n, ext("8.8.8.8"), ep(&n, "shop", "db")),
        "All Connections"
    );
}

#[test]
fn empty_pod_selector_default_deny_isolates_every_pod_of_its_namespace_only() {
    let n = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}}",
    );
    assert_eq!(
        conns(&n, ep(&n, "other", "client"), ep(&n, "shop", "web")),
        "No Connections"
    );
    assert_eq!(
        conns(&n, ep(&n, "shop", "db"), ep(&n, "shop", "web")),
        "No Connections"
    );
    // policyTypes defaults to Ingress only: egress stays open, and `other` is untouched.
    assert_eq!(
        conns(&n, ep(&n, "shop", "web"), ep(&n, "other", "client")),
        "All Connections"
    );
    assert_eq!(
        conns(&n, ep(&n, "shop", "web"), ext("1.1.1.1")),
        "All Connections"
    );
}

#[test]
fn egress_rules_make_egress_isolating_without_policy_types() {
    let n = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}]",
    );
    // Ingress is isolated too (always implied) with no ingress rules.
    assert_eq!(
        conns(&n, ep(&n, "shop", "db"), ep(&n, "shop", "web")),
        "No Connections"
    );
    assert_eq!(
        conns(&n, ep(&n, "shop", "web"), ep(&n, "shop", "db")),
        "All Connections"
    );
    assert_eq!(
        conns(&n, ep(&n, "shop", "web"), ep(&n, "other", "client")),
        "No Connections"
    );
    // `egress: []` does not make a policy without policyTypes an egress policy.
    let n = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec: {podSelector: {}, egress: []}",
    );
    assert_eq!(
        conns(&n, ep(&n, "shop", "web"), ext("1.1.1.1")),
        "All Connections"
    );
}

#[test]
fn empty_ingress_list_denies_but_a_rule_without_from_allows_all() {
    let deny = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress], ingress: []}",
    );
    assert_eq!(
        conns(&deny, ext("1.2.3.4"), ep(&deny, "shop", "web")),
        "No Connections"
    );
    let allow = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress], ingress: [{}]}",
    );
    assert_eq!(
        conns(&allow, ext("1.2.3.4"), ep(&allow, "shop", "web")),
        "All Connections"
    );
    assert_eq!(
        conns(
            &allow,
            ep(&allow, "other", "client"),
            ep(&allow, "shop", "web")
        ),
        "All Connections"
    );
}

#[test]
fn namespace_and_pod_selectors_in_one_peer_are_anded_in_two_peers_ored() {
    let and = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}
      podSelector: {matchLabels: {app: web}}",
    );
    assert_eq!(
        conns(&and, ep(&and, "other", "client"), ep(&and, "shop", "db")),
        "No Connections"
    );
    assert_eq!(
        conns(&and, ep(&and, "shop", "web"), ep(&and, "shop", "db")),
        "No Connections"
    );
    let or = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}
    - podSelector: {matchLabels: {app: web}}",
    );
    assert_eq!(
        conns(&or, ep(&or, "other", "client"), ep(&or, "shop", "db")),
        "All Connections"
    );
    assert_eq!(
        conns(&or, ep(&or, "shop", "web"), ep(&or, "shop", "db")),
        "All Connections"
    );
    // A podSelector alone means the policy's own namespace.
    let own = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {}}]}]",
    );
    assert_eq!(
        conns(&own, ep(&own, "other", "client"), ep(&own, "shop", "db")),
        "No Connections"
    );
    assert_eq!(
        conns(&own, ep(&own, "shop", "web"), ep(&own, "shop", "db")),
        "All Connections"
    );
}

#[test]
fn match_expressions_select() {
    let n = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [web]}]}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: team, operator: Exists}]}",
    );
    // db is selected (app NotIn [web]); web is not.
    assert_eq!(
        conns(&n, ep(&n, "other", "client"), ep(&n, "shop", "db")),
        "No Connections"
    );
    assert_eq!(
        conns(&n, ep(&n, "shop", "web"), ep(&n, "shop", "db")),
        "All Connections"
    );
    assert_eq!(
        conns(&n, ep(&n, "other", "client"), ep(&n, "shop", "web")),
        "All Connections"
    );
}

#[test]
fn ip_blocks_match_external_addresses_only_with_except() {
    let n = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}, {ipBlock: {cidr: 'fd00::/8'}}]}]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]}]",
    );
    assert_eq!(
        conns(&n, ext("10.2.0.1"), ep(&n, "shop", "web")),
        "All Connections"
    );
    assert_eq!(
        conns(&n, ext("10.1.0.1"), ep(&n, "shop", "web")),
        "No Connections"
    );
    assert_eq!(
        conns(&n, ext("fd12::1"), ep(&n, "shop", "web")),
        "All Connections"
    );
    assert_eq!(
        conns(&n, ext("fe80::1"), ep(&n, "shop", "web")),
        "No Connections"
    );
    assert_eq!(
        conns(&n, ep(&n, "shop", "web"), ext("169.254.169.254")),
        "No Connections"
    );
    assert_eq!(
        conns(&n, ep(&n, "shop", "web"), ext("8.8.8.8")),
        "All Connections"
    );
    // ipBlocks never match pods, even 0.0.0.0/0.
    assert_eq!(
        conns(&n, ep(&n, "shop", "web"), ep(&n, "shop", "db")),
        "No Connections"
    );
    let (sources, destinations) = n.external_pieces();
    let s: Vec<String> = sources.iter().map(ToString::to_string).collect();
    assert!(s.contains(&"10.1.0.0-10.1.255.255".to_string()), "{s:?}");
    assert_eq!(destinations.len(), 3);
}

#[test]
fn named_ports_resolve_against_the_destination_with_their_protocol() {
    let n = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: http}, {port: dns, protocol: UDP}, {port: dns}]",
    );
    // `dns` over TCP does not match the UDP container port named dns.
    assert_eq!(
        conns(&n, ep(&n, "shop", "db"), ep(&n, "shop", "web")),
        "TCP 8080,UDP 53"
    );
    // db declares no ports: named ports allow nothing there.
    assert_eq!(
        conns(&n, ep(&n, "shop", "web"), ep(&n, "shop", "db")),
        "No Connections"
    );
}

#[test]
fn end_port_protocols_and_union_of_policies() {
    let n = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{ports: [{port: 5000, endPort: 5010}, {protocol: SCTP}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}, {port: 53, protocol: UDP}]}]",
    );
    assert_eq!(
        conns(&n, ep(&n, "shop", "web"), ep(&n, "shop", "db")),
        "SCTP 1-65535,TCP 5000-5010,5432,UDP 53"
    );
    assert_eq!(
        conns(&n, ep(&n, "other", "client"), ep(&n, "shop", "db")),
        "SCTP 1-65535,TCP 5000-5010"
    );
    let v = n.explain(ep(&n, "shop", "web"), ep(&n, "shop", "db"));
    assert_eq!(v.ingress.isolated_by.len(), 2);
    assert_eq!(v.ingress.allowed_by.len(), 2);
    assert!(v.egress.isolated_by.is_empty());
}

#[test]
fn connection_needs_source_egress_and_destination_ingress() {
    let n = with(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress, namespace: other}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{ports: [{port: 80}, {port: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: 8080}, {port: 9090}]}]",
    );
    assert_eq!(
        conns(&n, ep(&n, "other", "client"), ep(&n, "shop", "web")),
        "TCP 8080"
    );
    let v = n.explain(ep(&n, "other", "client"), ep(&n, "shop", "web"));
    assert_eq!(v.egress.conns.to_string(), "TCP 80,8080");
    assert_eq!(v.ingress.conns.to_string(), "TCP 8080,9090");
}

#[test]
fn pods_fold_into_their_controlling_owner_and_missing_namespaces_get_the_name_label() {
    let n = net("apiVersion: v1
kind: Pod
metadata:
  name: a-1
  namespace: ns1
  labels: {app: a}
  ownerReferences: [{kind: ReplicaSet, name: a-77, controller: true}]
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: a-2
  namespace: ns1
  labels: {app: a}
  ownerReferences: [{kind: ReplicaSet, name: a-77, controller: true}]
spec: {containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, namespace: ns2}
spec: {template: {metadata: {labels: {app: b}}, spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ns2}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ns1}}}]}]");
    let names: Vec<String> = n.workloads.iter().map(ToString::to_string).collect();
    assert_eq!(names, ["ns1/a-77[ReplicaSet]", "ns2/b[Deployment]"]);
    let lines: Vec<String> = n.connections().iter().map(connlist_line).collect();
    assert!(lines.contains(&"ns1/a-77[ReplicaSet] => ns2/b[Deployment] : All Connections".into()));
    // ns1 has no policy and ns2's policy isolates only ingress.
    assert!(lines.contains(&"ns2/b[Deployment] => ns1/a-77[ReplicaSet] : All Connections".into()));
    assert!(lines.contains(
        &"ns1/a-77[ReplicaSet] => 0.0.0.0-255.255.255.255[External] : All Connections".into()
    ));
    assert!(!lines.iter().any(|l| l.contains("[External] => ns2/b")));
}

#[test]
fn admin_policies_decide_before_network_policies_by_priority_and_rule_order() {
    let n = with(
        "apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: low-priority-allow}
spec:
  priority: 20
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}
  ingress:
  - {name: all, action: Allow, from: [{namespaces: {}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: high-priority}
spec:
  priority: 10
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}
  ingress:
  - {name: pass-web, action: Pass, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}], ports: [{portNumber: {port: 5432}}]}
  - {name: deny-rest, action: Deny, from: [{namespaces: {}}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}, {port: 6432}]}]",
    );
    // Port 5432 from web is passed down and the NetworkPolicy allows it; everything
    // else into db is denied by the earlier ANP, despite the later Allow-all ANP.
    assert_eq!(
        conns(&n, ep(&n, "shop", "web"), ep(&n, "shop", "db")),
        "TCP 5432"
    );
    assert_eq!(
        conns(&n, ep(&n, "other", "client"), ep(&n, "shop", "db")),
        "No Connections"
    );
    // web is only under the Allow ANP: allowed from any pod, even with no policy.
    assert_eq!(
        conns(&n, ep(&n, "other", "client"), ep(&n, "shop", "web")),
        "All Connections"
    );
    let v = n.explain(ep(&n, "shop", "web"), ep(&n, "shop", "db"));
    let actions: Vec<&str> = v.ingress.admin.iter().map(|d| d.action.name()).collect();
    assert_eq!(actions, ["Pass", "Deny"]);
}

#[test]
fn baseline_applies_only_where_no_network_policy_isolates() {
    let n = with(
        "apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress:
  - {name: allow-dns, action: Allow, from: [{namespaces: {}}], ports: [{portNumber: {protocol: UDP, port: 53}}]}
  - {name: deny-all, action: Deny, from: [{namespaces: {}}]}
  egress:
  - {name: deny-metadata, action: Deny, to: [{networks: [169.254.169.254/32]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: http}]}]",
    );
    // db has no NetworkPolicy: the baseline decides (DNS allowed, the rest denied).
    assert_eq!(
        conns(&n, ep(&n, "other", "client"), ep(&n, "shop", "db")),
        "UDP 53"
    );
    // web is isolated by a NetworkPolicy: the baseline does not apply.
    assert_eq!(
        conns(&n, ep(&n, "other", "client"), ep(&n, "shop", "web")),
        "TCP 8080"
    );
    // The baseline's rules read pods only; external sources fall to the default.
    assert_eq!(
        conns(&n, ext("8.8.8.8"), ep(&n, "shop", "db")),
        "All Connections"
    );
    assert_eq!(
        conns(&n, ep(&n, "shop", "db"), ext("169.254.169.254")),
        "No Connections"
    );
    assert_eq!(
        conns(&n, ep(&n, "shop", "db"), ext("8.8.8.8")),
        "All Connections"
    );
    let (_, destinations) = n.external_pieces();
    assert_eq!(destinations.len(), 3, "cut at the baseline's network");
}

#[test]
fn admin_named_ports_take_the_pod_protocol_and_ranges_apply() {
    let n = with(
        "apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: ports}
spec:
  priority: 1
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}
  ingress:
  - {name: named, action: Allow, from: [{namespaces: {}}], ports: [{namedPort: dns}]}
  - {name: range, action: Allow, from: [{namespaces: {}}], ports: [{portRange: {protocol: SCTP, start: 100, end: 200}}]}
  - {name: rest, action: Deny, from: [{namespaces: {}}]}",
    );
    assert_eq!(
        conns(&n, ep(&n, "other", "client"), ep(&n, "shop", "web")),
        "SCTP 100-200,UDP 53"
    );
    assert_eq!(
        conns(&n, ep(&n, "other", "client"), ep(&n, "shop", "db")),
        "SCTP 100-200"
    );
}
