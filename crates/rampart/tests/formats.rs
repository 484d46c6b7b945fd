//! The machine formats of `rampart scan -o`: SARIF, JUnit XML and PolicyReports, each
//! validated against the real schema of the format (kept in `../shared/schemas`) on real
//! scans: the bundled examples, part of the shared corpus and a hostile manifest.

#![allow(clippy::print_stderr)] // tests say why they take a branch

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{json, rampart, root};
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

// ---------------------------------------------------------------- JUnit

/// Validates with `xmllint --schema`; returns false (and says so) when xmllint is absent.
fn xmllint(xml: &str, xsd: &Path) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    std::fs::write(&file, xml).unwrap();
    let out = match std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd)
        .arg(&file)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "SKIPPED: XSD validation against {} needs xmllint (apt-get install libxml2-utils); .ci/run installs it",
                xsd.display()
            );
            return false;
        }
        Err(e) => panic!("cannot run xmllint: {e}"),
    };
    assert!(
        out.status.success(),
        "not valid against {}:\n{}",
        xsd.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

fn junit(args: &[&str]) -> String {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "junit", "--fail-on", "none"]);
    stdout(&all)
}

/// Parses the XML (a strict XML 1.0 parser) and checks every suite's counts against its
/// test cases. Returns (suite name, tests, failures, errors) per suite.
fn check_junit(xml: &str) -> Vec<(String, usize, usize, usize)> {
    for xsd in ["JUnit.xsd", "junit-10.xsd"] {
        xmllint(xml, &schemas().join("junit").join(xsd));
    }
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not XML: {e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let mut suites = Vec::new();
    for (id, suite) in root
        .children()
        .filter(roxmltree::Node::is_element)
        .enumerate()
    {
        assert_eq!(suite.tag_name().name(), "testsuite");
        assert_eq!(suite.attribute("id"), Some(id.to_string().as_str()));
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let count = |tag: &str| {
            cases
                .iter()
                .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
                .count()
        };
        let attr = |name: &str| -> usize { suite.attribute(name).unwrap().parse().unwrap() };
        assert_eq!(attr("tests"), cases.len());
        assert_eq!(attr("failures"), count("failure"));
        assert_eq!(attr("errors"), count("error"));
        suites.push((
            suite.attribute("name").unwrap().to_string(),
            cases.len(),
            count("failure"),
            count("error"),
        ));
    }
    suites
}

#[test]
fn junit_has_a_suite_per_practice_and_true_counts() {
    let xml = junit(&["examples/insecure"]);
    let suites = check_junit(&xml);
    let names: Vec<&str> = suites.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "RBAC",
            "Secrets",
            "Network policy",
            "Pod security",
            "Updates",
            "Audit"
        ]
    );
    // One failing test case per (rule, object) of the JSON report; one passing test
    // case per rule that found nothing.
    let (_, report) = json(&[
        "scan",
        "examples/insecure",
        "-o",
        "json",
        "--fail-on",
        "none",
    ]);
    let findings = report["findings"].as_array().unwrap();
    let pairs: BTreeSet<(String, String)> = findings
        .iter()
        .map(|f| (f["code"].to_string(), f["object"].to_string()))
        .collect();
    let fired: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    let failures: usize = suites.iter().map(|s| s.2).sum();
    let tests: usize = suites.iter().map(|s| s.1).sum();
    assert_eq!(failures, pairs.len());
    assert_eq!(tests - failures, registered_rules().len() - fired.len());

    // xmllint does reject what the strict schema does not allow.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.xml");
    std::fs::write(&file, xml.replacen(" hostname=", " host=", 1)).unwrap();
    if let Ok(out) = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(schemas().join("junit/JUnit.xsd"))
        .arg(&file)
        .output()
    {
        assert!(!out.status.success());
    }

    // The hardened twin passes every test; selected rules alone are tests.
    let suites = check_junit(&junit(&["examples/hardened", "--select", "POD"]));
    assert_eq!(suites.iter().map(|s| s.2).sum::<usize>(), 0);
    let pod = suites.iter().find(|s| s.0 == "Pod security").unwrap();
    assert!(pod.1 > 0);
    assert!(
        suites
            .iter()
            .filter(|s| s.0 != "Pod security")
            .all(|s| s.1 == 0)
    );
}

