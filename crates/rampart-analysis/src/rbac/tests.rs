//! Authorizer corner cases, after upstream's `rbac_test.go`, `subject_locator_test.go`,
//! `evaluation_helpers` and the aggregation controller tests.

use rampart_model::Inventory;

use super::*;

fn rbac(yaml: &str) -> Rbac {
    let loaded = rampart_source::load_str("rbac.yaml", yaml);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    Rbac::build(&Inventory::new(loaded.files, loaded.objects, None), false)
}

fn req(verb: &str, group: &str, resource: &str, sub: &str, name: &str, ns: &str) -> Request {
    Request {
        verb: verb.into(),
        api_group: group.into(),
        resource: resource.into(),
        subresource: sub.into(),
        name: name.into(),
        namespace: ns.into(),
        path: None,
    }
}

fn url(verb: &str, path: &str) -> Request {
    Request {
        verb: verb.into(),
        path: Some(path.into()),
        ..Request::default()
    }
}

fn user(name: &str) -> UserInfo {
    UserInfo::authenticated(name, &[])
}

fn rule(
    verbs: &[&str],
    groups: &[&str],
    resources: &[&str],
    names: &[&str],
    urls: &[&str],
) -> Rule {
    let v = |x: &[&str]| x.iter().map(std::string::ToString::to_string).collect();
    Rule {
        verbs: v(verbs),
        api_groups: v(groups),
        resources: v(resources),
        resource_names: v(names),
        non_resource_urls: v(urls),
        pos: rampart_model::Pos::UNKNOWN,
        source: 0,
        index: 0,
    }
}

#[test]
fn rule_matching_follows_evaluation_helpers() {
    let pods = rule(&["get"], &[""], &["pods"], &[], &[]);
    assert!(pods.allows(&req("get", "", "pods", "", "p", "ns")));
    assert!(!pods.allows(&req("list", "", "pods", "", "", "ns")));
    assert!(
        !pods.allows(&req("get", "apps", "pods", "", "p", "ns")),
        "`\"\"` is the core group only"
    );
    assert!(
        !pods.allows(&req("get", "", "pods", "exec", "p", "ns")),
        "`pods` does not cover `pods/exec`"
    );
    let star = rule(&["*"], &["*"], &["*"], &[], &[]);
    assert!(
        star.allows(&req("delete", "apps", "deployments", "scale", "x", "")),
        "`*` covers subresources"
    );
    let any_status = rule(&["get"], &[""], &["*/status"], &[], &[]);
    assert!(any_status.allows(&req("get", "", "pods", "status", "", "ns")));
    assert!(!any_status.allows(&req("get", "", "pods", "", "", "ns")));
    assert!(
        !any_status.allows(&req("get", "", "pods", "xstatus", "", "ns")),
        "`*/sub` needs the exact subresource"
    );
    let named = rule(
        &["get", "list", "create"],
        &[""],
        &["secrets"],
        &["tls"],
        &[],
    );
    assert!(named.allows(&req("get", "", "secrets", "", "tls", "ns")));
    assert!(!named.allows(&req("get", "", "secrets", "", "other", "ns")));
    assert!(
        !named.allows(&req("list", "", "secrets", "", "", "ns")),
        "resourceNames never allow list"
    );
    assert!(
        !named.allows(&req("create", "", "secrets", "", "", "ns")),
        "nor create, which has no name"
    );
    let urls = rule(&["get"], &[], &[], &[], &["/healthz", "/api/*"]);
    assert!(urls.allows(&url("get", "/healthz")));
    assert!(!urls.allows(&url("get", "/healthz/ready")));
    assert!(urls.allows(&url("get", "/api/v1")));
    assert!(urls.allows(&url("get", "/api/")));
    assert!(!urls.allows(&url("get", "/apis")));
    assert!(
        !urls.allows(&req("get", "", "api", "", "", "")),
        "URL rules never allow resource requests"
    );
    assert!(
        !pods.allows(&url("get", "/pods")),
        "resource rules never allow URLs"
    );
}

