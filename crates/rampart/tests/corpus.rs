//! The shared corpus of 1,371 real manifests: every file accounted for, every file
//! parsed (they all load with kubectl's YAML reader), no panic.

mod common;

use common::{json, root};

#[test]
fn every_corpus_file_is_accounted_for() {
    let corpus = root().join("../shared/corpus");
    // The corpus lives beside the repository on our machines and in CI.
    assert!(
        corpus.is_dir(),
        "../shared/corpus is missing: {}",
        corpus.display()
    );
    let files: Vec<_> = walk(&corpus);
    let (code, report) = json(&[
        "scan",
        corpus.to_str().unwrap(),
        "-o",
        "json",
        "--fail-on",
        "none",
    ]);
    let inputs = report["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), files.len(), "one input entry per file");
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d["level"] == "error")
        .collect();
    let syntax: Vec<_> = errors
        .iter()
        .filter(|d| d["message"].as_str().unwrap().contains("invalid"))
        .collect();
    assert!(
        syntax.is_empty(),
        "every corpus file parses, as it does with kubectl: {syntax:#?}"
    );
    // checkov's test inputs include objects with wrong types on purpose
    // (`containers:` as a map, `securityContext:` as a string); each is reported.
    for e in &errors {
        let path = e["path"].as_str().unwrap();
        assert!(
            path.contains("checkov-tests/"),
            "unexpected input error: {e:#}"
        );
        assert!(
            e["message"].as_str().unwrap().contains(": expected "),
            "{e:#}"
        );
        assert!(e["line"].as_u64().unwrap() > 0);
    }
    assert_eq!(errors.len(), 14);
    assert_eq!(code, 2, "those input errors make the exit code 2");
    // PyYAML counts 3,090 (SOURCES.md) including a hidden folder's file, which Rampart
    // skips like every hidden entry, and five `null` List items, which are no objects.
    assert_eq!(report["summary"]["objects"], 3086);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue; // hidden entries are skipped by design
        }
        if path.is_dir() {
            out.extend(walk(&path));
        } else if [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e)) {
            out.push(path);
        }
    }
    out
}