#[test]
fn junit_of_corpus_and_hostile_input_is_valid() {
    for input in CORPUS {
        check_junit(&junit(&[input]));
    }
    let suites = check_junit(&junit(&["../shared/corpus/checkov-tests"]));
    let input = suites.iter().find(|s| s.0 == "input").unwrap();
    assert_eq!(
        (input.1, input.3),
        (14, 14),
        "one error test case per input error"
    );

    let (_dir, path) = hostile_file();
    let xml = junit(&[&path]);
    let suites = check_junit(&xml);
    assert!(
        suites.iter().any(|s| s.0 == "input" && s.3 == 1),
        "{suites:?}"
    );
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let names: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    // The markup in names arrives as text; control characters are replaced.
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("POD001") && n.contains("evil<&\"]]>'\u{fffd}\u{fffd}[31m")),
        "{names:#?}"
    );
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(failure.text().unwrap().contains("hostile <&>.yaml:"));
}

// ---------------------------------------------------------------- PolicyReport

/// The CRD's `openAPIV3Schema` for one version, as a JSON Schema: every object with
/// `properties` gets `additionalProperties: false`, because `kubectl apply` (strict field
/// validation) rejects unknown fields that the API server would otherwise drop.
fn crd_schema(file: &Path, version: &str) -> Value {
    let text = std::fs::read_to_string(file).unwrap();
    let loaded = rampart_source::load_str(&file.to_string_lossy(), &text);
    let crd = loaded
        .objects
        .iter()
        .find(|o| o.id.kind == "CustomResourceDefinition")
        .unwrap()
        .root
        .to_json();
    let schema = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == version)
        .unwrap_or_else(|| panic!("{} has no version {version}", file.display()))["schema"]
        ["openAPIV3Schema"]
        .clone();
    assert!(schema.is_object());
    to_json_schema(schema)
}

fn to_json_schema(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                // Kubernetes' extensions and OpenAPI's `nullable` are no JSON Schema.
                if k.starts_with("x-kubernetes-") || k == "nullable" || k == "description" {
                    continue;
                }
                let v = if k == "properties" {
                    Value::Object(
                        v.as_object()
                            .unwrap()
                            .iter()
                            .map(|(name, s)| (name.clone(), to_json_schema(s.clone())))
                            .collect(),
                    )
                } else {
                    to_json_schema(v)
                };
                out.insert(k, v);
            }
            if out.contains_key("properties") && !out.contains_key("additionalProperties") {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(to_json_schema).collect()),
        other => other,
    }
}

struct Crds {
    namespaced: Value,
    cluster: Value,
}

fn crds(api: &str) -> Crds {
    let dir = schemas().join("policyreport");
    match api {
        "wgpolicyk8s.io/v1alpha2" => Crds {
            namespaced: crd_schema(
                &dir.join("wgpolicyk8s.io-v1alpha2/wgpolicyk8s.io_policyreports.yaml"),
                "v1alpha2",
            ),
            cluster: crd_schema(
                &dir.join("wgpolicyk8s.io-v1alpha2/wgpolicyk8s.io_clusterpolicyreports.yaml"),
                "v1alpha2",
            ),
        },
        _ => Crds {
            namespaced: crd_schema(
                &dir.join("openreports.io-v1alpha1/openreports.io_reports.yaml"),
                "v1alpha1",
            ),
            cluster: crd_schema(
                &dir.join("openreports.io-v1alpha1/openreports.io_clusterreports.yaml"),
                "v1alpha1",
            ),
        },
    }
}

fn is_dns1123_label(name: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| ok(c) || c == '-')
        && name.starts_with(ok)
        && name.ends_with(ok)
}

