//! End-to-end behaviour of `rampart scan`, `rules` and `explain`.

#![allow(clippy::print_stderr)] // tests say why they take a branch

mod common;

use std::collections::BTreeSet;

use common::{codes, json, rampart, rampart_stdin, root, validate};

#[test]
fn insecure_example_breaks_every_practice() {
    let (code, report) = json(&["scan", "examples/insecure", "-o", "json"]);
    assert_eq!(code, 1, "findings at or above high exit 1");
    validate(&report);
    let practices: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["practice"].as_str().unwrap())
        .collect();
    assert_eq!(
        practices,
        BTreeSet::from([
            "audit",
            "network",
            "pod-security",
            "rbac",
            "secrets",
            "updates"
        ])
    );
    let all = codes(&report);
    for code in ["RBAC001", "SEC001", "NET001", "POD001", "UPD001", "AUD001"] {
        assert!(all.iter().any(|c| c == code), "{code} missing from {all:?}");
    }
}

/// The version rules judge the embedded release data as of `--now`.
#[test]
fn version_rules_judge_as_of_now() {
    let run = |now: &str| {
        let (_, report) = json(&[
            "scan",
            "examples/insecure",
            "-o",
            "json",
            "--select",
            "UPD002,UPD003,UPD004",
            "--now",
            now,
        ]);
        report
    };
    // kube-apiserver v1.31.4: 1.31 entered maintenance on 2025-08-28, ended 2025-11-11.
    let before = run("2025-09-01");
    assert_eq!(codes(&before), ["UPD003", "UPD004"], "{before:#}");
    let messages: Vec<&str> = before["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages[1].contains("8 patch releases behind v1.31.12"),
        "{messages:?}"
    );
    let after = run("2026-01-01");
    assert_eq!(codes(&after), ["UPD002"], "{after:#}");
    // A version given on the command line wins, and belongs to no file.
    let (_, report) = json(&[
        "scan",
        "examples/hardened",
        "-o",
        "json",
        "--select",
        "UPD002",
        "--k8s-version",
        "v1.29.3",
        "--now",
        "2026-08-20",
    ]);
    assert_eq!(codes(&report), ["UPD002"], "{report:#}");
    let out = rampart(&["scan", "examples/hardened", "--now", "tomorrow"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn hardened_example_is_clean() {
    let (code, report) = json(&[
        "scan",
        "examples/hardened",
        "-o",
        "json",
        "--fail-on",
        "low",
    ]);
    validate(&report);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["diagnostics"], serde_json::json!([]));
    assert_eq!(code, 0);
}

#[test]
fn findings_point_at_file_line_and_field() {
    let (_, report) = json(&[
        "scan",
        "examples/insecure/api.yaml",
        "-o",
        "json",
        "--select",
        "POD001",
    ]);
    let f = &report["findings"][0];
    assert_eq!(f["location"]["file"], "examples/insecure/api.yaml");
    assert_eq!(f["location"]["line"], 30);
    assert_eq!(f["location"]["column"], 25);
    assert_eq!(
        f["location"]["fieldPath"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(
        f["object"],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "api"})
    );
}

const BROKEN_THEN_PRIVILEGED: &str = "\
apiVersion: v1
kind: ConfigMap
metadata: {name: broken
data: [
---
apiVersion: v1
kind: Pod
metadata:
  name: after-broken
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: true
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: wrong-types
spec:
  template:
    spec:
      containers: \"x\"
---
apiVersion: v1
kind: Pod
metadata:
  name: spec-is-a-number
spec: 5
---
just: some yaml
";

#[test]
fn bad_documents_are_errors_with_locations_and_the_rest_still_scans() {
    let out = rampart_stdin(
        &["scan", "-", "-o", "json", "--select", "POD001"],
        Some(BROKEN_THEN_PRIVILEGED.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(2), "input errors exit 2");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    validate(&report);
    assert_eq!(codes(&report), ["POD001"]);
    assert_eq!(report["findings"][0]["location"]["line"], 15);
    let diags = report["diagnostics"].as_array().unwrap();
    let at = |line: u64, level: &str| {
        diags
            .iter()
            .any(|d| d["path"] == "-" && d["line"] == line && d["level"] == level)
    };
    assert!(
        at(4, "error"),
        "the broken flow mapping is reported where the parser failed: {diags:#?}"
    );
    assert!(
        at(24, "error"),
        "`containers: \"x\"` is a wrong type: {diags:#?}"
    );
    assert!(at(30, "error"), "`spec: 5` is a wrong type: {diags:#?}");
    assert!(
        at(32, "skipped"),
        "YAML that is not an object is listed as skipped: {diags:#?}"
    );
    assert_eq!(diags.len(), 4, "one diagnostic per problem: {diags:#?}");
    assert_eq!(report["inputs"][0]["status"], "error");
}

#[test]
fn text_output_has_code_frames_and_a_scorecard_and_no_colour_when_piped() {
    let out = rampart(&["scan", "examples/insecure/api.yaml"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}'),
        "no ANSI escapes when not a terminal"
    );
    assert!(text.contains("examples/insecure/api.yaml"));
    assert!(
        text.contains("30:25  high     POD001  container `api` runs privileged"),
        "{text}"
    );
    assert!(text.contains("30 │             privileged: yes"), "{text}");
    assert!(text.contains("Pod security"));
    assert!(text.contains("findings in"));
}

#[test]
fn secret_values_never_reach_any_output() {
    let secrets = ["pZ8#qL2!vR7@kT4$", "Sup3rS3cret!", "AKIAIOSFODNN7EXAMPLE"];
    for format in ["text", "json"] {
        let out = rampart(&["scan", "examples/insecure", "-o", format]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("SEC001"), "{format}: the secrets are found");
        for s in secrets {
            assert!(!all.contains(s), "{format} output leaks a secret value");
            assert!(
                !all.contains(&s[..6]),
                "{format} output leaks a prefix of a secret value"
            );
        }
    }
}

#[test]
fn selection_fail_on_and_unknown_codes() {
    let (code, report) = json(&[
        "scan",
        "examples/insecure",
        "-o",
        "json",
        "--select",
        "UPD001,NET001",
    ]);
    assert_eq!(
        code, 0,
        "medium findings do not fail at the default --fail-on high"
    );
    assert!(
        codes(&report)
            .iter()
            .all(|c| c == "UPD001" || c == "NET001")
    );
    let (code, report) = json(&[
        "scan",
        "examples/insecure",
        "-o",
        "json",
        "--ignore",
        "POD,SEC,RBAC,AUD,NET010,UPD002",
    ]);
    assert_eq!(
        code, 0,
        "no high finding left once NET010 and UPD002 (end of life) are ignored"
    );
    assert!(!codes(&report).is_empty());
    assert!(!codes(&report).iter().any(|c| c == "NET010"));
    let (code, _) = json(&[
        "scan",
        "examples/insecure",
        "-o",
        "json",
        "--select",
        "UPD",
        "--fail-on",
        "medium",
    ]);
    assert_eq!(code, 1);
    let (code, _) = json(&[
        "scan",
        "examples/insecure",
        "-o",
        "json",
        "--fail-on",
        "none",
    ]);
    assert_eq!(code, 0);
    let out = rampart(&["scan", "examples/insecure", "--select", "XYZ999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rule matches XYZ999"));
}

#[test]
fn missing_paths_are_input_errors() {
    let (code, report) = json(&["scan", "does/not/exist", "-o", "json"]);
    assert_eq!(code, 2);
    assert_eq!(
        report["diagnostics"][0]["message"],
        "no such file or directory"
    );
}

#[test]
fn suppression_annotation_on_the_pod_template() {
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    metadata:\n      annotations: {rampart.dev/ignore: \"POD\"}\n    spec:\n      containers: [{name: a, image: \"x:1\", securityContext: {privileged: true}}]\n";
    let out = rampart_stdin(
        &["scan", "-", "-o", "json", "--select", "POD001"],
        Some(yaml.as_bytes()),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(codes(&report).is_empty());
    assert_eq!(report["summary"]["suppressed"], 1);
}

#[test]
fn json_and_list_inputs() {
    let list = r#"{"apiVersion": "v1", "kind": "PodList", "items": [
      {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "x"},
       "spec": {"containers": [{"name": "c", "image": "nginx", "securityContext": {"privileged": true}}]}}]}"#;
    let out = rampart_stdin(
        &["scan", "-", "-o", "json", "--select", "POD001"],
        Some(list.as_bytes()),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(codes(&report), ["POD001"]);
    let f = &report["findings"][0]["location"];
    assert_eq!(f["line"], 3);
    assert_eq!(
        f["fieldPath"],
        "items[0].spec.containers[0].securityContext.privileged"
    );
}

#[test]
fn minified_json_frames_show_the_finding_not_the_start_of_the_line() {
    // One line: ten padding pods, then a privileged one, then a Secret.
    let pad = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"pad","namespace":"x"},"data":{"k":"v"}},"#;
    let list = format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[{}{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p","namespace":"x"}},"spec":{{"containers":[{{"name":"c","image":"nginx:1.27","securityContext":{{"privileged":true}}}}]}}}},{{"apiVersion":"v1","kind":"Secret","metadata":{{"name":"s","namespace":"x"}},"stringData":{{"password":"Sup3rS3cretValue!"}}}}]}}"#,
        pad.repeat(10)
    );
    let out = rampart_stdin(
        &["scan", "-", "--select", "POD001,SEC001"],
        Some(list.as_bytes()),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("Sup3rS3"), "secret value leaked: {text}");
    let frame = text
        .lines()
        .find(|l| l.contains("1 │ ...") && l.contains("privileged"))
        .unwrap_or_else(|| panic!("no windowed frame around the finding: {text}"));
    assert!(frame.chars().count() < 200, "frame is clipped: {frame}");
    let caret = text.lines().skip_while(|l| *l != frame).nth(1).unwrap();
    // The line also holds a secret, so the marked value and the rest of the line are
    // masked; the caret still sits right after `"privileged":`.
    let column = |line: &str, byte: usize| line[..byte].chars().count();
    let caret_at = caret.find('^').map(|i| column(caret, i));
    let value_at = frame
        .find(r#""privileged":"#)
        .map(|i| column(frame, i) + r#""privileged":"#.len());
    assert_eq!(
        caret_at, value_at,
        "the caret marks the value:\n{frame}\n{caret}"
    );
}

#[test]
fn kustomizations_are_rendered_or_explained() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        "resources: [pod.yaml]\nnamespace: team\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: \"nginx:1\", securityContext: {privileged: true}}]\n",
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    let (code, report) = json(&["scan", path, "-o", "json", "--select", "POD001"]);
    let has_kubectl = std::process::Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_ok();
    if has_kubectl {
        assert_eq!(code, 1, "{report:#}");
        assert_eq!(
            report["findings"][0]["object"]["namespace"], "team",
            "the kustomization's namespace applies"
        );
        assert!(
            report["findings"][0]["location"]["file"]
                .as_str()
                .unwrap()
                .ends_with("(kubectl kustomize)")
        );
    } else {
        eprintln!("kubectl is not installed: checking the message instead");
        assert_eq!(code, 2);
        assert!(
            report["diagnostics"][0]["message"]
                .as_str()
                .unwrap()
                .contains("kubectl")
        );
    }
}

#[test]
fn rules_and_explain() {
    let out = rampart(&["rules"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("POD001   privileged-container"));
    let out = rampart(&["explain", "privileged-container"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("# POD001 `privileged-container`"));
    assert!(text.contains("## Why is this bad?"));
    let out = rampart(&["explain", "NOPE"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The README's rule table and docs/rules/*.md are generated from the registry.
/// `RAMPART_UPDATE_DOCS=1 cargo test -p rampart --test cli` rewrites them.
#[test]
fn generated_docs_are_current() {
    let update = std::env::var_os("RAMPART_UPDATE_DOCS").is_some();
    let readme_path = root().join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let (start, end) = ("<!-- rules:start -->\n", "<!-- rules:end -->");
    let a = readme.find(start).expect("README has a rules:start marker") + start.len();
    let b = readme.find(end).expect("README has a rules:end marker");
    let table = rampart_rules_table();
    if update {
        std::fs::write(
            &readme_path,
            format!("{}{table}{}", &readme[..a], &readme[b..]),
        )
        .unwrap();
    } else {
        assert_eq!(
            &readme[a..b],
            table,
            "README rule table is stale: RAMPART_UPDATE_DOCS=1 cargo test -p rampart --test cli"
        );
    }
    let out = rampart(&["rules", "-o", "json"]);
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for rule in rules.as_array().unwrap() {
        let code = rule["code"].as_str().unwrap();
        let page = String::from_utf8(rampart(&["explain", code]).stdout).unwrap();
        let path = root().join("docs/rules").join(format!("{code}.md"));
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &page).unwrap();
        } else {
            assert_eq!(
                std::fs::read_to_string(&path).unwrap_or_default(),
                page,
                "{} is stale",
                path.display()
            );
        }
    }
}

fn rampart_rules_table() -> String {
    String::from_utf8(rampart(&["rules", "-o", "markdown"]).stdout).unwrap()
}

#[test]
fn pss_verdicts_answer_like_admission() {
    let (code, verdicts) = json(&[
        "pss",
        "--level",
        "baseline",
        "--version",
        "v1.30",
        "-o",
        "json",
        "examples/insecure",
    ]);
    assert_eq!(code, 1, "a forbidden pod exits 1");
    let list = verdicts.as_array().unwrap();
    assert_eq!(
        list.len(),
        4,
        "every pod-bearing object, and nothing else: {verdicts:#}"
    );
    let api = list.iter().find(|v| v["name"] == "api").unwrap();
    assert_eq!(
        api,
        &serde_json::json!({
            "file": "examples/insecure/api.yaml", "kind": "Deployment", "namespace": "shop", "name": "api",
            "allowed": false,
            "violations": [{"check": "privileged", "reason": "privileged",
                            "detail": "container \"api\" must not set securityContext.privileged=true"}]
        })
    );
    let storefront = list.iter().find(|v| v["name"] == "storefront").unwrap();
    assert_eq!(storefront["allowed"], true);
    let (code, _) = json(&[
        "pss",
        "--level",
        "restricted",
        "-o",
        "json",
        "examples/hardened",
    ]);
    assert_eq!(code, 0, "the hardened twin passes restricted:latest");
    let out = rampart(&[
        "pss",
        "--level",
        "restricted",
        "examples/insecure/storefront.yaml",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Deployment shop/storefront: violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"web\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities"), "{text}");
    let out = rampart(&[
        "pss",
        "--level",
        "restricted",
        "--version",
        "1.30",
        "examples/hardened",
    ]);
    assert_eq!(out.status.code(), Some(2), "versions are written v1.N");
}

#[test]
fn can_i_and_who_can_answer_offline() {
    // The insecure example binds its API ServiceAccount to the built-in cluster-admin.
    let out = rampart(&[
        "can-i",
        "get",
        "secrets",
        "-n",
        "kube-system",
        "--as",
        "system:serviceaccount:shop:api",
        "-f",
        "examples/insecure",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "yes exits 0, as kubectl auth can-i does"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("yes\n"), "{text}");
    assert!(text.contains("ClusterRoleBinding shop-api-admin -> ClusterRole cluster-admin rule 0 (built-in bootstrap policy)"), "{text}");
    let out = rampart(&[
        "can-i",
        "get",
        "secrets",
        "-n",
        "shop",
        "--as",
        "system:serviceaccount:shop:api",
        "-f",
        "examples/insecure",
        "--no-builtin-rbac",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "without the built-in cluster-admin nothing grants it"
    );
    let (code, answer) = json(&[
        "can-i",
        "get",
        "configmaps/api-settings",
        "-n",
        "shop",
        "--as",
        "system:serviceaccount:shop:api",
        "-f",
        "examples/hardened",
        "-o",
        "json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(answer["allowed"], true);
    assert_eq!(answer["reasons"][0]["binding"]["name"], "api-config-reader");
    assert_eq!(
        answer["reasons"][0]["rule"]["at"],
        "examples/hardened/api.yaml:16"
    );
    let (code, answer) = json(&[
        "can-i",
        "get",
        "configmaps/other",
        "-n",
        "shop",
        "--as",
        "system:serviceaccount:shop:api",
        "-f",
        "examples/hardened",
        "-o",
        "json",
    ]);
    assert_eq!(
        (code, &answer["allowed"]),
        (1, &serde_json::json!(false)),
        "resourceNames limit the grant"
    );
    let (_, subjects) = json(&[
        "who-can",
        "create",
        "deployments.apps",
        "-n",
        "shop",
        "-f",
        "examples/insecure",
        "-o",
        "json",
    ]);
    let names: Vec<&str> = subjects
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"system:masters"));
    assert!(names.contains(&"api"), "{names:?}");
}

#[test]
fn escalations_explain_each_step() {
    let fixture = "crates/rampart-rules/resources/fixtures/rbac/RBAC019/fail.yaml";
    let out = rampart(&["escalations", "-f", fixture]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("User alice -> cluster-admin in 3 steps\n  1. creates a pod in ci that runs as any of its ServiceAccounts [RoleBinding alice-deploys]\n  2. the pod runs as ci/deployer and carries its token\n  3. holds every verb on every resource cluster-wide [ClusterRoleBinding deployer-admin]"), "{text}");
    let (_, paths) = json(&["escalations", "-f", fixture, "-o", "json"]);
    let bob = paths
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["subject"] == "User `bob`")
        .unwrap();
    assert_eq!(bob["toClusterAdmin"].as_array().unwrap().len(), 2);
    let dot =
        String::from_utf8(rampart(&["escalations", "-f", fixture, "-o", "dot"]).stdout).unwrap();
    assert!(dot.starts_with("digraph escalations {") && dot.trim_end().ends_with('}'));
    let out = rampart(&[
        "rbac",
        "effective",
        "ServiceAccount:shop:api",
        "-f",
        "examples/hardened",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("namespace shop:\n  get,watch on configmaps named api-settings  [RoleBinding api-config-reader -> Role api-config-reader]"), "{text}");
}

#[test]
fn node_root_reads_static_pods_and_the_files_their_flags_name() {
    let weak = "crates/rampart/tests/node-roots/weak";
    let (_, report) = json(&[
        "scan",
        "--node-root",
        weak,
        "-o",
        "json",
        "--select",
        "SEC,AUD",
    ]);
    let messages: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["code"], f["message"]))
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("SEC002") && m.contains("`identity` is the first provider")),
        "identity first is plaintext: {messages:#?}"
    );
    let identity = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "SEC002")
        .unwrap();
    assert_eq!(
        identity["location"]["file"],
        "crates/rampart/tests/node-roots/weak/etc/kubernetes/enc/encryption.yaml"
    );
    assert_eq!(identity["location"]["line"], 6);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("SEC003") && m.contains("plain HTTP (http://127.0.0.1:2379)")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("SEC003")
            && m.contains("does not require certificates from its clients"))
    );
    let all = serde_json::to_string(&report).unwrap();
    assert!(
        !all.contains("dGhpcyBpcyBub3Qg"),
        "the encryption key never appears in output"
    );
    // A saved process command line (proc/777/cmdline) counts like a static pod.
    let saved = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["location"]["file"]
                .as_str()
                .unwrap()
                .ends_with("proc/777/cmdline (process command line)")
                && f["message"].as_str().unwrap().contains("plain HTTP")
        })
        .expect("a finding on the saved etcd command line");
    assert!(
        saved["message"]
            .as_str()
            .unwrap()
            .contains("plain HTTP on http://10.0.0.9:2379"),
        "{saved:#}"
    );
    assert_eq!(
        saved["location"]["line"], 6,
        "the line of the flag in the rendered command line"
    );

    let (_, report) = json(&[
        "scan",
        "--node-root",
        "crates/rampart/tests/node-roots/strong",
        "-o",
        "json",
        "--select",
        "SEC,AUD",
    ]);
    assert_eq!(
        report["findings"],
        serde_json::json!([]),
        "KMS v2 first, https etcd with client certs, audit on"
    );
    assert!(
        report["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["path"].as_str().unwrap().ends_with("enc/encryption.yaml"))
    );
}

#[test]
fn audit_policy_explain_names_the_first_matching_rule() {
    let policy = "../shared/schemas/audit/kubernetes-website/audit-policy.yaml";
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
        .current_dir(root())
        .args([
            "audit-policy",
            "explain",
            policy,
            "--verb",
            "get",
            "--resource",
            "pods/log",
            "-n",
            "shop",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with("rule #2 (")
            && text.contains("audit-policy.yaml:15) matches first: level Metadata"),
        "{text}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
        .current_dir(root())
        .args([
            "audit-policy",
            "explain",
            policy,
            "--verb",
            "get",
            "--path",
            "/version",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["level"], "None");
    assert_eq!(v["rule"], 5);
    assert_eq!(v["omitStages"], serde_json::json!(["RequestReceived"]));
}

#[test]
fn export_vap_writes_policies_that_scan_clean() {
    let out = rampart(&["export", "vap", "--action", "warn"]);
    assert!(out.status.success());
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(yaml.contains("name: \"rampart-pod001\""), "{yaml}");
    assert!(yaml.contains("- \"Warn\""));
    assert!(!yaml.contains("- \"Deny\""));
    let scan = rampart_stdin(&["scan", "-", "-o", "json"], Some(yaml.as_bytes()));
    let report: serde_json::Value = serde_json::from_slice(&scan.stdout).unwrap();
    assert_eq!(scan.status.code(), Some(0), "{report}");
    assert!(codes(&report).is_empty(), "{report}");

    let list = rampart(&["export", "vap", "--list"]);
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(
        text.contains("POD001") && text.contains("RBAC001"),
        "{text}"
    );
    let json_out = rampart(&["export", "vap", "-o", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"].as_array().unwrap().len(), 26);
}

#[test]
fn webhook_deployment_scans_clean() {
    let (code, report) = json(&["scan", "deploy/webhook", "-o", "json", "--fail-on", "low"]);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["diagnostics"], serde_json::json!([]));
    assert_eq!(code, 0);
}