const BINDINGS: &str = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules: [{apiGroups: [''], resources: [secrets], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-secrets, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
  - {kind: User, name: alice}
  - {kind: ServiceAccount, name: ci}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: team-b}
rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: wrong-kind}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects: [{kind: Group, name: devs}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-reads-nodes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-reader}
subjects: [{kind: Group, name: system:authenticated}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-reader}
rules: [{apiGroups: [''], resources: [nodes], verbs: [list]}]
";

#[test]
fn a_rolebinding_to_a_clusterrole_grants_only_in_its_namespace() {
    let rbac = rbac(BINDINGS);
    let alice = user("alice");
    assert_eq!(
        rbac.authorize(&alice, &req("get", "", "secrets", "", "s", "team-a"))
            .len(),
        1
    );
    assert!(
        rbac.authorize(&alice, &req("get", "", "secrets", "", "s", "team-b"))
            .is_empty()
    );
    assert!(
        rbac.authorize(&alice, &req("list", "", "secrets", "", "", ""))
            .is_empty(),
        "not cluster-wide"
    );
    assert_eq!(
        rbac.authorize(&alice, &req("watch", "", "secrets", "", "", "team-a"))
            .len(),
        1,
        "watch is as good as get"
    );
}

#[test]
fn service_accounts_and_implied_groups() {
    let rbac = rbac(BINDINGS);
    let ci = UserInfo::authenticated("system:serviceaccount:team-a:ci", &[]);
    assert!(
        ci.groups
            .contains(&"system:serviceaccounts:team-a".to_string())
    );
    assert!(ci.groups.contains(&"system:authenticated".to_string()));
    assert_eq!(
        rbac.authorize(&ci, &req("list", "", "secrets", "", "", "team-a"))
            .len(),
        1,
        "a SA subject without namespace takes the binding's"
    );
    let other = UserInfo::authenticated("system:serviceaccount:team-b:ci", &[]);
    assert!(
        rbac.authorize(&other, &req("list", "", "secrets", "", "", "team-a"))
            .is_empty()
    );
    assert_eq!(
        rbac.authorize(&ci, &req("list", "", "nodes", "", "", ""))
            .len(),
        1,
        "system:authenticated binding applies"
    );
    let anonymous = UserInfo::authenticated("system:anonymous", &[]);
    assert!(
        anonymous
            .groups
            .contains(&"system:unauthenticated".to_string())
    );
    assert!(
        rbac.authorize(&anonymous, &req("list", "", "nodes", "", "", ""))
            .is_empty()
    );
    let devs = UserInfo::authenticated("", &["devs".to_string()]);
    assert!(
        rbac.authorize(&devs, &req("get", "", "pods", "", "p", "team-b"))
            .is_empty(),
        "a ClusterRoleBinding to a Role grants nothing"
    );
}

#[test]
fn who_can_lists_subjects_like_the_subject_locator() {
    let rbac = rbac(BINDINGS);
    let names = |r: &Request| -> Vec<String> {
        rbac.who_can(r)
            .into_iter()
            .map(|(s, _)| s.describe())
            .collect()
    };
    assert_eq!(
        names(&req("get", "", "secrets", "", "", "team-a")),
        [
            "Group `system:masters`",
            "User `alice`",
            "ServiceAccount `ci`"
        ]
    );
    assert_eq!(
        names(&req("get", "", "secrets", "", "", "")),
        ["Group `system:masters`"]
    );
    assert_eq!(
        names(&req("list", "", "nodes", "", "", "")),
        ["Group `system:masters`", "Group `system:authenticated`"]
    );
}