/// Runs `-o policyreport`, parses the stream with Rampart's own YAML loader (which reads
/// as kubectl does), validates every document and returns them.
fn policy_reports(args: &[&str], api: &str) -> Vec<Value> {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "policyreport", "--report-api", api]);
    let text = stdout(&all);
    assert!(text.starts_with("---\n"), "{text}");
    let loaded = rampart_source::load_str("reports.yaml", &text);
    assert!(
        loaded.diagnostics.is_empty(),
        "{:#?}\n{text}",
        loaded.diagnostics
    );
    let docs: Vec<Value> = loaded.objects.iter().map(|o| o.root.to_json()).collect();
    assert_eq!(docs.len(), text.matches("\n---\n").count() + 1);
    let crds = crds(api);
    let namespaced = jsonschema::draft4::new(&crds.namespaced).unwrap();
    let cluster = jsonschema::draft4::new(&crds.cluster).unwrap();
    let (kind, cluster_kind) = if api.starts_with("wgpolicyk8s.io") {
        ("PolicyReport", "ClusterPolicyReport")
    } else {
        ("Report", "ClusterReport")
    };
    let mut names = BTreeSet::new();
    for (i, doc) in docs.iter().enumerate() {
        assert_eq!(doc["apiVersion"], api);
        let validator = if i == 0 {
            assert_eq!(doc["kind"], cluster_kind, "the cluster report comes first");
            assert!(doc["metadata"].get("namespace").is_none());
            &cluster
        } else {
            assert_eq!(doc["kind"], kind);
            assert!(doc["metadata"]["namespace"].is_string());
            &namespaced
        };
        let errors: Vec<String> = validator
            .iter_errors(doc)
            .take(20)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
        let name = doc["metadata"]["name"].as_str().unwrap();
        assert!(is_dns1123_label(name), "{name}");
        assert!(names.insert((doc["metadata"]["namespace"].to_string(), name.to_string())));
        // The summary counts what the results say, unless results were left out.
        let results = doc["results"].as_array().unwrap();
        let count = |r: &str| results.iter().filter(|x| x["result"] == r).count();
        let summary = |k: &str| usize::try_from(doc["summary"][k].as_u64().unwrap()).unwrap();
        let omitted = doc["metadata"]["annotations"]["rampart-k8s.github.io/omitted-results"]
            .as_str()
            .map_or(0, |n| n.parse::<usize>().unwrap());
        assert_eq!(
            summary("fail") + summary("warn") + summary("error"),
            results.len() + omitted
        );
        if omitted == 0 {
            assert_eq!(summary("fail"), count("fail"));
            assert_eq!(summary("warn"), count("warn"));
            assert_eq!(summary("error"), count("error"));
        }
    }
    docs
}

#[test]
fn policyreports_validate_against_both_crds() {
    for api in ["wgpolicyk8s.io/v1alpha2", "openreports.io/v1alpha1"] {
        let docs = policy_reports(&["examples/insecure"], api);
        let namespaces: Vec<&str> = docs[1..]
            .iter()
            .map(|d| d["metadata"]["namespace"].as_str().unwrap())
            .collect();
        assert!(namespaces.contains(&"shop"), "{namespaces:?}");
        let shop = docs
            .iter()
            .find(|d| d["metadata"]["namespace"] == "shop")
            .unwrap();
        assert_eq!(shop["metadata"]["name"], "rampart-shop");
        let result = shop["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["policy"] == "POD001")
            .unwrap();
        assert_eq!(result["rule"], "privileged-container");
        assert_eq!(result["result"], "fail");
        assert_eq!(result["severity"], "high");
        assert_eq!(result["category"], "Pod security");
        assert_eq!(result["source"], "rampart");
        assert_eq!(
            result["resources"],
            json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "namespace": "shop"}])
        );
        assert_eq!(result["properties"]["file"], "examples/insecure/api.yaml");
        assert_eq!(result["properties"]["line"], "30");
        assert_eq!(
            result["properties"]["fingerprint"].as_str().unwrap().len(),
            32
        );
        // Every finding is in exactly one report, namespaced or cluster-wide.
        let (_, report) = json(&[
            "scan",
            "examples/insecure",
            "-o",
            "json",
            "--fail-on",
            "none",
        ]);
        let total: usize = docs
            .iter()
            .map(|d| d["results"].as_array().unwrap().len())
            .sum();
        assert_eq!(total, report["findings"].as_array().unwrap().len());
    }
    // The translated schema rejects a wrong enum value and an unknown field.
    let crds = crds("wgpolicyk8s.io/v1alpha2");
    let validator = jsonschema::draft4::new(&crds.namespaced).unwrap();
    let docs = policy_reports(&["examples/insecure"], "wgpolicyk8s.io/v1alpha2");
    let shop = docs
        .iter()
        .find(|d| d["metadata"]["namespace"] == "shop")
        .unwrap();
    assert!(validator.is_valid(shop));
    let mut wrong = shop.clone();
    wrong["results"][0]["result"] = json!("failed");
    assert!(!validator.is_valid(&wrong));
    let mut unknown = shop.clone();
    unknown["results"][0]["file"] = json!("x.yaml");
    assert!(!validator.is_valid(&unknown));

    // Corpus inputs, including input errors (results with `result: error`).
    for input in CORPUS {
        policy_reports(&[input, "--fail-on", "medium"], "wgpolicyk8s.io/v1alpha2");
    }
    let docs = policy_reports(
        &["../shared/corpus/checkov-tests"],
        "openreports.io/v1alpha1",
    );
    assert_eq!(docs[0]["summary"]["error"], 14);
}

