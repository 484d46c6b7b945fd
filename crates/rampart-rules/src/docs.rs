//! Rule documentation generated from the registry: the README's rule table and one
//! Markdown page per rule (`docs/rules/CODE.md`). Tests keep both in sync.

use std::fmt::Write as _;

use crate::registry::RULES;
use crate::rule::RuleMeta;

/// The rule table, as Markdown.
pub fn rules_table() -> String {
    let mut out = String::from(
        "| code | name | practice | severity | what it finds |\n| --- | --- | --- | --- | --- |\n",
    );
    for r in RULES {
        let _ = writeln!(
            out,
            "| [{code}](docs/rules/{code}.md) | `{}` | {} | {} | {} |",
            r.name,
            r.practice.title(),
            r.severity,
            r.summary().replace('|', "\\|").replace('\n', " "),
            code = r.code,
        );
    }
    out
}

/// One rule's page.
pub fn rule_page(rule: &RuleMeta) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} `{}`\n", rule.code, rule.name);
    let _ = writeln!(
        out,
        "- practice: {}\n- default severity: {}\n- since: {}\n",
        rule.practice.title(),
        rule.severity,
        since(rule)
    );
    out.push_str(&rule.markdown());
    let _ = writeln!(
        out,
        "\n<!-- generated from {} by `cargo test -p rampart`; do not edit -->",
        rule.location.split("#L").next().unwrap_or(rule.location)
    );
    out
}

fn since(rule: &RuleMeta) -> &'static str {
    match rule.status {
        crate::rule::RuleStatus::Stable { since }
        | crate::rule::RuleStatus::Preview { since }
        | crate::rule::RuleStatus::Removed { since } => since,
    }
}
