//! Every rule against its fixtures: `fail.yaml` must produce exactly the findings
//! marked `# expect: CODE` (by line), `pass.yaml` none at all. A `# now: YYYY-MM-DD`
//! line sets the day date-dependent rules judge on.

use std::collections::BTreeSet;
use std::path::PathBuf;

use rampart_model::{InputLevel, Inventory};
use rampart_rules::releases::{Date, Releases};
use rampart_rules::{RULES, RuleMeta, Selection, engine};

fn fixture_dir(rule: &RuleMeta) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("resources/fixtures")
        .join(rule.practice.slug())
        .join(rule.code)
}

fn findings_by_line(rule: &RuleMeta, path: &PathBuf) -> (BTreeSet<u32>, String) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let loaded = rampart_source::load_str(&path.display().to_string(), &text);
    let errors: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.level == InputLevel::Error)
        .collect();
    assert!(
        errors.is_empty(),
        "{}: fixture has input errors: {errors:?}",
        path.display()
    );
    let inventory = Inventory::new(loaded.files, loaded.objects, None);
    let selection = Selection {
        select: vec![rule.code.to_string()],
        ignore: vec![],
    };
    // Judged on the day a `# now: YYYY-MM-DD` line names, else the day the embedded
    // release data is current to, so the version rules' fixtures do not age.
    let today = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("# now:"))
        .map_or(Releases::embedded().as_of, |d| {
            Date::parse(d).unwrap_or_else(|| panic!("{}: bad `# now:`", path.display()))
        });
    let settings = rampart_rules::Settings {
        today: Some(today),
        ..rampart_rules::Settings::default()
    };
    let outcome = engine::run(&inventory, &selection, &settings);
    let lines = outcome.findings.iter().map(|f| f.pos.line).collect();
    (lines, text)
}

#[test]
fn fail_fixtures_report_exactly_the_marked_lines() {
    for rule in RULES {
        let path = fixture_dir(rule).join("fail.yaml");
        let (got, text) = findings_by_line(rule, &path);
        let marker = format!("# expect: {}", rule.code);
        let want: BTreeSet<u32> = (1u32..)
            .zip(text.lines())
            .filter(|(_, l)| l.contains(&marker))
            .map(|(n, _)| n)
            .collect();
        assert!(!want.is_empty(), "{}: no `{marker}` marks", path.display());
        assert_eq!(
            got,
            want,
            "{}: finding lines differ from the `# expect` marks",
            path.display()
        );
    }
}

#[test]
fn pass_fixtures_report_nothing() {
    for rule in RULES {
        let path = fixture_dir(rule).join("pass.yaml");
        let (got, _) = findings_by_line(rule, &path);
        assert!(
            got.is_empty(),
            "{}: unexpected findings on lines {got:?}",
            path.display()
        );
    }
}
