//! NetworkPolicy reachability against the shared conformance cases: every case's
//! connectivity list must equal np-guard/netpol-analyzer's, compared as upstream does
//! (after deleting every newline from both sides).

mod common;

use std::process::Command;

use common::root;

fn rampart() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
}

#[test]
fn every_shared_netpol_case_matches_the_reference_connlist() {
    let cases = root().join("../shared/conformance/netpol/cases");
    assert!(cases.is_dir(), "missing {}", cases.display());
    let mut names: Vec<_> = std::fs::read_dir(&cases)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    names.sort();
    assert!(names.len() >= 14, "expected the 14 shared cases");
    let mut failed = Vec::new();
    for case in &names {
        let out = rampart()
            .args(["reach", "--all", "-o", "connlist"])
            .arg(case.join("input"))
            .output()
            .unwrap();
        let got = String::from_utf8(out.stdout).unwrap();
        let want = std::fs::read_to_string(case.join("expected.txt")).unwrap();
        if got.replace(['\n', '\r'], "") != want.replace(['\n', '\r'], "") {
            failed.push(case.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(failed.is_empty(), "cases that differ: {failed:?}");
}

const FIXTURE: &str = "
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: other, labels: {app: client}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}}]
    ports: [{port: http}]
";

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("net.yaml"), FIXTURE).unwrap();
    dir
}

#[test]
fn reach_explains_the_isolating_policy_and_the_allowing_rule() {
    let dir = fixture();
    let file = dir.path().join("net.yaml");
    let out = rampart()
        .args(["reach", "other/client", "shop/web", "--port", "8080", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("other/client[Pod] => shop/web[Pod] on 8080/TCP: allowed"),
        "{text}"
    );
    assert!(
        text.contains("isolated by shop/web-in (") && text.contains("net.yaml:16"),
        "{text}"
    );
    assert!(
        text.contains("shop/web-in ingress rule #1 (") && text.contains("allows TCP 8080"),
        "{text}"
    );

    // Another port is denied (exit 1); so is traffic from outside the cluster.
    let out = rampart()
        .args(["reach", "other/client", "shop/web", "--port", "9090", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = rampart()
        .args(["reach", "203.0.113.7", "shop/web", "-o", "json", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["allowed"], false);
    assert_eq!(v["ingress"]["isolatedBy"][0]["name"], "web-in");
    assert_eq!(v["conn"], "No Connections");

    // An unknown name is an error that says what to write.
    let out = rampart()
        .args(["reach", "nope", "shop/web", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no pod or workload `nope`"));
}

#[test]
fn reach_all_formats_list_the_same_connections() {
    let dir = fixture();
    let run = |format: &str| {
        let out = rampart()
            .args(["reach", "--all", "-o", format])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let connlist = run("connlist");
    assert!(
        connlist.contains("other/client[Pod] => shop/web[Pod] : TCP 8080\n"),
        "{connlist}"
    );
    assert!(!connlist.contains("[External] => shop/web"), "{connlist}");
    let lines = connlist.lines().count();
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["connections"].as_array().unwrap().len(), lines);
    let csv = run("csv");
    assert_eq!(csv.lines().count(), lines + 1);
    assert!(csv.starts_with("src,dst,conn\n"));
    let dot = run("dot");
    assert!(
        dot.contains("\"other/client[Pod]\" -> \"shop/web[Pod]\" [label=\"TCP 8080\"]"),
        "{dot}"
    );
}

#[test]
fn reach_names_the_admin_rule_that_decides() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("anp.yaml");
    std::fs::write(
        &file,
        format!(
            "{FIXTURE}---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {{name: guard}}
spec:
  priority: 5
  subject: {{namespaces: {{matchLabels: {{kubernetes.io/metadata.name: shop}}}}}}
  ingress:
  - name: no-other
    action: Deny
    from: [{{namespaces: {{matchLabels: {{kubernetes.io/metadata.name: other}}}}}}]
"
        ),
    )
    .unwrap();
    let out = rampart()
        .args(["reach", "other/client", "shop/web", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("[ANP] guard rule `no-other` ("), "{text}");
    assert!(text.contains("says Deny for All Connections"), "{text}");
    assert!(
        text.contains("allowed end to end: No Connections"),
        "{text}"
    );
}