#[test]
fn policyreport_results_follow_fail_on() {
    let docs = policy_reports(
        &["examples/insecure", "--fail-on", "critical"],
        "wgpolicyk8s.io/v1alpha2",
    );
    let results: Vec<&Value> = docs
        .iter()
        .flat_map(|d| d["results"].as_array().unwrap())
        .collect();
    for r in &results {
        let expected = if r["severity"] == "critical" {
            "fail"
        } else {
            "warn"
        };
        assert_eq!(r["result"], expected, "{r:#}");
    }
    assert!(results.iter().any(|r| r["result"] == "warn"));
}

#[test]
fn policyreports_are_bounded() {
    let full = policy_reports(&["examples/insecure"], "wgpolicyk8s.io/v1alpha2");
    let capped = policy_reports(
        &["examples/insecure", "--max-results-per-report", "2"],
        "wgpolicyk8s.io/v1alpha2",
    );
    assert_eq!(full.len(), capped.len());
    let mut cut = 0;
    for (f, c) in full.iter().zip(&capped) {
        assert_eq!(f["summary"], c["summary"], "summaries count every finding");
        let (all, kept) = (
            f["results"].as_array().unwrap(),
            c["results"].as_array().unwrap(),
        );
        assert!(kept.len() <= 2);
        let omitted = c["metadata"]["annotations"]["rampart-k8s.github.io/omitted-results"]
            .as_str()
            .map_or(0, |n| n.parse::<usize>().unwrap());
        assert_eq!(all.len(), kept.len() + omitted);
        if omitted > 0 {
            cut += 1;
            // The most severe are kept.
            let rank = |s: &Value| {
                ["info", "low", "medium", "high", "critical"]
                    .iter()
                    .position(|x| s == x)
                    .unwrap()
            };
            let lowest_kept = kept.iter().map(|r| rank(&r["severity"])).min().unwrap();
            let mut ranks: Vec<usize> = all.iter().map(|r| rank(&r["severity"])).collect();
            ranks.sort_unstable_by(|a, b| b.cmp(a));
            assert_eq!(lowest_kept, ranks[kept.len() - 1]);
        }
    }
    assert!(cut > 0, "some report was cut");
}

#[test]
fn policyreports_of_hostile_input_are_valid() {
    let (_dir, path) = hostile_file();
    for api in ["wgpolicyk8s.io/v1alpha2", "openreports.io/v1alpha1"] {
        let docs = policy_reports(&[&path], api);
        let by_ns: BTreeMap<String, &Value> = docs
            .iter()
            .map(|d| (d["metadata"]["namespace"].to_string(), d))
            .collect();
        let hostile = by_ns
            .values()
            .find(|d| {
                d["metadata"]["namespace"]
                    .as_str()
                    .is_some_and(|ns| ns.starts_with("Ns_<&>]]>\u{7f}"))
            })
            .unwrap();
        let pod = hostile["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["policy"] == "POD001")
            .unwrap();
        // The strings arrive whole, escapes and all.
        assert_eq!(
            pod["resources"][0]["name"],
            "evil<&\"]]>'\u{1}\u{1b}[31m\u{0}\u{2028}\u{fffd} x"
        );
        assert_eq!(docs[0]["summary"]["error"], 1, "the unclosed flow sequence");
    }
}
