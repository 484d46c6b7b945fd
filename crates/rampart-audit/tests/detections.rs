//! Detections on the real audit events in `../shared/schemas/audit` (Falco's trace
//! files, audit2rbac's demo log) and on small hand-written events for the cases those
//! do not cover.

use std::io::Write;
use std::path::PathBuf;

use rampart_audit::Input;
use rampart_audit::detect::{Analyzer, Detection, Kind, Options, Summary};
use rampart_rules::Severity;

fn audit_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/schemas/audit");
    assert!(dir.is_dir(), "shared audit data missing: {}", dir.display());
    dir
}

fn run_input(input: &Input, options: Options) -> (Vec<Detection>, Summary) {
    let mut analyzer = Analyzer::new(options);
    let mut found = Vec::new();
    rampart_audit::analyze(input, &mut analyzer, &mut |d| found.push(d), &mut |_| {}).unwrap();
    let summary = analyzer.finish(&mut |d| found.push(d));
    (found, summary)
}

fn falco(name: &str) -> (Vec<Detection>, Summary) {
    let path = audit_dir().join("falco-k8s_audit-trace-files").join(name);
    run_input(&Input::Path(path), Options::default())
}

fn run_text(text: &str, options: Options) -> (Vec<Detection>, Summary) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    run_input(&Input::Path(file.path().to_path_buf()), options)
}

fn kinds(found: &[Detection]) -> Vec<(Kind, Severity)> {
    found.iter().map(|d| (d.kind, d.severity)).collect()
}

#[test]
fn falco_privileged_and_host_pods_are_found_by_pod_security() {
    for (file, check) in [
        ("create_nginx_pod_privileged.json", "privileged"),
        (
            "create_nginx_pod_privileged_2nd_container.json",
            "privileged",
        ),
        (
            "create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json",
            "privileged",
        ),
        ("create_nginx_pod_hostnetwork.json", "host namespaces"),
        ("create_nginx_pod_sensitive_mount.json", "hostPath volumes"),
        (
            "create_nginx_pod_sensitive_mount_2nd_container.json",
            "hostPath volumes",
        ),
    ] {
        let (found, _) = falco(file);
        assert_eq!(
            kinds(&found),
            vec![(Kind::PrivilegedPod, Severity::High)],
            "{file}"
        );
        assert!(
            found[0].message.contains(check),
            "{file}: {}",
            found[0].message
        );
        assert_eq!(
            found[0].user,
            "system:serviceaccount:kube-system:replicaset-controller"
        );
    }
    for file in [
        "create_nginx_pod_unprivileged.json",
        "create_nginx_pod_nohostnetwork.json",
        "create_nginx_pod_unsensitive_mount.json",
        "create_deployment.json",
    ] {
        let (found, summary) = falco(file);
        assert!(found.is_empty(), "{file}: {found:?}");
        assert_eq!(summary.requests, 1);
    }
}

#[test]
fn falco_rbac_grants() {
    let (found, _) = falco("attach_cluster_admin_role.json");
    assert_eq!(kinds(&found), vec![(Kind::RbacGrant, Severity::Critical)]);
    assert!(
        found[0].message.contains("cluster-admin"),
        "{}",
        found[0].message
    );
    for file in [
        "create_cluster_role_wildcard_verbs.json",
        "create_cluster_role_wildcard_resources.json",
    ] {
        let (found, _) = falco(file);
        assert_eq!(
            kinds(&found),
            vec![(Kind::RbacGrant, Severity::High)],
            "{file}"
        );
    }
    for file in [
        "create_clusterrole.json",
        "create_clusterrolebinding.json",
        "create_cluster_role_pod_exec.json",
        "delete_clusterrole.json",
    ] {
        assert!(falco(file).0.is_empty(), "{file}");
    }
}

