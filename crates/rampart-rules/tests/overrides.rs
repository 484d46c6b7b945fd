//! What a configuration changes after the rules: severities, exclusions, and
//! suppressions with reasons that expire.

use rampart_model::{InputLevel, Inventory};
use rampart_rules::engine::{self, Overrides};
use rampart_rules::suppress::{Date, Glob};
use rampart_rules::{Selection, Settings, Severity};

const PODS: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: legacy
  namespace: shop
  annotations:
    rampart.dev/suppress: '[{\"rules\": \"POD001\", \"reason\": \"legacy agent, ticket OPS-12\", \"expires\": \"2027-03-31\"}]'
spec:
  containers:
    - {name: a, image: \"x:1\", securityContext: {privileged: true}}
---
apiVersion: v1
kind: Pod
metadata:
  name: plain
  namespace: web
spec:
  containers:
    - {name: a, image: \"x:1\", securityContext: {privileged: true}}
";

fn inventory(text: &str) -> Inventory {
    let loaded = rampart_source::load_str("pods.yaml", text);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    Inventory::new(loaded.files, loaded.objects, None)
}

fn pod001() -> Selection {
    Selection {
        select: vec!["POD001".into()],
        ignore: vec![],
    }
}

fn day(text: &str) -> Date {
    Date::parse(text).unwrap()
}

fn config(text: &str) -> rampart_rules::config::Config {
    let mut tree = rampart_source::parse_tree("rampart.yaml", text);
    rampart_rules::config::parse(tree.documents.pop().flatten().as_ref(), "rampart.yaml").unwrap()
}

fn names(outcome: &engine::Outcome) -> Vec<&str> {
    outcome
        .findings
        .iter()
        .map(|f| f.object.name.as_str())
        .collect()
}

#[test]
fn an_active_annotation_suppresses_and_is_counted_with_its_reason() {
    let inv = inventory(PODS);
    let overrides = Overrides {
        today: day("2027-03-31"),
        ..Overrides::default()
    };
    let out = engine::run_with(&inv, &pod001(), &Settings::default(), &overrides);
    assert_eq!(names(&out), ["plain"]);
    assert_eq!(out.suppressed, 1);
    assert_eq!(out.suppressions.len(), 1);
    assert_eq!(out.suppressions[0].reason, "legacy agent, ticket OPS-12");
    assert_eq!(out.suppressions[0].suppressed, 1);
    assert_eq!(out.suppressions[0].declared.to_string(), "pods.yaml:7:27");
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
}

#[test]
fn an_expired_annotation_stops_suppressing_and_says_so() {
    let inv = inventory(PODS);
    let overrides = Overrides {
        today: day("2027-04-01"),
        ..Overrides::default()
    };
    let out = engine::run_with(&inv, &pod001(), &Settings::default(), &overrides);
    assert_eq!(names(&out), ["legacy", "plain"]);
    assert_eq!(out.suppressed, 0);
    let legacy = &out.findings[0];
    assert!(
        legacy
            .message
            .ends_with("; suppression expired on 2027-03-31 (reason: legacy agent, ticket OPS-12)"),
        "{}",
        legacy.message
    );
    let expired = legacy.suppression.as_ref().unwrap();
    assert_eq!(expired.expires, day("2027-03-31"));
    assert_eq!(out.diagnostics.len(), 1);
    let d = &out.diagnostics[0];
    assert_eq!(d.level, InputLevel::Warning);
    assert_eq!((d.path.as_str(), d.pos.line), ("pods.yaml", 7));
    assert_eq!(
        d.message,
        "suppression of POD001 expired on 2027-03-31 (reason: legacy agent, ticket OPS-12); 1 finding it covered is reported again"
    );
}

#[test]
fn an_annotation_without_a_reason_is_an_input_error_and_suppresses_nothing() {
    let text = PODS.replace("\"reason\": \"legacy agent, ticket OPS-12\", ", "");
    assert!(!text.contains("legacy agent"));
    let inv = inventory(&text);
    let out = engine::run(&inv, &pod001(), &Settings::default());
    assert_eq!(names(&out), ["legacy", "plain"]);
    assert_eq!(out.diagnostics.len(), 1);
    let d = &out.diagnostics[0];
    assert_eq!(d.level, InputLevel::Error);
    assert_eq!(d.pos.line, 7);
    assert_eq!(
        d.message,
        "`rampart.dev/suppress` annotation: a suppression needs a `reason`; it does not suppress"
    );
}

#[test]
fn the_pod_template_annotation_counts_and_the_ignore_annotation_still_works() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: shop, annotations: {rampart.dev/ignore: POD002}}
spec:
  template:
    metadata:
      annotations:
        rampart.dev/suppress: '{\"rules\": [\"privileged-container\"], \"reason\": \"vendor chart\"}'
    spec:
      hostNetwork: true
      containers:
        - {name: a, image: \"x:1\", securityContext: {privileged: true}}
";
    let inv = inventory(text);
    let selection = Selection {
        select: vec!["POD001".into(), "POD002".into()],
        ignore: vec![],
    };
    let out = engine::run(&inv, &selection, &Settings::default());
    assert_eq!(names(&out), Vec::<&str>::new());
    assert_eq!(out.suppressed, 2);
    assert_eq!(
        out.suppressions.len(),
        1,
        "only the one with a reason is listed"
    );
}

#[test]
fn config_exceptions_select_objects_and_expire() {
    let inv = inventory(PODS);
    let c = config(
        "version: 1
exceptions:
  - rules: [POD]
    namespace: web
    kind: Pod
    name: pl*
    reason: accepted for now
    expires: 2026-01-01
",
    );
    let mut overrides = Overrides {
        exceptions: c.exceptions,
        today: day("2026-01-01"),
        ..Overrides::default()
    };
    let out = engine::run_with(&inv, &pod001(), &Settings::default(), &overrides);
    assert_eq!(
        names(&out),
        Vec::<&str>::new(),
        "legacy by annotation, plain by config"
    );
    assert_eq!(out.suppressed, 2);
    assert_eq!(out.suppressions[0].declared.to_string(), "rampart.yaml:3:5");

    overrides.today = day("2026-01-02");
    let out = engine::run_with(&inv, &pod001(), &Settings::default(), &overrides);
    assert_eq!(names(&out), ["plain"]);
    assert!(
        out.findings[0]
            .message
            .contains("suppression expired on 2026-01-01 (reason: accepted for now)")
    );
    assert_eq!(out.diagnostics.len(), 1);
    assert_eq!(out.diagnostics[0].path, "rampart.yaml");
}

#[test]
fn exceptions_that_select_other_objects_do_not_suppress() {
    let inv = inventory(PODS);
    for selector in [
        "namespace: other",
        "kind: Deployment",
        "name: nope",
        "objects: [Pod/web/other]",
    ] {
        let c = config(&format!(
            "version: 1\nexceptions:\n  - {{rules: [POD001], reason: r, {selector}}}\n"
        ));
        let overrides = Overrides {
            exceptions: c.exceptions,
            ..Overrides::default()
        };
        let out = engine::run_with(&inv, &pod001(), &Settings::default(), &overrides);
        assert_eq!(names(&out), ["plain"], "{selector}");
    }
    let c = config(
        "version: 1\nexceptions:\n  - {rules: [POD001], reason: r, objects: [Pod/web/plain]}\n",
    );
    let overrides = Overrides {
        exceptions: c.exceptions,
        ..Overrides::default()
    };
    let out = engine::run_with(&inv, &pod001(), &Settings::default(), &overrides);
    assert!(out.findings.is_empty());
}

#[test]
fn severities_are_overridden_most_specific_first() {
    let inv = inventory(PODS);
    let overrides = Overrides {
        severity: vec![
            ("privileged-container".into(), Severity::Low),
            ("POD".into(), Severity::Critical),
            ("ALL".into(), Severity::Info),
        ],
        ..Overrides::default()
    };
    let out = engine::run_with(&inv, &pod001(), &Settings::default(), &overrides);
    assert!(out.findings.iter().all(|f| f.severity == Severity::Low));
    let overrides = Overrides {
        severity: vec![
            ("POD0".into(), Severity::Info),
            ("POD".into(), Severity::Critical),
        ],
        ..Overrides::default()
    };
    let out = engine::run_with(&inv, &pod001(), &Settings::default(), &overrides);
    assert!(out.findings.iter().all(|f| f.severity == Severity::Info));
}

#[test]
fn excluded_namespaces_and_files_drop_findings_as_suppressed() {
    let inv = inventory(PODS);
    let overrides = Overrides {
        excluded_namespaces: vec![Glob::new("w*")],
        today: day("2027-01-01"),
        ..Overrides::default()
    };
    let out = engine::run_with(&inv, &pod001(), &Settings::default(), &overrides);
    assert!(out.findings.is_empty());
    assert_eq!(out.suppressed, 2);
    let overrides = Overrides {
        excluded_files: vec![rampart_model::FileId(0)],
        today: day("2030-01-01"),
        ..Overrides::default()
    };
    let out = engine::run_with(&inv, &pod001(), &Settings::default(), &overrides);
    assert!(out.findings.is_empty());
    assert_eq!(out.suppressed, 2);
}
