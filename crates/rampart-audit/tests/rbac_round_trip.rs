//! The RBAC generated from an audit log allows exactly what the log shows: loaded back
//! with Rampart's own loader and judged by Rampart's RBAC authorizer (without the
//! built-in roles), every observed request of the subject is allowed, and requests
//! next to them (another verb, resource, subresource, namespace or name) are denied.
//! The log is audit2rbac's real demo log.

use std::collections::BTreeSet;
use std::path::PathBuf;

use rampart_analysis::rbac::{Rbac, Request};
use rampart_audit::Input;
use rampart_audit::rbacgen::{self, Collected, Observed, Settings, Subject};
use rampart_model::Inventory;

fn demo_log() -> Input {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/schemas/audit/audit2rbac-testdata/demo.log");
    assert!(
        path.is_file(),
        "shared audit data missing: {}",
        path.display()
    );
    Input::Path(path)
}

fn falco_traces() -> Vec<Input> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/schemas/audit/falco-k8s_audit-trace-files");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths.into_iter().map(Input::Path).collect()
}

fn collect(inputs: &[Input], subject: &Subject, settings: Settings) -> Collected {
    let mut collected = Collected::default();
    for input in inputs {
        rampart_audit::collect_requests(input, subject, settings, &mut collected, &mut |_, _| {})
            .unwrap();
    }
    collected
}

/// Generates, renders as YAML, loads the YAML back and builds the authorizer.
fn round_trip(collected: &Collected, subject: &Subject, settings: Settings) -> (Rbac, String) {
    let objects = rbacgen::generate(collected, subject, settings);
    let yaml = rbacgen::to_yaml(&objects, &["test".to_string()]);
    let loaded = rampart_source::load_str("generated.yaml", &yaml);
    assert!(!loaded.has_errors(), "{yaml}\n{:?}", loaded.diagnostics);
    assert_eq!(loaded.objects.len(), objects.len(), "{yaml}");
    let inventory = Inventory::new(loaded.files, loaded.objects, None);
    (Rbac::build(&inventory, false), yaml)
}

const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// Whether a request is one of the observed ones, as the generated rules see them: a
/// request across all namespaces also covers each namespace, and without resource
/// names the name does not matter.
fn covered(observed: &BTreeSet<Observed>, r: &Request, names: bool) -> bool {
    observed.iter().any(|o| {
        if r.path.is_some() || o.path.is_some() {
            return o.path == r.path && o.verb == r.verb;
        }
        let name_ok = !names
            || matches!(o.verb.as_str(), "create" | "deletecollection")
            || o.name.is_empty()
            || o.name == r.name;
        o.verb == r.verb
            && o.api_group == r.api_group
            && o.resource == r.resource
            && o.subresource == r.subresource
            && (o.namespace.is_empty() || o.namespace == r.namespace)
            && name_ok
    })
}

/// Requests next to the observed ones that were not observed.
fn neighbours(observed: &BTreeSet<Observed>, names: bool) -> Vec<Request> {
    let mut out = Vec::new();
    for o in observed {
        let base = o.request();
        if o.path.is_some() {
            out.push(Request {
                path: Some("/unobserved".into()),
                ..base.clone()
            });
            out.push(Request {
                verb: "post".into(),
                ..base.clone()
            });
            continue;
        }
        for verb in VERBS {
            out.push(Request {
                verb: (*verb).to_string(),
                ..base.clone()
            });
        }
        out.push(Request {
            resource: "unobserved".into(),
            ..base.clone()
        });
        out.push(Request {
            subresource: "unobserved".into(),
            ..base.clone()
        });
        out.push(Request {
            api_group: "unobserved.example.com".into(),
            ..base.clone()
        });
        if !o.namespace.is_empty() {
            out.push(Request {
                namespace: "unobserved".into(),
                ..base.clone()
            });
        }
        if names {
            out.push(Request {
                name: "unobserved".into(),
                ..base.clone()
            });
        }
    }
    out.into_iter()
        .filter(|r| !covered(observed, r, names))
        .collect()
}

