//! Inputs that once crashed or misled the loader, kept as regression tests.

use rampart_model::InputLevel;

/// See fuzz/README.md: found by `cargo fuzz run load`; libyaml-safer 0.3.0 panicked on
/// an unwrap in its flow scalar scanner.
#[test]
fn libyaml_safer_flow_scalar_panic_is_an_input_error() {
    let text = include_str!("regressions/libyaml-safer-flow-scalar-panic.yaml");
    let loaded = rampart_source::load_str("crash.yaml", text);
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.level == InputLevel::Error && d.pos.line > 0)
    );
}

/// `kubectl get --raw /api/v1/pods` and client-go dumps give typed lists whose items
/// carry no `kind` or `apiVersion`; kubectl takes them from the list, and so do we.
#[test]
fn typed_list_items_take_kind_and_api_version_from_the_list() {
    let loaded = rampart_source::load_str(
        "pods.json",
        r#"{"kind": "PodList", "apiVersion": "v1", "items": [
            {"metadata": {"name": "a", "namespace": "x"}, "spec": {"containers": []}},
            {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "b"}}
        ]}"#,
    );
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let ids: Vec<String> = loaded
        .objects
        .iter()
        .map(|o| format!("{} {} {}", o.id.api_version, o.kind(), o.name()))
        .collect();
    assert_eq!(ids, ["v1 Pod a", "v1 Pod b"]);
    // A plain `List` says nothing about its items: they still need their own.
    let loaded = rampart_source::load_str(
        "list.yaml",
        "kind: List\napiVersion: v1\nitems:\n- metadata: {name: a}\n",
    );
    assert!(loaded.objects.is_empty());
    assert_eq!(loaded.diagnostics.len(), 1);
}
