//! A hostile input set: an alias bomb, 20,000-deep nesting, binary garbage, invalid
//! UTF-8, duplicate keys, tabs, a 50 MB file, and a valid privileged Pod after a
//! broken document. No panic, bounded time and memory, every problem located, and the
//! valid Pods still found. One test in this file, so the process's peak memory is
//! this load's.

#![allow(clippy::format_collect, clippy::cast_possible_truncation)] // test data builders

mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use common::rampart;
use rampart_model::InputLevel::{Error, Warning};

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: NAME}\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      securityContext:\n        privileged: true\n";

fn privileged(name: &str) -> String {
    PRIVILEGED.replace("NAME", name)
}

fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace()
        .nth(1)?
        .parse::<u64>()
        .ok()
        .map(|kib| kib / 1024)
}

#[test]
fn hostile_inputs_are_located_and_never_hide_valid_objects() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();

    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        let _ = writeln!(
            bomb,
            "  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]"
        );
    }
    write(
        "alias-bomb.yaml",
        format!("{bomb}---\n{}", privileged("after-bomb")).as_bytes(),
    );
    write(
        "deep-flow.yaml",
        format!("a: {}{}\n", "[".repeat(20_000), "]".repeat(20_000)).as_bytes(),
    );
    write(
        "deep.json",
        format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)).as_bytes(),
    );
    let block: String = (0..1_500)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    write("deep-block.yaml", block.as_bytes());
    let garbage: Vec<u8> = (0u32..65_536)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    write("garbage.yaml", &garbage);
    let mut bad_utf8 =
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {k: \"\xff\xfe\"}\n---\n"
            .to_vec();
    bad_utf8.extend_from_slice(privileged("after-bad-utf8").as_bytes());
    write("invalid-utf8.yaml", &bad_utf8);
    write("duplicate-keys.yaml", b"apiVersion: v1\nkind: Pod\nmetadata: {name: dup}\nspec:\n  containers:\n    - name: a\n      image: nginx:1.27\n      securityContext:\n        privileged: false\n        privileged: true\n");
    write(
        "tabs.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n\tname: tabbed\n",
    );
    write(
        "broken-then-privileged.yaml",
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: [\n---\n{}",
            privileged("after-broken")
        )
        .as_bytes(),
    );
    let mut big = String::with_capacity(52 * 1024 * 1024);
    big.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n");
    let mut i = 0;
    while big.len() < 50 * 1024 * 1024 {
        let _ = writeln!(big, "  key-{i}: \"{}\"", "v".repeat(100));
        i += 1;
    }
    big.push_str("---\n");
    big.push_str(&privileged("after-big"));
    write("big.yaml", big.as_bytes());
    drop(big);

    // In process: bounded memory.
    let started = Instant::now();
    let loaded = rampart_source::load(
        &[rampart_source::Input::Path(dir.path().to_path_buf())],
        &rampart_source::LoadOptions::default(),
    );
    let elapsed = started.elapsed();
    let peak = peak_rss_mib();
    let names: Vec<&str> = loaded
        .objects
        .iter()
        .map(rampart_model::Object::name)
        .collect();
    for want in [
        "after-bomb",
        "after-bad-utf8",
        "after-broken",
        "after-big",
        "dup",
        "big",
    ] {
        assert!(names.contains(&want), "{want} not loaded: {names:?}");
    }
    let errors_in = |file: &str| {
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.path.ends_with(file))
            .map(|d| (d.level, d.pos.line, d.message.clone()))
            .collect::<Vec<_>>()
    };
    let has = |file: &str, level, needle: &str| {
        errors_in(file)
            .iter()
            .any(|(l, line, m)| *l == level && *line > 0 && m.contains(needle))
    };
    assert!(
        has("alias-bomb.yaml", Error, "alias bomb"),
        "{:?}",
        errors_in("alias-bomb.yaml")
    );
    assert!(
        has("deep-flow.yaml", Error, ""),
        "{:?}",
        errors_in("deep-flow.yaml")
    );
    assert!(
        has("deep.json", Error, "nesting"),
        "{:?}",
        errors_in("deep.json")
    );
    assert!(
        has("deep-block.yaml", Error, "nesting"),
        "{:?}",
        errors_in("deep-block.yaml")
    );
    assert!(
        has("garbage.yaml", Error, "binary"),
        "{:?}",
        errors_in("garbage.yaml")
    );
    assert!(
        has("invalid-utf8.yaml", Error, "UTF-8"),
        "{:?}",
        errors_in("invalid-utf8.yaml")
    );
    assert!(
        has("duplicate-keys.yaml", Warning, "duplicate key `privileged`"),
        "{:?}",
        errors_in("duplicate-keys.yaml")
    );
    assert!(
        has("tabs.yaml", Error, "invalid YAML"),
        "{:?}",
        errors_in("tabs.yaml")
    );
    assert!(
        has("broken-then-privileged.yaml", Error, "invalid YAML"),
        "{:?}",
        errors_in("broken-then-privileged.yaml")
    );
    assert!(elapsed < Duration::from_secs(120), "load took {elapsed:?}");
    if let Some(mib) = peak {
        assert!(mib < 1_500, "peak memory {mib} MiB");
    }

    // Through the CLI: every privileged Pod is found (the duplicate key's last value
    // wins, as Kubernetes reads it) and the run exits 2.
    let out = rampart(&[
        "scan",
        dir.path().to_str().unwrap(),
        "-o",
        "json",
        "--select",
        "POD001",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["object"]["name"].as_str().unwrap())
        .collect();
    found.sort_unstable();
    assert_eq!(
        found,
        [
            "after-bad-utf8",
            "after-big",
            "after-bomb",
            "after-broken",
            "dup"
        ]
    );
}
