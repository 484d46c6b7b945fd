//! Live-cluster scans against a recorded API server: an HTTPS server inside this test
//! process (`rampart_cluster::fake`, certificate made by rcgen at start) answers from
//! `tests/recorded/` (discovery documents, `/version`, objects as the API server
//! stores them), with injected faults: 403 for one kind, 410 for an expired continue
//! token, 503 once, a response slower than `--request-timeout`.

mod common;

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rampart_cluster::fake::{FakeApi, Faults, Recorded};
use serde_json::Value;

fn recorded() -> Recorded {
    Recorded::from_dir(&common::root().join("crates/rampart/tests/recorded")).unwrap()
}

fn recorded_objects() -> Vec<Value> {
    let text =
        std::fs::read_to_string(common::root().join("crates/rampart/tests/recorded/objects.json"))
            .unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    list["items"].as_array().unwrap().clone()
}

fn run(kubeconfig: &Path, args: &[&str]) -> Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--kubeconfig", kubeconfig.to_str().unwrap()]);
    common::rampart(&all)
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

const NETPOL: &str = "/apis/networking.k8s.io/v1/networkpolicies";

#[test]
fn pages_restarts_retries_and_reports_what_it_may_not_read() {
    let server = FakeApi::start(
        recorded(),
        Faults {
            forbidden: vec![NETPOL.into()],
            expire_continue_once: vec!["/api/v1/pods".into()],
            unavailable_once: vec!["/apis/apps/v1/deployments".into()],
            slow_once: vec![("/api/v1/configmaps".into(), Duration::from_secs(3))],
            ..Faults::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.write_kubeconfig(dir.path()).unwrap();
    let started = Instant::now();
    let out = run(
        &kubeconfig,
        &[
            "scan",
            "--cluster",
            "--chunk-size",
            "5",
            "--request-timeout",
            "1s",
            "-o",
            "json",
            "--fail-on",
            "none",
        ],
    );
    let report = json_of(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    common::validate(&report);

    // Every object but Secrets (never read by default) and the forbidden NetworkPolicies,
    // once each although the Pod list was restarted.
    let expected = recorded_objects()
        .iter()
        .filter(|o| !matches!(o["kind"].as_str(), Some("Secret" | "NetworkPolicy")))
        .count();
    assert_eq!(report["summary"]["objects"], expected);
    assert_eq!(report["kubernetesVersion"]["version"], "v1.31.2");
    assert_eq!(report["kubernetesVersion"]["source"], "api-server");

    // 403: a warning naming the permission and the practice left incomplete.
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["level"], "warning");
    let message = diagnostics[0]["message"].as_str().unwrap();
    assert!(
        message.contains("`list networkpolicies.networking.k8s.io`"),
        "{message}"
    );
    assert!(message.contains("NET findings are incomplete"), "{message}");

    let log = server.requests();
    let uris: Vec<&str> = log.iter().map(|l| l.uri.as_str()).collect();
    assert!(log.iter().all(|l| l.authorized), "the token is sent");
    assert!(uris.contains(&"/version") && uris.contains(&"/apis"));
    // Pagination: later pages ask with the continue token, percent-encoded.
    assert!(uris.iter().any(
        |u| u.starts_with("/api/v1/pods?limit=5&continue=eyJvZmZzZXQiOi")
            && u.ends_with("%2B%2F%3D")
    ));
    // 410 on the expired token, then the list again from the start.
    let pods: Vec<(&str, u16)> = log
        .iter()
        .filter(|l| l.uri.starts_with("/api/v1/pods?"))
        .map(|l| (l.uri.as_str(), l.status))
        .collect();
    assert_eq!(pods.iter().filter(|p| p.1 == 410).count(), 1, "{pods:#?}");
    assert_eq!(
        pods.iter()
            .filter(|p| p.0 == "/api/v1/pods?limit=5")
            .count(),
        2,
        "{pods:#?}"
    );
    // 503 and a timed-out response were retried.
    let count = |prefix: &str, status: u16| {
        log.iter()
            .filter(|l| l.uri.starts_with(prefix) && l.status == status)
            .count()
    };
    assert_eq!(count("/apis/apps/v1/deployments", 503), 1);
    assert!(count("/apis/apps/v1/deployments", 200) >= 1);
    assert!(
        count("/api/v1/configmaps", 200) >= 2,
        "the slow answer and the retry"
    );
    // Secrets are never asked for without --secret-metadata.
    assert!(!uris.iter().any(|u| u.contains("secrets")), "{uris:#?}");

    // Findings point into each object's printed text.
    let findings = report["findings"].as_array().unwrap();
    let privileged = findings
        .iter()
        .find(|f| f["code"] == "POD001" && f["object"]["kind"] == "Deployment")
        .expect("the privileged Deployment");
    assert_eq!(privileged["location"]["file"], "fake/Deployment/shop/api");
    assert!(privileged["location"]["line"].as_u64().unwrap() > 1);
    assert!(
        findings
            .iter()
            .any(|f| f["object"]["kind"] == "ConfigMap"
                && f["location"]["fieldPath"] == "data.tls.key"),
        "the private key in a ConfigMap is found"
    );
    // Flags of the control plane's mirror pod feed the cluster facts (AUD rules).
    assert!(
        findings
            .iter()
            .any(|f| f["code"].as_str().unwrap().starts_with("AUD")
                && f["object"]["name"] == "kube-apiserver-cp-1")
    );
}

#[test]
fn a_snapshot_scan_gives_the_live_findings() {
    let server = FakeApi::start(
        recorded(),
        Faults {
            forbidden: vec![NETPOL.into()],
            ..Faults::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.write_kubeconfig(dir.path()).unwrap();
    let snapshot = dir.path().join("cluster.json.gz");
    let out = run(
        &kubeconfig,
        &[
            "snapshot",
            "--secret-metadata",
            "--chunk-size",
            "7",
            "-o",
            snapshot.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: cannot list `networkpolicies.networking.k8s.io`"),
        "{stderr}"
    );

    // Secrets were asked for as metadata only, and no value is in the snapshot.
    let log = server.requests();
    let secrets: Vec<_> = log
        .iter()
        .filter(|l| l.uri.starts_with("/api/v1/secrets"))
        .collect();
    assert!(!secrets.is_empty());
    assert!(secrets.iter().all(|l| l.accept == "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&snapshot).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    for value in [
        "UkVDT1JERUQtU0VDUkVULVZBTFVF",
        "UkVDT1JERUQtVE9LRU4tVkFMVUU=",
    ] {
        assert!(
            !text.contains(value),
            "a Secret value leaked into the snapshot"
        );
    }
    assert!(!text.contains("managedFields") && !text.contains("last-applied-configuration"));
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["snapshotVersion"], 1);
    assert_eq!(parsed["kubernetesVersion"], "v1.31.2");
    assert_eq!(parsed["context"], "fake");
    assert_eq!(
        parsed["incomplete"][0]["resource"],
        "networkpolicies.networking.k8s.io"
    );
    let secrets_kept = parsed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "Secret")
        .count();
    assert_eq!(secrets_kept, 2);

    let live = run(
        &kubeconfig,
        &[
            "scan",
            "--cluster",
            "--secret-metadata",
            "-o",
            "json",
            "--fail-on",
            "none",
        ],
    );
    let offline = common::rampart(&[
        "scan",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "-o",
        "json",
        "--fail-on",
        "none",
    ]);
    let (live, offline) = (json_of(&live), json_of(&offline));
    assert!(!live["findings"].as_array().unwrap().is_empty());
    assert_eq!(
        live["findings"], offline["findings"],
        "identical findings, down to file, line and column"
    );
    assert_eq!(live["diagnostics"], offline["diagnostics"]);
    assert_eq!(live["summary"], offline["summary"]);
    assert_eq!(live["kubernetesVersion"], offline["kubernetesVersion"]);

    // The text format shows code frames printed from the objects.
    let text = common::rampart(&[
        "scan",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--fail-on",
        "none",
        "--select",
        "POD001",
    ]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("\"privileged\": true"), "{stdout}");
}

#[test]
fn one_namespace() {
    let server = FakeApi::start(recorded(), Faults::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.write_kubeconfig(dir.path()).unwrap();
    let out = run(
        &kubeconfig,
        &[
            "scan",
            "--cluster",
            "-n",
            "shop",
            "--no-configmaps",
            "-o",
            "json",
            "--fail-on",
            "none",
        ],
    );
    let report = json_of(&out);
    let uris: Vec<String> = server.requests().into_iter().map(|l| l.uri).collect();
    assert!(
        uris.iter()
            .any(|u| u == "/api/v1/namespaces/shop/pods?limit=500")
    );
    assert!(
        uris.iter()
            .any(|u| u == "/apis/rbac.authorization.k8s.io/v1/clusterroles?limit=500")
    );
    assert!(!uris.iter().any(|u| u.contains("configmaps")));
    for f in report["findings"].as_array().unwrap() {
        let ns = &f["object"]["namespace"];
        assert!(ns.is_null() || ns == "shop", "{f}");
    }
}

#[test]
fn ctrl_c_stops_a_cluster_read() {
    let server = FakeApi::start(
        recorded(),
        Faults {
            delay_all: Some(Duration::from_secs(30)),
            ..Faults::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.write_kubeconfig(dir.path()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args([
            "scan",
            "--cluster",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let started = Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "stops at once");
    assert_eq!(status.code(), Some(130));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("interrupted"), "{stderr}");
}