#[test]
fn falco_exec_attach_anonymous() {
    for file in ["exec_pod.json", "attach_pod.json"] {
        let (found, summary) = falco(file);
        assert_eq!(
            kinds(&found),
            vec![(Kind::PodExec, Severity::Medium)],
            "{file}"
        );
        assert_eq!(found[0].source_ips, vec!["192.168.99.1"]);
        assert_eq!(found[0].code, Some(101));
        let target = found[0].target.as_ref().unwrap();
        assert_eq!(
            (target.namespace.as_str(), target.resource.as_str()),
            ("default", "pods")
        );
        // ResponseStarted is the last stage logged for a long-running request.
        assert_eq!(summary.requests, 1);
    }
    let (found, _) = falco("anonymous_creates_namespace_foo.json");
    assert_eq!(
        kinds(&found),
        vec![(Kind::AnonymousRequest, Severity::High)]
    );
}

#[test]
fn falco_malformed_fixture_is_counted_not_fatal() {
    let (found, summary) = falco("fal_01_003.json");
    assert!(found.is_empty());
    assert_eq!(summary.malformed, 1);
    assert_eq!(summary.malformed_first[0].position.to_string(), "1");
}

#[test]
fn every_falco_trace_and_the_demo_log_in_one_run() {
    let mut inputs: Vec<PathBuf> =
        std::fs::read_dir(audit_dir().join("falco-k8s_audit-trace-files"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
    inputs.sort();
    inputs.push(audit_dir().join("audit2rbac-testdata/demo.log"));
    let mut analyzer = Analyzer::new(Options::default());
    let mut found = Vec::new();
    for path in &inputs {
        rampart_audit::analyze(
            &Input::Path(path.clone()),
            &mut analyzer,
            &mut |d| found.push(d),
            &mut |_| {},
        )
        .unwrap();
    }
    let summary = analyzer.finish(&mut |d| found.push(d));
    assert_eq!(summary.malformed, 1);
    // 52 lines in 47 trace files, one of them malformed; 37 in the demo log.
    assert_eq!(summary.read, 51 + 37);
    // demo.log: system:admin impersonates bob, alice and sa1 in each of its 37 events.
    assert_eq!(summary.by_kind.get(&Kind::Impersonation), Some(&37));
    assert!(summary.has_high());
    assert_eq!(
        summary.first.map(rampart_audit::time::format).as_deref(),
        Some("2017-09-11T19:55:05Z")
    );
    // alice's denied secrets list is reported, low.
    let secret = found.iter().find(|d| d.kind == Kind::SecretRead).unwrap();
    assert_eq!(
        (
            secret.severity,
            secret.allowed,
            secret.impersonated.as_deref()
        ),
        (Severity::Low, false, Some("alice"))
    );
    // No secret body is ever copied: the traces' secret events carry none, but the
    // configmap "sensitive values" must not leak either.
    for d in &found {
        let text = d.to_json().to_string();
        assert!(
            !text.contains("MY-KEY") && !text.contains("MY-ID"),
            "{text}"
        );
    }
}

const USER: &str = r#""user":{"username":"alice","groups":["devs","system:authenticated"]}"#;

fn event(
    audit_id: &str,
    stage: &str,
    time: &str,
    verb: &str,
    object: &str,
    code: i64,
    extra: &str,
) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{audit_id}","stage":"{stage}","requestURI":"/x","verb":"{verb}",{USER},"sourceIPs":["10.0.0.7"],"objectRef":{object},"responseStatus":{{"code":{code}}},"requestReceivedTimestamp":"{time}","stageTimestamp":"{time}"{extra}}}"#
    )
}

