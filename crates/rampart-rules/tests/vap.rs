//! Every exported ValidatingAdmissionPolicy against its rule's fixtures: evaluated with
//! kube-cel's `VapEvaluator` on every object of `fail.yaml` and `pass.yaml`, the policy
//! must deny exactly the objects on which the Rust rule reports at least one finding.
//!
//! `VapEvaluator` binds `object`, `request` and `namespaceObject` but not `variables`,
//! so the harness inlines each `variables.<name>` reference with its (already inlined)
//! expression. CEL is side-effect free, so this is the same value Kubernetes computes
//! lazily. `namespaceObject` is the fixture's Namespace of that name, or an unlabelled
//! Namespace when the fixture has none, as a cluster would hold.

#![allow(clippy::print_stderr)] // the summary line of the agreement test

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use kube_cel::{AdmissionRequest, VapEvaluator, VapExpression};
use rampart_model::workload::WORKLOAD_KINDS;
use rampart_model::{InputLevel, Inventory};
use rampart_rules::vap::{self, Options, Policy};
use rampart_rules::{RuleMeta, Selection, engine};
use serde_json::{Value, json};

fn fixture_dir(rule: &RuleMeta) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("resources/fixtures")
        .join(rule.practice.slug())
        .join(rule.code)
}

/// Replaces `variables.<name>` (whole identifiers) with `(<expression>)`.
fn inline(expr: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = expr;
    while let Some(i) = rest.find("variables.") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "variables.".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..end];
        let value = vars
            .get(name)
            .unwrap_or_else(|| panic!("unknown variable `{name}` in {expr}"));
        out.push('(');
        out.push_str(value);
        out.push(')');
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// kube-cel escapes every map key as Kubernetes escapes schema property names
/// (`a.b/c` -> `a__dot__b__slash__c`), labels and annotations included, where the API
/// server leaves map keys alone. The harness rewrites the key literals the policies use
/// to kube-cel's form so the same lookups succeed.
fn escape_key_literals(expr: &str) -> String {
    let escape = |k: &str| {
        k.replace('_', "__")
            .replace('.', "__dot__")
            .replace('-', "__dash__")
            .replace('/', "__slash__")
    };
    let mut out = expr.to_string();
    for key in [
        "pod-security.kubernetes.io/enforce-version",
        "pod-security.kubernetes.io/enforce",
        "seccomp.security.alpha.kubernetes.io/pod",
        "container.seccomp.security.alpha.kubernetes.io/",
        "rampart.dev/ignore",
    ] {
        out = out.replace(&format!("'{key}'"), &format!("'{}'", escape(key)));
    }
    out
}

/// The policy's validations with variables inlined.
fn expressions(policy: &Value) -> Vec<VapExpression> {
    let mut vars = BTreeMap::new();
    for v in policy["spec"]["variables"].as_array().expect("variables") {
        let name = v["name"].as_str().expect("name").to_string();
        let expr = escape_key_literals(&inline(
            v["expression"].as_str().expect("expression"),
            &vars,
        ));
        vars.insert(name, expr);
    }
    policy["spec"]["validations"]
        .as_array()
        .expect("validations")
        .iter()
        .map(|v| VapExpression {
            expression: escape_key_literals(&inline(
                v["expression"].as_str().expect("expression"),
                &vars,
            )),
            message: None,
            message_expression: v["messageExpression"]
                .as_str()
                .map(|m| escape_key_literals(&inline(m, &vars))),
        })
        .collect()
}

struct Verdicts {
    /// (object label, rust denies, policy denies, policy message)
    rows: Vec<(String, bool, bool, String)>,
}