fn check(inputs: &[Input], subject: &Subject, settings: Settings, expect_requests: usize) {
    let collected = collect(inputs, subject, settings);
    assert_eq!(
        collected.requests.len(),
        expect_requests,
        "{subject:?}: {:#?}",
        collected.requests
    );
    let (rbac, yaml) = round_trip(&collected, subject, settings);
    let user = subject.user_info();
    for o in &collected.requests {
        assert!(
            !rbac.authorize(&user, &o.request()).is_empty(),
            "{subject:?}: observed `{}` is denied by\n{yaml}",
            o.describe()
        );
    }
    let others = neighbours(&collected.requests, settings.resource_names);
    assert!(others.len() > expect_requests, "too few samples");
    for r in &others {
        assert!(
            rbac.authorize(&user, r).is_empty(),
            "{subject:?}: unobserved {r:?} is allowed by\n{yaml}"
        );
    }
    // The same user in another identity gets nothing.
    let stranger = rampart_analysis::rbac::UserInfo::authenticated("mallory", &[]);
    for o in &collected.requests {
        assert!(rbac.authorize(&stranger, &o.request()).is_empty());
    }
}

#[test]
fn demo_log_bob() {
    // list pods in default and ns1, list nodes, and 23 discovery URLs.
    let subject = Subject::parse("User:bob").unwrap();
    check(&[demo_log()], &subject, Settings::default(), 3 + 23);
    let collected = collect(&[demo_log()], &subject, Settings::default());
    let (_, yaml) = round_trip(&collected, &subject, Settings::default());
    assert!(yaml.contains("kind: ClusterRoleBinding"), "{yaml}");
    assert!(yaml.contains("  namespace: ns1"), "{yaml}");
    assert!(yaml.contains("- /apis/batch/v1"), "{yaml}");
}

#[test]
fn demo_log_service_account_and_alice() {
    let sa = Subject::parse("system:serviceaccount:ns1:sa1").unwrap();
    assert_eq!(sa, Subject::parse("ServiceAccount:ns1:sa1").unwrap());
    // list pods in default, list nodes, list pods in all namespaces.
    check(&[demo_log()], &sa, Settings::default(), 3);
    let alice = Subject::parse("User:alice").unwrap();
    check(&[demo_log()], &alice, Settings::default(), 3);
    // Allowed only: alice was denied everything.
    let allowed = Settings {
        allowed_only: true,
        ..Settings::default()
    };
    assert!(collect(&[demo_log()], &alice, allowed).requests.is_empty());
}

#[test]
fn falco_traces_with_and_without_resource_names() {
    // minikube-user creates, deletes, execs and attaches across namespaces.
    let subject = Subject::parse("minikube-user").unwrap();
    for settings in [
        Settings::default(),
        Settings {
            resource_names: true,
            ..Settings::default()
        },
    ] {
        let collected = collect(&falco_traces(), &subject, settings);
        check(
            &falco_traces(),
            &subject,
            settings,
            collected.requests.len(),
        );
        assert!(collected.requests.len() > 20);
    }
    let group = Subject::parse("Group:system:masters").unwrap();
    let collected = collect(&falco_traces(), &group, Settings::default());
    check(
        &falco_traces(),
        &group,
        Settings::default(),
        collected.requests.len(),
    );
}

#[test]
fn compare_lists_rights_never_used() {
    let subject = Subject::parse("User:bob").unwrap();
    let collected = collect(&[demo_log()], &subject, Settings::default());
    let existing = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
- apiGroups: [""]
  resources: [pods, secrets]
  verbs: [get, list]
- nonResourceURLs: ["/api", "/metrics"]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bob-reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-edit, namespace: ns2}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}]
"#;
    let loaded = rampart_source::load_str("existing.yaml", existing);
    let inventory = Inventory::new(loaded.files, loaded.objects, None);
    let rbac = Rbac::build(&inventory, false);
    let unused: Vec<String> = rbacgen::unused_rights(&rbac, &subject, &collected.requests)
        .iter()
        .map(|u| {
            format!(
                "{}: {}",
                u.namespace.as_deref().unwrap_or("cluster"),
                u.describe()
            )
        })
        .collect();
    assert_eq!(
        unused,
        vec![
            "cluster: get /metrics",
            "cluster: get pods (core)",
            "cluster: get secrets (core)",
            "cluster: list secrets (core)",
            "ns2: get pods (core)",
            "ns2: get secrets (core)",
            "ns2: list pods (core)",
            "ns2: list secrets (core)",
        ]
    );
}
