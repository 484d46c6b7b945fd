//! The canary: known secret values in every place Rampart reads them, run through every
//! output format `rampart scan -o` offers (read from `--help`, so new formats are
//! covered as soon as they exist). No value, and no 8-character prefix of one, may
//! appear in stdout, stderr or any file written.

mod common;

use common::rampart;

const CANARIES: &[&str] = &[
    "Zq8!canaryANNOT7#kX2pW9",
    "Zq8!canaryENV7#kX2pW9vB",
    "AKIACANARY7EXAMPLE2Q",
    "Zq8!canaryARG7#kX2pW9m",
    "Zq8canaryURL7kX2pW9",
    "Zq8!canaryCM7#kX2pW9tT",
    "Zq8!canarySECRET7#kX2pW9",
    "Q2FuYXJ5S2V5RW5jcnlwdGlvbkNvbmZpZ1Zhcg==",
];

fn formats() -> Vec<String> {
    let help = String::from_utf8(rampart(&["scan", "--help"]).stdout).unwrap();
    let section = help.split("-o, --output").nth(1).unwrap();
    let section = section.split("--fail-on").next().unwrap();
    section
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .map(|l| l.split(':').next().unwrap().trim().to_string())
        .collect()
}

#[test]
fn no_secret_value_reaches_any_output_format() {
    let formats = formats();
    for expected in ["text", "json", "sarif", "junit", "policyreport", "html"] {
        assert!(
            formats.iter().any(|f| f == expected),
            "{expected} missing from {formats:?}"
        );
    }
    for format in &formats {
        let out = rampart(&[
            "scan",
            "crates/rampart/tests/canary/secrets.yaml",
            "-o",
            format,
            "--fail-on",
            "none",
        ]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for code in ["SEC001", "SEC004", "SEC005"] {
            assert!(
                all.contains(code),
                "{format}: {code} must fire on the canary file"
            );
        }
        if format == "text" || format == "html" {
            // These show code frames: the secret lines are there, masked.
            assert!(all.contains("«redacted»"), "{format}: no masked line shown");
        }
        for canary in CANARIES {
            assert!(
                !all.contains(canary),
                "{format} output leaks a canary value"
            );
            assert!(
                !all.contains(&canary[..8]),
                "{format} output leaks a canary prefix"
            );
        }
    }
}

#[test]
fn baselines_hold_fingerprints_not_values() {
    let tmp = tempfile::tempdir().unwrap();
    let baseline = tmp.path().join("baseline.json");
    let out = rampart(&[
        "scan",
        "crates/rampart/tests/canary/secrets.yaml",
        "--write-baseline",
        baseline.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert!(text.contains("SEC001"), "{text}");
    for canary in CANARIES {
        assert!(!text.contains(&canary[..8]), "the baseline leaks a canary");
    }
}
