//! The registry's promises: stable unique codes, names that read as "allow <name>",
//! complete docs for every rule.

use std::collections::BTreeSet;

use rampart_rules::{Practice, RULES, registry};

#[test]
fn codes_are_unique_and_well_formed() {
    let mut seen = BTreeSet::new();
    for r in RULES {
        assert!(seen.insert(r.code), "duplicate code {}", r.code);
        let digits = r
            .code
            .strip_prefix(r.practice.prefix())
            .unwrap_or_else(|| panic!("{}: wrong prefix", r.code));
        assert!(
            digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit()),
            "{}",
            r.code
        );
        assert_eq!(registry::find(r.code).map(|m| m.code), Some(r.code));
        assert_eq!(registry::find(r.name).map(|m| m.code), Some(r.code));
    }
}

/// Renumbering or removing a code must show up here in review.
#[test]
fn code_list_is_stable() {
    let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
    assert_eq!(
        codes,
        [
            "RBAC001", "RBAC002", "RBAC003", "RBAC004", "RBAC005", "RBAC006", "RBAC007", "RBAC008",
            "RBAC009", "RBAC010", "RBAC011", "RBAC012", "RBAC013", "RBAC014", "RBAC015", "RBAC016",
            "RBAC017", "RBAC018", "RBAC019", "RBAC020", "SEC001", "SEC002", "SEC003", "SEC004",
            "SEC005", "SEC006", "SEC007", "SEC008", "SEC009", "SEC010", "NET001", "NET002",
            "NET003", "NET004", "NET005", "NET006", "NET007", "NET008", "NET009", "NET010",
            "NET011", "NET012", "POD001", "POD002", "POD003", "POD004", "POD005", "POD006",
            "POD007", "POD008", "POD009", "POD010", "POD011", "POD012", "POD013", "POD014",
            "POD015", "POD016", "POD017", "POD018", "POD019", "POD020", "POD021", "POD022",
            "POD023", "POD024", "POD025", "POD026", "POD027", "POD028", "POD029", "POD030",
            "POD031", "POD032", "POD033", "UPD001", "UPD002", "UPD003", "UPD004", "UPD005",
            "UPD006", "UPD007", "UPD008", "UPD009", "UPD010", "UPD011", "UPD012", "UPD013",
            "UPD014", "UPD015", "UPD016", "UPD017", "AUD001", "AUD002", "AUD003", "AUD004",
            "AUD005", "AUD006", "AUD007", "AUD008"
        ]
    );
}

#[test]
fn names_follow_the_convention() {
    let mut seen = BTreeSet::new();
    for r in RULES {
        assert!(seen.insert(r.name), "duplicate name {}", r.name);
        assert!(
            r.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{}",
            r.name
        );
        for bad in ["avoid-", "use-", "prefer-", "do-not-", "no-"] {
            assert!(
                !r.name.starts_with(bad),
                "{}: reads badly as `allow {}`",
                r.name,
                r.name
            );
        }
        assert!(!r.name.ends_with("-used"), "{}", r.name);
    }
}

#[test]
fn every_rule_has_complete_docs() {
    for r in RULES {
        for section in [
            "What it does",
            "Why is this bad?",
            "Example",
            "Remediation",
            "References",
        ] {
            let text = r.section(section).unwrap_or_default();
            assert!(
                !text.is_empty(),
                "{}: missing or empty `## {section}`",
                r.code
            );
        }
        assert!(
            r.section("References")
                .unwrap_or_default()
                .contains("https://"),
            "{}: no reference link",
            r.code
        );
        assert!(!r.summary().is_empty());
    }
}

#[test]
fn every_practice_has_a_rule() {
    for p in Practice::ALL {
        assert!(RULES.iter().any(|r| r.practice == p), "{p:?} has no rule");
    }
}
