//! The webhook's cluster context kept current by watches (`rampart_cluster::watch`),
//! against the fake API server of `rampart_cluster::fake`: it lists, then streams the
//! changes a test pushes as watch events. No cluster is needed.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use rampart_cluster::fake::{Change, FakeApi, Faults, Recorded};
use rampart_cluster::watch::{Connection, ContextWatch, Update};
use rampart_server::{ClusterContext, Enforcement};
use serde_json::json;

const RBAC: &str = "rbac.authorization.k8s.io/v1";

fn cluster() -> Recorded {
    let mut recorded = Recorded::default();
    recorded.add_objects([
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop",
            "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "app", "namespace": "shop"}}),
        json!({"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "reader", "namespace": "shop"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}),
        json!({"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "old", "namespace": "shop"},
            "rules": [{"apiGroups": [""], "resources": ["services"], "verbs": ["get"]}]}),
        json!({"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": "read", "namespace": "shop"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": "shop"}]}),
        json!({"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "pod-viewer"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}),
        // Never watched: the context keeps no Secrets or ConfigMaps.
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "shop"},
            "data": {"password": "aHVudGVyMg=="}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}}),
    ]);
    recorded
}

struct Watching {
    server: FakeApi,
    runtime: tokio::runtime::Runtime,
    watch: Option<ContextWatch>,
    updates: mpsc::Receiver<Update>,
    _dir: tempfile::TempDir,
}

fn start(faults: Faults) -> Watching {
    let server = FakeApi::start(cluster(), faults).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = rampart_cluster::Options {
        kubeconfig: Some(server.write_kubeconfig(dir.path()).unwrap()),
        ..rampart_cluster::Options::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (tx, updates) = mpsc::channel();
    let watch = runtime.block_on(async {
        let connection = Connection::open(&options).await.unwrap();
        assert_eq!(connection.context(), "fake");
        connection.watch(Duration::from_millis(100), move |update| {
            let _ = tx.send(update);
        })
    });
    Watching {
        server,
        runtime,
        watch: Some(watch),
        updates,
        _dir: dir,
    }
}

impl Watching {
    /// The next update that satisfies `wanted` (earlier ones are skipped).
    fn until(&self, what: &str, wanted: impl Fn(&Update) -> bool) -> Update {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.updates.recv_timeout(left) {
                Ok(update) if wanted(&update) => return update,
                Ok(_) => {}
                Err(e) => panic!("no update with {what}: {e}"),
            }
        }
    }

    fn stop(mut self) {
        if let Some(watch) = self.watch.take() {
            self.runtime.block_on(watch.stop());
        }
    }
}

/// `Kind namespace/name` of each object.
fn names(update: &Update) -> Vec<String> {
    update
        .objects
        .iter()
        .map(|o| match o.namespace() {
            Some(ns) => format!("{} {ns}/{}", o.kind(), o.name()),
            None => format!("{} {}", o.kind(), o.name()),
        })
        .collect()
}

/// A ClusterRoleBinding of group `devs` to cluster-admin.
fn devs_admin() -> serde_json::Value {
    json!({"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": "devs-admin"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"}]})
}

fn has(update: &Update, name: &str) -> bool {
    names(update).iter().any(|n| n == name)
}

#[test]
fn the_context_is_listed_then_follows_pushed_changes() {
    let watching = start(Faults::default());
    let first = watching.until("the initial list", |u| u.initial);
    assert_eq!(
        names(&first),
        [
            "Namespace shop",
            "ServiceAccount shop/app",
            "Role shop/old",
            "Role shop/reader",
            "RoleBinding shop/read",
            "ClusterRole pod-viewer",
        ]
    );
    assert!(first.missing.is_empty(), "{:?}", first.missing);

    // A group bound to cluster-admin appears, a Role goes, a Namespace changes.
    watching.server.push(Change::Added, devs_admin()).unwrap();
    watching
        .server
        .push(
            Change::Deleted,
            json!({"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "old", "namespace": "shop"}}),
        )
        .unwrap();
    let next = watching.until("the binding added and the role deleted", |u| {
        has(u, "ClusterRoleBinding devs-admin") && !has(u, "Role shop/old")
    });
    assert!(!next.initial);
    assert!(has(&next, "Role shop/reader"));
    let binding = next
        .objects
        .iter()
        .find(|o| o.kind() == "ClusterRoleBinding")
        .unwrap();
    assert_eq!(
        binding.root.path("roleRef.name").and_then(|n| n.as_str()),
        Some("cluster-admin")
    );

    watching
        .server
        .push(
            Change::Modified,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop",
                "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}),
        )
        .unwrap();
    watching.until("the namespace relabelled", |u| {
        u.objects.iter().any(|o| {
            o.kind() == "Namespace"
                && o.root
                    .path("metadata.labels")
                    .and_then(|l| l.get("pod-security.kubernetes.io/enforce"))
                    .and_then(|v| v.as_str())
                    == Some("restricted")
        })
    });

    // Listed once per kind, then watched from the list's resourceVersion; Secrets and
    // ConfigMaps never asked for.
    let log = watching.server.requests();
    let uris: Vec<&str> = log.iter().map(|l| l.uri.as_str()).collect();
    assert!(
        uris.iter()
            .all(|u| !u.contains("secrets") && !u.contains("configmaps")),
        "{uris:#?}"
    );
    for path in [
        "/api/v1/namespaces?",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?",
        "/apis/networking.k8s.io/v1/networkpolicies?",
        "/apis/apps/v1/deployments?",
    ] {
        assert!(
            uris.iter()
                .any(|u| u.starts_with(path) && !u.contains("watch=")),
            "no list of {path}: {uris:#?}"
        );
        assert!(
            uris.iter().any(|u| u.starts_with(path)
                && u.contains("watch=true")
                && u.contains("resourceVersion=4242")),
            "no watch of {path}: {uris:#?}"
        );
    }
    assert!(log.iter().all(|l| l.authorized && l.status == 200));
    watching.stop();
}

#[test]
fn a_kind_refused_with_403_is_left_out_and_the_others_are_still_watched() {
    let watching = start(Faults {
        forbidden: vec!["/apis/rbac.authorization.k8s.io/v1/rolebindings".into()],
        forbidden_watch: vec!["/api/v1/serviceaccounts".into()],
        ..Faults::default()
    });
    // Ready without the refused kind; the one whose watch is refused stays as listed.
    let first = watching.until("the initial list", |u| u.initial);
    assert!(!has(&first, "RoleBinding shop/read"));
    assert!(has(&first, "Role shop/reader") && has(&first, "Namespace shop"));
    let missing = &first
        .missing
        .iter()
        .find(|m| m.resource == "rolebindings.rbac.authorization.k8s.io")
        .unwrap();
    assert_eq!((missing.verb.as_str(), missing.status), ("list", Some(403)));
    assert!(missing.forbidden());
    assert!(
        missing.message.contains("cannot list"),
        "{}",
        missing.message
    );

    watching.server.push(Change::Added, devs_admin()).unwrap();
    let next = watching.until("the binding added and the refused watch noted", |u| {
        has(u, "ClusterRoleBinding devs-admin")
            && u.missing
                .iter()
                .any(|m| m.resource == "serviceaccounts" && m.verb == "watch")
    });
    assert!(
        has(&next, "ServiceAccount shop/app"),
        "listed before the watch was refused"
    );
    assert!(!has(&next, "RoleBinding shop/read"));
    watching.stop();
}

#[test]
fn an_expired_watch_lists_again() {
    let roles = "/apis/rbac.authorization.k8s.io/v1/roles";
    let watching = start(Faults {
        expire_watch_once: vec![roles.into()],
        ..Faults::default()
    });
    watching.until("the initial list", |u| u.initial);
    watching
        .server
        .push(
            Change::Added,
            json!({"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "new", "namespace": "shop"},
                "rules": []}),
        )
        .unwrap();
    let update = watching.until("the role added after the relist", |u| {
        has(u, "Role shop/new")
    });
    assert!(has(&update, "Role shop/reader") && has(&update, "Role shop/old"));
    let lists = watching
        .server
        .requests()
        .iter()
        .filter(|l| l.uri.starts_with(&format!("{roles}?")) && !l.uri.contains("watch="))
        .count();
    assert!(
        lists >= 2,
        "410 Gone makes the watcher list again ({lists} lists)"
    );
    watching.stop();
}

/// A RoleBinding review is judged against the RBAC the watch keeps: bound to a
/// ClusterRole the cluster does not have, it grants nothing (a warning); once that
/// ClusterRole appears in the cluster and can read Secrets, the same binding is denied.
#[test]
fn a_binding_review_is_judged_against_the_watched_rbac() {
    let watching = start(Faults::default());
    let first = watching.until("the initial list", |u| u.initial);
    let review = |update: Update| {
        let binding = json!({"apiVersion": RBAC, "kind": "RoleBinding",
            "metadata": {"name": "app-secrets", "namespace": "shop"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "secret-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": "shop"}]});
        let body = serde_json::to_vec(&json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u1", "operation": "CREATE", "namespace": "shop",
                "kind": {"group": "rbac.authorization.k8s.io", "version": "v1", "kind": "RoleBinding"},
                "object": binding}
        }))
        .unwrap();
        let context = ClusterContext::new(update.objects);
        rampart_server::admission::review(&body, &context, &Enforcement::default())
            .unwrap()
            .response
    };
    let before = review(first);
    assert!(before.allowed, "{before:?}");
    assert!(
        before.warnings.iter().any(|w| w.starts_with("RBAC007")),
        "{before:?}"
    );

    watching
        .server
        .push(
            Change::Added,
            json!({"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "secret-reader"},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}]}),
        )
        .unwrap();
    let next = watching.until("the cluster role added", |u| {
        has(u, "ClusterRole secret-reader")
    });
    let after = review(next);
    assert!(!after.allowed, "{after:?}");
    let message = after.status.map(|s| s.message).unwrap_or_default();
    assert!(message.contains("RBAC002"), "{message}");
    watching.stop();
}

#[test]
fn pushed_objects_reach_later_lists_too() {
    // What a watch pushes, a list (a scan, a relist) sees, with its resourceVersion.
    let server = FakeApi::start(cluster(), Faults::default()).unwrap();
    let version = server
        .push(
            Change::Added,
            json!({"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "late"}, "rules": []}),
        )
        .unwrap();
    assert_eq!(version, 4243);
    assert!(
        server
            .push(
                Change::Added,
                json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"}})
            )
            .is_none(),
        "a kind Rampart does not read"
    );
    let dir = tempfile::tempdir().unwrap();
    let options = rampart_cluster::Options {
        kubeconfig: Some(server.write_kubeconfig(dir.path()).unwrap()),
        ..rampart_cluster::Options::default()
    };
    let read = rampart_cluster::read(
        &options,
        &rampart_cluster::NoProgress,
        "2026-01-01T00:00:00Z".into(),
    )
    .unwrap();
    let late = read
        .collected
        .objects
        .iter()
        .find(|o| o.kind() == "ClusterRole" && o.name() == "late")
        .unwrap();
    assert_eq!(
        late.root
            .path("metadata.resourceVersion")
            .and_then(|v| v.as_str()),
        Some("4243")
    );
}

/// The log records of a `rampart serve --log-json` run.
fn log_records(out: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn serve_reads_a_context_snapshot_and_refuses_mixed_sources() {
    let dir = tempfile::tempdir().unwrap();
    // A snapshot as `rampart snapshot` writes it.
    let mut collector = rampart_cluster::Collector::new("prod");
    for object in [
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        json!({"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "pod-viewer"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}),
    ] {
        collector.add(object, "", "");
    }
    let header = rampart_cluster::Header {
        created_at: "2026-01-01T00:00:00Z".into(),
        context: "prod".into(),
        ..rampart_cluster::Header::default()
    };
    let snapshot = dir.path().join("snapshot.json.gz");
    rampart_cluster::snapshot::write_file(&snapshot, &header, &collector.finish().objects).unwrap();
    let missing = dir.path().join("missing.pem");
    let missing = missing.to_str().unwrap();

    // Read, then kept (the Node is not context); serving then fails on the missing
    // certificate, after the context was loaded.
    let out = common::rampart(&[
        "serve",
        "--context-snapshot",
        snapshot.to_str().unwrap(),
        "--tls-cert",
        missing,
        "--tls-key",
        missing,
        "--listen",
        "127.0.0.1:0",
        "--log-json",
    ]);
    assert!(!out.status.success());
    let records = log_records(&out);
    let loaded = records
        .iter()
        .find(|r| r["fields"]["message"] == "cluster context loaded")
        .unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(loaded["fields"]["objects"], 2);
    assert!(records.iter().any(
        |r| r["fields"]["message"] == "cluster context snapshot read"
            && r["fields"]["context"] == "prod"
    ));

    // Not a snapshot.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"objects\": []}").unwrap();
    let out = common::rampart(&[
        "serve",
        "--context-snapshot",
        bad.to_str().unwrap(),
        "--tls-cert",
        missing,
        "--tls-key",
        missing,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a Rampart snapshot"), "{stderr}");

    // One source of context: watching excludes files and snapshots; the kubeconfig
    // flags belong to watching.
    for args in [
        vec!["--watch-cluster", "--context", "deploy"],
        vec!["--watch-cluster", "--context-snapshot", "x.json"],
        vec!["--kubeconfig", "k"],
        vec!["--kube-context", "c"],
    ] {
        let mut all = vec!["serve", "--tls-cert", missing, "--tls-key", missing];
        all.extend(args.iter().copied());
        let out = common::rampart(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr.contains("--watch-cluster"), "{args:?}: {stderr}");
    }
}

#[test]
fn serve_watch_cluster_needs_a_cluster_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let missing = missing.to_str().unwrap();
    let out = common::rampart(&[
        "serve",
        "--watch-cluster",
        "--kubeconfig",
        missing,
        "--tls-cert",
        missing,
        "--tls-key",
        missing,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot load the cluster configuration"),
        "{stderr}"
    );
}
