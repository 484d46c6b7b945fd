//! The machine formats of `rampart scan -o`, each
//! validated against the real schema of the format (kept in `../shared/schemas`) on real
//! scans: the bundled examples, part of the shared corpus and a hostile manifest.

#![allow(clippy::print_stderr)] // tests say why they take a branch

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::{rampart, root};
use serde_json::{Value, json};

fn schemas() -> PathBuf {
    let dir = root().join("../shared/schemas");
    assert!(
        dir.is_dir(),
        "../shared/schemas is missing: {}",
        dir.display()
    );
    dir
}

/// Corpus folders with many findings of every practice, and inputs with errors.
const CORPUS: &[&str] = &[
    "../shared/corpus/kubernetes-goat",
    "../shared/corpus/checkov-tests",
    "../shared/corpus/kubernetes-examples",
];

/// A manifest whose names and messages carry XML, YAML and JSON syntax and control
/// characters (YAML escapes them; Rampart reads them as they are).
const HOSTILE: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: "evil<&\"]]>'\x01\x1b[31m\u0000\u2028\uFFFE x"
  namespace: "Ns_<&>]]>\x7f-That-Is-Far-Too-Long-For-A-Kubernetes-Label-Of-63-Characters"
spec:
  containers:
    - name: "c<&\"]]>\x02\r\n--- \t#: {x}"
      image: "nginx"
      securityContext:
        privileged: true
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: "all<&>\x03"
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]
---
this: [is not, closed
"#;

fn hostile_file() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile <&>.yaml");
    std::fs::write(&path, HOSTILE).unwrap();
    let path = path.to_str().unwrap().to_string();
    (dir, path)
}

fn stdout(args: &[&str]) -> String {
    let out = rampart(args);
    assert!(
        out.status.code().is_some_and(|c| c <= 2),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

// ---------------------------------------------------------------- SARIF

fn sarif(args: &[&str]) -> Value {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "sarif", "--fail-on", "none"]);
    let text = stdout(&all);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn validate_sarif(log: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(schemas().join("sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .take(20)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
}

fn registered_rules() -> Vec<String> {
    let out = rampart(&["rules", "-o", "json"]);
    let rules: Value = serde_json::from_slice(&out.stdout).unwrap();
    rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

/// What GitHub code scanning relies on, beyond the schema.
fn check_github_shape(log: &Value, rules: &[String]) {
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "rampart");
    let descriptors = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = descriptors
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, rules, "every registered rule, in registry order");
    for r in descriptors {
        let score: f64 = r["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.1..=10.0).contains(&score));
        let tags = r["properties"]["tags"].as_array().unwrap();
        assert!(tags.contains(&json!("security")));
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!r["help"]["markdown"].as_str().unwrap().is_empty());
    }
    let mut keys = BTreeSet::new();
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap();
        assert_eq!(
            descriptors[usize::try_from(index).unwrap()]["id"],
            result["ruleId"]
        );
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        let key = result["partialFingerprints"]["rampartFingerprint/v1"]
            .as_str()
            .unwrap();
        assert!(keys.insert(key.to_string()), "fingerprint {key} repeated");
        let physical = &result["locations"][0]["physicalLocation"];
        if let Some(uri) = physical["artifactLocation"]["uri"].as_str() {
            assert!(!uri.contains('\\'), "{uri}");
            if physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%" {
                assert!(!uri.starts_with('/') && !uri.contains("://"), "{uri}");
            }
            if let Some(line) = physical["region"]["startLine"].as_u64() {
                assert!(line >= 1);
            }
        }
    }
}

#[test]
fn sarif_validates_on_examples_and_corpus() {
    let rules = registered_rules();
    let mut inputs = vec!["examples/insecure", "examples/hardened"];
    inputs.extend_from_slice(CORPUS);
    for input in inputs {
        let log = sarif(&[input]);
        validate_sarif(&log);
        check_github_shape(&log, &rules);
    }
    // The validator does reject what is not SARIF.
    let mut broken = sarif(&["examples/insecure"]);
    broken["runs"][0]["results"][0]["level"] = json!("fatal");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(schemas().join("sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    assert!(!jsonschema::draft4::new(&schema).unwrap().is_valid(&broken));
    // Findings point at `%SRCROOT%`-relative files with a region.
    let log = sarif(&["examples/insecure/api.yaml", "--select", "POD001"]);
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "POD001");
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"],
        json!({"uri": "examples/insecure/api.yaml", "uriBaseId": "%SRCROOT%"})
    );
    assert_eq!(
        location["region"],
        json!({"startLine": 30, "startColumn": 25})
    );
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .ends_with("(Deployment shop/api)")
    );
    let base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
}

#[test]
fn sarif_input_errors_are_notifications() {
    let log = sarif(&["../shared/corpus/checkov-tests"]);
    validate_sarif(&log);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let errors: Vec<&Value> = invocation["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["level"] == "error")
        .collect();
    assert_eq!(
        errors.len(),
        14,
        "as many as the JSON report's input errors"
    );
    let log = sarif(&["examples/hardened"]);
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
}

/// A fingerprint names the finding, not its line: shifting every line down keeps them.
#[test]
fn sarif_fingerprints_survive_line_shifts() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("examples/insecure/api.yaml")).unwrap();
    let path = dir.path().join("api.yaml");
    let fingerprints = |text: &str| {
        std::fs::write(&path, text).unwrap();
        let log = sarif(&[path.to_str().unwrap()]);
        validate_sarif(&log);
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"]["rampartFingerprint/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = fingerprints(&text);
    let after = fingerprints(&format!("# a comment\n\n# and another\n{text}"));
    assert!(!before.is_empty());
    let keys = |v: &[(String, u64)]| v.iter().map(|(k, _)| k.clone()).collect::<BTreeSet<_>>();
    assert_eq!(keys(&before), keys(&after));
    for ((k1, l1), (k2, l2)) in before.iter().zip(&after) {
        assert_eq!(k1, k2);
        assert_eq!(l1 + 3, *l2, "the lines did move");
    }
}

#[test]
fn sarif_of_hostile_input_is_valid() {
    let (_dir, path) = hostile_file();
    let log = sarif(&[&path]);
    validate_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "POD001"));
    let uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("hostile%20%3C&%3E.yaml"), "{uri}");
}