fn evaluate(policy: &Policy, path: &PathBuf) -> Verdicts {
    let rule = policy.rule;
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let loaded = rampart_source::load_str(&path.display().to_string(), &text);
    assert!(
        loaded
            .diagnostics
            .iter()
            .all(|d| d.level != InputLevel::Error),
        "{}: input errors",
        path.display()
    );
    let namespaces: BTreeMap<String, Value> = loaded
        .objects
        .iter()
        .filter(|o| o.kind() == "Namespace")
        .map(|o| (o.name().to_string(), o.root.to_json()))
        .collect();
    let objects: Vec<(usize, Value, String, Option<String>)> = loaded
        .objects
        .iter()
        .enumerate()
        .map(|(i, o)| {
            (
                i, // `Inventory::new` numbers the objects by position
                o.root.to_json(),
                o.kind().to_string(),
                o.namespace().map(str::to_string),
            )
        })
        .collect();
    let inventory = Inventory::new(loaded.files, loaded.objects, None);
    let selection = Selection {
        select: vec![rule.code.to_string()],
        ignore: vec![],
    };
    let outcome = engine::run(&inventory, &selection, &rampart_rules::Settings::default());
    let flagged: BTreeSet<usize> = outcome
        .findings
        .iter()
        .filter_map(|f| f.object_index)
        .collect();
    let exprs = expressions(&policy.policy);
    let mut rows = Vec::new();
    for (index, json, kind, namespace) in objects {
        // The policy matches only pod-carrying kinds; anything else is never denied.
        if !WORKLOAD_KINDS.contains(&kind.as_str()) {
            assert!(
                !flagged.contains(&index),
                "{}: finding on a {kind}",
                path.display()
            );
            continue;
        }
        let ns_name = namespace.clone().unwrap_or_else(|| "default".to_string());
        let ns_object = namespace
            .as_ref()
            .and_then(|n| namespaces.get(n).cloned())
            .unwrap_or_else(
                || json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns_name}}),
            );
        let request = AdmissionRequest {
            operation: "CREATE".to_string(),
            namespace: namespace.clone().unwrap_or_default(),
            name: json["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            ..AdmissionRequest::default()
        };
        let evaluator = VapEvaluator::builder()
            .object(json.clone())
            .request(request)
            .namespace_object(ns_object)
            .build();
        let results = evaluator.evaluate(&exprs);
        let denied = results.iter().any(|r| !r.passed);
        let message = results
            .iter()
            .filter_map(|r| r.message.clone())
            .collect::<Vec<_>>()
            .join("; ");
        let label = format!(
            "{kind}/{}",
            json["metadata"]["name"].as_str().unwrap_or_default()
        );
        rows.push((label, flagged.contains(&index), denied, message));
    }
    Verdicts { rows }
}

#[test]
fn exported_policies_agree_with_their_rules_on_every_fixture_object() {
    let policies = vap::policies(&Options::default()).expect("policies");
    assert_eq!(policies.len(), vap::EXPORTED.len());
    let mut disagreements = Vec::new();
    let (mut fixtures, mut evaluated, mut denials) = (0, 0, 0);
    for policy in &policies {
        for file in ["fail.yaml", "pass.yaml"] {
            let path = fixture_dir(policy.rule).join(file);
            fixtures += 1;
            let verdicts = evaluate(policy, &path);
            for (label, rust, cel, message) in verdicts.rows {
                evaluated += 1;
                if cel {
                    denials += 1;
                    assert!(
                        !rust || message.starts_with(policy.rule.code),
                        "{}: {label}: message does not name the rule: {message}",
                        path.display()
                    );
                }
                if rust != cel {
                    disagreements.push(format!(
                        "{} {file} {label}: rule {} but policy {} ({message})",
                        policy.rule.code,
                        if rust { "reports" } else { "is silent" },
                        if cel { "denies" } else { "admits" },
                    ));
                }
            }
        }
    }
    eprintln!("{fixtures} fixtures, {evaluated} objects evaluated, {denials} denied");
    assert!(
        disagreements.is_empty(),
        "disagreements:\n{}",
        disagreements.join("\n")
    );
    assert!(evaluated > 0 && denials > 0);
}

#[test]
fn messages_name_the_rule_and_the_container() {
    let policies = vap::policies(&Options::default()).expect("policies");
    let policy = policies
        .iter()
        .find(|p| p.rule.code == "POD001")
        .expect("POD001 exported");
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
        "spec": {"containers": [
            {"name": "ok", "image": "x:1"},
            {"name": "bad", "image": "x:1", "securityContext": {"privileged": true}},
        ]},
    });
    let results = VapEvaluator::builder()
        .object(pod)
        .namespace_object(json!({"metadata": {"name": "a"}}))
        .build()
        .evaluate(&expressions(&policy.policy));
    let message = results[0].message.clone().unwrap_or_default();
    assert!(!results[0].passed);
    assert_eq!(
        message,
        "POD001 privileged-container: privileged containers: bad"
    );
}

#[test]
fn generated_yaml_loads_back_and_scans_clean() {
    let policies = vap::policies(&Options::default()).expect("policies");
    let objects = vap::objects(&policies);
    let yaml = vap::to_yaml(&objects);
    let loaded = rampart_source::load_str("vap.yaml", &yaml);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    assert_eq!(loaded.objects.len(), objects.len());
    for (object, want) in loaded.objects.iter().zip(&objects) {
        assert_eq!(&object.root.to_json(), want);
    }
    let inventory = Inventory::new(loaded.files, loaded.objects, None);
    let outcome = engine::run(
        &inventory,
        &Selection::default(),
        &rampart_rules::Settings::default(),
    );
    let codes: Vec<_> = outcome
        .findings
        .iter()
        .map(|f| (f.rule.code, f.message.clone()))
        .collect();
    assert!(codes.is_empty(), "{codes:?}");
}