#[test]
fn secrets_reads_by_scope_and_principal() {
    let lines = [
        event(
            "1",
            "ResponseComplete",
            "2024-05-01T10:00:00Z",
            "list",
            r#"{"resource":"secrets"}"#,
            200,
            "",
        ),
        event(
            "2",
            "ResponseComplete",
            "2024-05-01T10:00:01Z",
            "watch",
            r#"{"resource":"secrets","namespace":"prod"}"#,
            200,
            "",
        ),
        event(
            "3",
            "ResponseComplete",
            "2024-05-01T10:00:02Z",
            "get",
            r#"{"resource":"secrets","namespace":"prod","name":"db"}"#,
            200,
            r#","responseObject":{"kind":"Secret","data":{"password":"c3VwZXJzZWNyZXQ="}}"#,
        ),
        // Control plane: not reported.
        event(
            "4",
            "ResponseComplete",
            "2024-05-01T10:00:03Z",
            "list",
            r#"{"resource":"secrets"}"#,
            200,
            "",
        )
        .replace(
            "\"alice\"",
            "\"system:serviceaccount:kube-system:namespace-controller\"",
        ),
        event(
            "5",
            "ResponseComplete",
            "2024-05-01T10:00:04Z",
            "list",
            r#"{"resource":"secrets"}"#,
            200,
            "",
        )
        .replace("\"alice\"", "\"system:kube-controller-manager\""),
        // Another namespace's service account is a workload: reported.
        event(
            "6",
            "ResponseComplete",
            "2024-05-01T10:00:05Z",
            "list",
            r#"{"resource":"secrets","namespace":"ci"}"#,
            403,
            "",
        )
        .replace("\"alice\"", "\"system:serviceaccount:ci:builder\""),
    ];
    let (found, summary) = run_text(&lines.join("\n"), Options::default());
    assert_eq!(
        found
            .iter()
            .map(|d| (d.kind, d.severity, d.user.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (Kind::SecretRead, Severity::High, "alice"),
            (Kind::SecretRead, Severity::Medium, "alice"),
            (Kind::SecretRead, Severity::Low, "alice"),
            (
                Kind::SecretRead,
                Severity::Low,
                "system:serviceaccount:ci:builder"
            ),
        ]
    );
    assert!(
        found
            .iter()
            .all(|d| !d.to_json().to_string().contains("c3VwZXJzZWNyZXQ"))
    );
    assert_eq!(summary.top_principals[0].user, "alice");
    assert_eq!(summary.top_principals[0].detections, 3);
}

#[test]
fn tokens_node_proxy_impersonation_portforward() {
    let lines = [
        event("1", "ResponseComplete", "2024-05-01T10:00:00Z", "create", r#"{"resource":"serviceaccounts","subresource":"token","namespace":"ci","name":"deployer"}"#, 201, ""),
        event("2", "ResponseComplete", "2024-05-01T10:00:00Z", "create", r#"{"resource":"serviceaccounts","subresource":"token","namespace":"ci","name":"deployer"}"#, 201, "")
            .replace("\"alice\"", "\"system:node:worker-1\""),
        event("3", "ResponseComplete", "2024-05-01T10:00:00Z", "get", r#"{"resource":"nodes","subresource":"proxy","name":"worker-1"}"#, 200, ""),
        event("4", "ResponseComplete", "2024-05-01T10:00:00Z", "get", r#"{"resource":"pods","namespace":"kube-system","name":"etcd","subresource":"portforward"}"#, 101, ""),
        event("5", "ResponseComplete", "2024-05-01T10:00:00Z", "get", r#"{"resource":"pods","namespace":"default"}"#, 200,
              r#","impersonatedUser":{"username":"root","groups":["system:masters"]}"#),
    ];
    let (found, _) = run_text(&lines.join("\n"), Options::default());
    assert_eq!(
        kinds(&found),
        vec![
            (Kind::TokenRequest, Severity::Medium),
            (Kind::NodeProxy, Severity::High),
            (Kind::PodExec, Severity::High),
            (Kind::Impersonation, Severity::High),
        ]
    );
    assert!(
        found[0].message.contains("ci/deployer"),
        "{}",
        found[0].message
    );
}

#[test]
fn rbac_patches_and_workload_templates() {
    let patch =
        r#","requestObject":[{"op":"replace","path":"/roleRef/name","value":"cluster-admin"}]"#;
    let deployment = r#","requestObject":{"spec":{"template":{"spec":{"hostPID":true,"containers":[{"name":"a","image":"x"}]}}}}"#;
    let lines = [
        event(
            "1",
            "ResponseComplete",
            "2024-05-01T10:00:00Z",
            "patch",
            r#"{"resource":"rolebindings","apiGroup":"rbac.authorization.k8s.io","namespace":"a","name":"b"}"#,
            200,
            patch,
        ),
        event(
            "2",
            "ResponseComplete",
            "2024-05-01T10:00:00Z",
            "patch",
            r#"{"resource":"deployments","apiGroup":"apps","namespace":"a","name":"web"}"#,
            200,
            deployment,
        ),
        // Denied by admission: still worth knowing, at low.
        event(
            "3",
            "ResponseComplete",
            "2024-05-01T10:00:00Z",
            "create",
            r#"{"resource":"deployments","apiGroup":"apps","namespace":"a","name":"web"}"#,
            403,
            deployment,
        ),
    ];
    let (found, _) = run_text(&lines.join("\n"), Options::default());
    assert_eq!(
        kinds(&found),
        vec![
            (Kind::RbacGrant, Severity::Critical),
            (Kind::PrivilegedPod, Severity::High),
            (Kind::PrivilegedPod, Severity::Low),
        ]
    );
    assert!(
        found[1].message.contains("Deployment `a/web`"),
        "{}",
        found[1].message
    );
}

#[test]
fn each_request_counts_once_across_stages() {
    let object = r#"{"resource":"pods","namespace":"default","name":"p","subresource":"exec"}"#;
    let lines = [
        event(
            "a",
            "RequestReceived",
            "2024-05-01T10:00:00Z",
            "create",
            object,
            0,
            "",
        )
        .replace(r#","responseStatus":{"code":0}"#, ""),
        event(
            "a",
            "ResponseStarted",
            "2024-05-01T10:00:00Z",
            "create",
            object,
            101,
            "",
        ),
        event(
            "a",
            "ResponseComplete",
            "2024-05-01T10:00:09Z",
            "create",
            object,
            101,
            "",
        ),
        // Only its RequestReceived stage was logged: counted at the end.
        event(
            "b",
            "RequestReceived",
            "2024-05-01T10:00:01Z",
            "create",
            object,
            0,
            "",
        )
        .replace(r#","responseStatus":{"code":0}"#, ""),
        event(
            "c",
            "ResponseComplete",
            "2024-05-01T10:00:02Z",
            "create",
            object,
            101,
            "",
        ),
    ];
    let (found, summary) = run_text(&lines.join("\n"), Options::default());
    assert_eq!(summary.read, 5);
    assert_eq!(summary.requests, 3);
    assert_eq!(summary.duplicate_stages, 2);
    let lines_of: Vec<String> = found.iter().map(|d| d.position.to_string()).collect();
    assert_eq!(lines_of, vec!["2", "5", "4"]);
    // With a tiny window, the pending request is counted as soon as it ages out.
    let small = Options {
        dedup_window: 1,
        ..Options::default()
    };
    let (_, summary) = run_text(&lines.join("\n"), small);
    assert_eq!(summary.requests, 3);
}

#[test]
fn bursts_of_403_are_reported_once_per_burst() {
    let mut lines = Vec::new();
    // 25 denials within 25 s, a pause of two minutes, then 20 more within 20 s.
    for i in 0..25 {
        lines.push(event(
            &format!("a{i}"),
            "ResponseComplete",
            &format!("2024-05-01T10:00:{i:02}Z"),
            "list",
            r#"{"resource":"configmaps","namespace":"x"}"#,
            403,
            "",
        ));
    }
    for i in 0..20 {
        lines.push(event(
            &format!("b{i}"),
            "ResponseComplete",
            &format!("2024-05-01T10:03:{i:02}Z"),
            "list",
            r#"{"resource":"configmaps","namespace":"x"}"#,
            403,
            "",
        ));
    }
    // 19 more spread over 19 minutes: never 20 in a minute.
    for i in 0..19 {
        lines.push(event(
            &format!("c{i}"),
            "ResponseComplete",
            &format!("2024-05-01T11:{i:02}:00Z"),
            "list",
            r#"{"resource":"configmaps","namespace":"x"}"#,
            403,
            "",
        ));
    }
    let (found, summary) = run_text(&lines.join("\n"), Options::default());
    let bursts: Vec<&Detection> = found
        .iter()
        .filter(|d| d.kind == Kind::ForbiddenBurst)
        .collect();
    assert_eq!(bursts.len(), 2, "{bursts:?}");
    assert_eq!(bursts[0].position.to_string(), "20");
    assert!(
        bursts[0].message.contains("from 2024-05-01T10:00:00Z"),
        "{}",
        bursts[0].message
    );
    assert_eq!(bursts[1].position.to_string(), "45");
    assert_eq!(summary.top_principals[0].forbidden, 64);
    // A principal beyond the cap is counted, not tracked.
    let capped = Options {
        max_principals: 0,
        ..Options::default()
    };
    let (found, summary) = run_text(&lines.join("\n"), capped);
    assert!(found.is_empty());
    assert_eq!(summary.untracked_requests, 64);
}

#[test]
fn since_until_and_malformed_lines() {
    let lines = [
        event(
            "1",
            "ResponseComplete",
            "2024-04-30T23:59:59Z",
            "list",
            r#"{"resource":"secrets"}"#,
            200,
            "",
        ),
        "{not json".to_string(),
        String::new(),
        event(
            "2",
            "ResponseComplete",
            "2024-05-01T00:00:00Z",
            "list",
            r#"{"resource":"secrets"}"#,
            200,
            "",
        ),
        r#"{"kind":"Pod","apiVersion":"v1"}"#.to_string(),
        event(
            "3",
            "ResponseComplete",
            "2024-05-02T00:00:00Z",
            "list",
            r#"{"resource":"secrets"}"#,
            200,
            "",
        ),
    ];
    let options = Options {
        since: rampart_audit::time::parse("2024-05-01"),
        until: rampart_audit::time::parse("2024-05-02T00:00:00Z"),
        ..Options::default()
    };
    let (found, summary) = run_text(&lines.join("\r\n"), options);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].position.to_string(), "4");
    assert_eq!(summary.outside_window, 2);
    assert_eq!(summary.malformed, 2);
    let at: Vec<String> = summary
        .malformed_first
        .iter()
        .map(|m| m.position.to_string())
        .collect();
    assert_eq!(at, vec!["2", "5"]);
}

#[test]
fn event_lists_and_gzip() {
    let items = [
        event(
            "1",
            "ResponseComplete",
            "2024-05-01T10:00:00Z",
            "list",
            r#"{"resource":"secrets"}"#,
            200,
            "",
        ),
        event(
            "2",
            "ResponseComplete",
            "2024-05-01T10:00:00Z",
            "list",
            r#"{"resource":"secrets"}"#,
            200,
            "",
        ),
    ];
    let list = format!(
        "{{\n  \"kind\": \"EventList\",\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"metadata\": {{}},\n  \"items\": [\n{}\n]\n}}\n",
        items.join(",\n")
    );
    let (found, summary) = run_text(&list, Options::default());
    assert_eq!(found.len(), 2);
    assert_eq!(found[1].position.to_string(), "items[1]");
    assert_eq!(summary.requests, 2);

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(items.join("\n").as_bytes()).unwrap();
    let mut file = tempfile::Builder::new().suffix(".log").tempfile().unwrap();
    file.write_all(&gz.finish().unwrap()).unwrap();
    let (found, _) = run_input(&Input::Path(file.path().to_path_buf()), Options::default());
    assert_eq!(found.len(), 2);
}
