//! `rampart audit-log` and `rampart rbac-from-audit` end to end, on the real audit logs
//! in `../shared/schemas/audit`.

mod common;

use common::{json, rampart, rampart_stdin};

const DEMO: &str = "../shared/schemas/audit/audit2rbac-testdata/demo.log";
const TRACES: &str = "../shared/schemas/audit/falco-k8s_audit-trace-files";

#[test]
fn audit_log_json_and_exit_codes() {
    let privileged = format!("{TRACES}/create_nginx_pod_privileged.json");
    let (code, report) = json(&["audit-log", &privileged, "-o", "json"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["detections"][0]["kind"], "privileged-pod");
    assert_eq!(report["detections"][0]["severity"], "high");
    assert_eq!(report["summary"]["requests"], 1);

    // Medium only: exit 0.
    let (code, report) = json(&[
        "audit-log",
        &format!("{TRACES}/exec_pod.json"),
        "-o",
        "json",
    ]);
    assert_eq!(code, 0, "{report}");

    // A malformed file is reported and skipped; the run goes on.
    let malformed = format!("{TRACES}/fal_01_003.json");
    let out = rampart(&["audit-log", &malformed, DEMO]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("fal_01_003.json:1: skipped"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("37 requests from 2017-09-11T19:55:05Z"),
        "{stdout}"
    );
    assert!(stdout.contains("1 malformed"), "{stdout}");

    let out = rampart(&["audit-log", DEMO, "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    let out = rampart(&["audit-log", "does-not-exist.log"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn audit_log_reads_stdin_and_time_windows() {
    let demo = std::fs::read(common::root().join(DEMO)).unwrap();
    let out = rampart_stdin(
        &[
            "audit-log",
            "-",
            "-o",
            "json",
            "--since",
            "2017-09-11T19:56:00Z",
        ],
        Some(&demo),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let summary = &report["summary"];
    assert_eq!(summary["eventsRead"], 37);
    assert!(summary["outsideWindow"].as_u64().unwrap() > 0, "{summary}");
    assert_eq!(
        summary["requests"].as_u64().unwrap() + summary["outsideWindow"].as_u64().unwrap(),
        37
    );
}

#[test]
fn rbac_from_audit_yaml_json_and_compare() {
    let out = rampart(&[
        "rbac-from-audit",
        DEMO,
        "--subject",
        "ServiceAccount:ns1:sa1",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let yaml = String::from_utf8_lossy(&out.stdout);
    assert!(
        yaml.starts_with("# RBAC for ServiceAccount ns1/sa1"),
        "{yaml}"
    );
    assert!(
        yaml.contains("kind: ServiceAccount\n  name: sa1\n  namespace: ns1"),
        "{yaml}"
    );

    let (code, list) = json(&["rbac-from-audit", DEMO, "--subject", "alice", "-o", "json"]);
    assert_eq!(code, 0);
    let kinds: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["Role", "RoleBinding"]);

    // Compare against the generated RBAC itself: nothing is unused.
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("bob.yaml");
    let out = rampart(&["rbac-from-audit", DEMO, "--subject", "User:bob"]);
    std::fs::write(&generated, &out.stdout).unwrap();
    let (code, report) = json(&[
        "rbac-from-audit",
        DEMO,
        "--subject",
        "User:bob",
        "-o",
        "json",
        "--compare",
        generated.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(report["unused"], serde_json::json!([]), "{report}");

    let out = rampart(&["rbac-from-audit", DEMO, "--subject", "User:nobody"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no request of User nobody"));
}
