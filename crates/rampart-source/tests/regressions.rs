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