#[test]
fn aggregation_of_aggregated_roles() {
    let rbac = rbac(
        "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rbac.example.com/aggregate-to-monitoring: 'true'}}]
rules: [{apiGroups: [''], resources: [ignored], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-endpoints
  labels: {rbac.example.com/aggregate-to-monitoring: 'true'}
aggregationRule:
  clusterRoleSelectors: [{matchExpressions: [{key: tier, operator: In, values: [metrics]}]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: metrics-pods
  labels: {tier: metrics}
rules: [{apiGroups: [''], resources: [pods], verbs: [list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: prom}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
subjects: [{kind: ServiceAccount, name: prometheus, namespace: monitoring}]
",
    );
    let prom = UserInfo::authenticated("system:serviceaccount:monitoring:prometheus", &[]);
    let grants = rbac.authorize(&prom, &req("list", "", "pods", "", "", ""));
    assert_eq!(
        grants.len(),
        1,
        "rules flow through two levels of aggregation"
    );
    assert_eq!(
        rbac.roles[rbac.rules_of(grants[0].role)[grants[0].rule].source].name,
        "metrics-pods"
    );
    assert!(
        rbac.authorize(&prom, &req("get", "", "ignored", "", "", ""))
            .is_empty(),
        "an aggregating role's own rules are replaced"
    );
}

#[test]
fn bootstrap_roles_are_known_unless_the_input_defines_them() {
    let yaml = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: User, name: ops}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-edit, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{kind: Group, name: devs}]
";
    let loaded = rampart_source::load_str("rbac.yaml", yaml);
    let inventory = Inventory::new(loaded.files, loaded.objects, None);
    let with = Rbac::build(&inventory, true);
    let ops = user("ops");
    assert!(
        !with
            .authorize(&ops, &req("delete", "", "nodes", "", "n", ""))
            .is_empty(),
        "cluster-admin is built in"
    );
    let devs = UserInfo::authenticated("dev", &["devs".to_string()]);
    assert!(
        !with
            .authorize(&devs, &req("create", "apps", "deployments", "", "", "shop"))
            .is_empty(),
        "edit aggregates system:aggregate-to-edit"
    );
    assert!(
        with.authorize(
            &devs,
            &req(
                "create",
                "rbac.authorization.k8s.io",
                "rolebindings",
                "",
                "",
                "shop"
            )
        )
        .is_empty()
    );
    assert!(
        with.authorize(
            &devs,
            &req("create", "apps", "deployments", "", "", "other")
        )
        .is_empty(),
        "only in shop"
    );
    let masters = UserInfo::authenticated("x", &["system:masters".to_string()]);
    assert!(
        !with
            .authorize(&masters, &req("get", "", "secrets", "", "", ""))
            .is_empty(),
        "the built-in cluster-admin binding"
    );
    let without = Rbac::build(&inventory, false);
    assert!(
        without
            .authorize(&ops, &req("delete", "", "nodes", "", "n", ""))
            .is_empty(),
        "--no-builtin-rbac"
    );
    // An input definition replaces the built-in one.
    let custom = format!(
        "{yaml}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: cluster-admin}}\nrules: [{{apiGroups: [''], resources: [pods], verbs: [get]}}]\n"
    );
    let loaded = rampart_source::load_str("rbac.yaml", &custom);
    let rbac = Rbac::build(&Inventory::new(loaded.files, loaded.objects, None), true);
    assert!(
        rbac.authorize(&ops, &req("delete", "", "nodes", "", "n", ""))
            .is_empty()
    );
    assert!(
        !rbac
            .authorize(&ops, &req("get", "", "pods", "", "p", "x"))
            .is_empty()
    );
}

/// After upstream's `TestSyncClusterRole` "select properly and put in order": the
/// controller visits matched roles sorted by name, so rule order (and the rule a
/// grant names) is the controller's.
#[test]
fn aggregated_rules_follow_role_name_order() {
    let rbac = rbac(
        "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: target}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {foo: bar}}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: hammer, labels: {foo: bar}}
rules: [{apiGroups: [''], resources: [nails], verbs: [hammer]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: chisel, labels: {foo: bar}}
rules: [{apiGroups: [''], resources: [wedges], verbs: [chisel]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: saw, labels: {foo: bar}}
rules: [{apiGroups: [''], resources: [boards], verbs: [saw]}]
",
    );
    let target = rbac.cluster_role("target").unwrap();
    let verbs: Vec<&str> = rbac
        .rules_of(target)
        .iter()
        .map(|r| r.verbs[0].as_str())
        .collect();
    assert_eq!(verbs, ["chisel", "hammer", "saw"]);
}
