//! JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure DevOps,
//! GitHub test-report actions).
//!
//! One `<testsuite>` per practice, in [`Practice::ALL`] order. Each rule that ran is a
//! test: it fails once per object it found something in (one `<testcase>` per rule and
//! object, its `<failure>` listing every finding with file and line), and passes as one
//! `<testcase>` when it found nothing, so a suite's counts say how many checks held.
//! Input errors (files that could not be read or parsed) are `<error>`s of an extra
//! `input` suite, written only when there are some.
//!
//! The output validates against both schemas CI tools are built to: the strict Ant
//! schema (windyroad `JUnit.xsd`: `timestamp`, `hostname`, `id`, `package`, `time`, and
//! `properties`, `system-out` and `system-err` in that order) and the permissive
//! Jenkins xUnit `junit-10.xsd`. That is why `<testsuites>` carries no attributes: the
//! Ant schema allows none; every `<testsuite>` has its own counts.
//!
//! Manifest text is hostile: every name and message is escaped, and characters XML 1.0
//! cannot carry (control characters other than tab, newline and carriage return, and
//! U+FFFE/U+FFFF) become U+FFFD.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};

use rampart_model::{InputLevel, ObjectRef, Pos};
use rampart_rules::{Finding, Practice, RuleMeta, Severity};

use crate::{Report, Timestamp, object_label};

/// Options for the JUnit format.
#[derive(Clone, Copy, Debug)]
pub struct JunitOptions<'a> {
    /// The rules that ran, in registry order: each one that found nothing is a passing
    /// test case.
    pub rules: &'a [&'static RuleMeta],
    /// When the scan ran (written without a zone, in UTC).
    pub timestamp: Timestamp,
    /// The machine it ran on (`localhost` when unknown).
    pub hostname: &'a str,
}

/// Findings of one rule in one object: one test case.
struct Group<'a> {
    rule: &'static RuleMeta,
    object: &'a ObjectRef,
    findings: Vec<&'a Finding>,
}

impl Group<'_> {
    fn severity(&self) -> Severity {
        self.findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(self.rule.severity)
    }
}

/// Writes the report as JUnit XML.
pub fn write(
    report: &Report<'_>,
    options: JunitOptions<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    // Group findings by rule and object, keeping the order of first appearance.
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut index: HashMap<(&str, &ObjectRef), usize> = HashMap::new();
    for f in report.findings {
        let n = *index.entry((f.rule.code, &f.object)).or_insert_with(|| {
            groups.push(Group {
                rule: f.rule,
                object: &f.object,
                findings: Vec::new(),
            });
            groups.len() - 1
        });
        if let Some(g) = groups.get_mut(n) {
            g.findings.push(f);
        }
    }
    let mut by_rule: HashMap<&str, Vec<usize>> = HashMap::new();
    for (n, g) in groups.iter().enumerate() {
        by_rule.entry(g.rule.code).or_default().push(n);
    }
    // The rules that ran, then any rule with findings that the caller did not list.
    let mut rules: Vec<&'static RuleMeta> = options.rules.to_vec();
    for g in &groups {
        if !rules.iter().any(|r| r.code == g.rule.code) {
            rules.push(g.rule);
        }
    }

    let timestamp = options.timestamp.iso8601();
    let hostname = if options.hostname.trim().is_empty() {
        "localhost"
    } else {
        options.hostname
    };
    let mut remediations: HashMap<&str, String> = HashMap::new();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, "<testsuites>")?;
    let mut id = 0;
    for practice in Practice::ALL {
        let practice_rules: Vec<&'static RuleMeta> = rules
            .iter()
            .copied()
            .filter(|r| r.practice == practice)
            .collect();
        let failures: usize = practice_rules
            .iter()
            .map(|r| by_rule.get(r.code).map_or(0, Vec::len))
            .sum();
        let passes = practice_rules
            .iter()
            .filter(|r| !by_rule.contains_key(r.code))
            .count();
        writeln!(
            out,
            r#"  <testsuite name="{}" package="rampart.{}" id="{id}" tests="{}" failures="{failures}" errors="0" skipped="0" time="0" timestamp="{timestamp}" hostname="{}">"#,
            Attr(practice.title()),
            practice.slug(),
            failures + passes,
            Attr(hostname),
        )?;
        id += 1;
        properties(out, Some(practice))?;
        for rule in practice_rules {
            let Some(list) = by_rule.get(rule.code) else {
                writeln!(
                    out,
                    r#"    <testcase name="{} {}" classname="{}" time="0"/>"#,
                    rule.code,
                    Attr(rule.name),
                    Classname(rule),
                )?;
                continue;
            };
            for g in list.iter().filter_map(|n| groups.get(*n)) {
                let remediation = remediations
                    .entry(rule.code)
                    .or_insert_with(|| rule.remediation());
                failing_case(report, g, remediation, out)?;
            }
        }
        writeln!(out, "    <system-out/>\n    <system-err/>\n  </testsuite>")?;
    }
    input_suite(report, id, &timestamp, hostname, out)?;
    writeln!(out, "</testsuites>")
}

fn properties(out: &mut dyn Write, practice: Option<Practice>) -> io::Result<()> {
    writeln!(out, "    <properties>")?;
    writeln!(
        out,
        r#"      <property name="rampart.version" value="{}"/>"#,
        env!("CARGO_PKG_VERSION")
    )?;
    if let Some(p) = practice {
        writeln!(
            out,
            r#"      <property name="rampart.practice" value="{}"/>"#,
            p.prefix()
        )?;
    }
    writeln!(out, "    </properties>")
}

fn failing_case(
    report: &Report<'_>,
    g: &Group<'_>,
    remediation: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    let files = &report.inventory.files;
    let first = g.findings.first().map_or("", |f| &*f.message);
    let message = match g.findings.len() {
        0 | 1 => first.to_string(),
        n => format!("{first} (and {} more)", n - 1),
    };
    writeln!(
        out,
        r#"    <testcase name="{} {}: {}" classname="{}" time="0">"#,
        g.rule.code,
        Attr(g.rule.name),
        Attr(&object_label(g.object)),
        Classname(g.rule),
    )?;
    write!(
        out,
        r#"      <failure message="{}" type="{}">"#,
        Attr(&message),
        g.severity()
    )?;
    for f in &g.findings {
        let file = f.file.map_or("(no file)", |id| files.name(id));
        writeln!(
            out,
            "{}{}: {} {} {}",
            Text(file),
            position(f.pos),
            f.severity,
            f.rule.code,
            Text(&f.message)
        )?;
        if !f.field_path.is_empty() {
            writeln!(out, "  field: {}", Text(&f.field_path))?;
        }
        if let Some(e) = &f.evidence {
            writeln!(out, "  evidence: {} (value redacted)", Text(&e.describe()))?;
        }
        if let Some(help) = &f.help {
            writeln!(out, "  help: {}", Text(help))?;
        }
    }
    writeln!(out, "remediation: {}", Text(remediation))?;
    write!(out, "docs: {}", Text(&g.rule.docs_url()))?;
    writeln!(out, "</failure>\n    </testcase>")
}

fn input_suite(
    report: &Report<'_>,
    id: usize,
    timestamp: &str,
    hostname: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    let errors: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.level == InputLevel::Error)
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        r#"  <testsuite name="input" package="rampart.input" id="{id}" tests="{n}" failures="0" errors="{n}" skipped="0" time="0" timestamp="{timestamp}" hostname="{}">"#,
        Attr(hostname),
        n = errors.len(),
    )?;
    properties(out, None)?;
    for d in errors {
        let at = format!("{}{}", d.path, position(Pos::new(d.pos.line, d.pos.column)));
        writeln!(
            out,
            r#"    <testcase name="{}" classname="rampart.input" time="0">"#,
            Attr(&at)
        )?;
        writeln!(
            out,
            r#"      <error message="{}" type="input-error">{}: {}</error>"#,
            Attr(&d.message),
            Text(&at),
            Text(&d.message)
        )?;
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "    <system-out/>\n    <system-err/>\n  </testsuite>")
}

/// `:12:5`, `:12`, or nothing.
fn position(pos: Pos) -> String {
    match (pos.line, pos.col) {
        (0, _) => String::new(),
        (l, 0) => format!(":{l}"),
        (l, c) => format!(":{l}:{c}"),
    }
}

/// `rampart.pod-security.POD001`: CI tools show the part before the last dot as the
/// package and the rest as the class.
struct Classname(&'static RuleMeta);

impl fmt::Display for Classname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rampart.{}.{}",
            self.0.practice.slug(),
            Attr(self.0.code)
        )
    }
}

/// A character XML 1.0 can carry, or U+FFFD.
fn xml_char(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' => c,
        '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
        _ => c,
    }
}

/// Text escaped for a double-quoted attribute value. Tabs and line breaks become
/// character references, which attribute-value normalisation keeps.
struct Attr<'a>(&'a str);

impl fmt::Display for Attr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        escape(self.0, true, f)
    }
}

/// Text escaped for element content. `>` is escaped too, so `]]>` cannot appear.
struct Text<'a>(&'a str);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        escape(self.0, false, f)
    }
}

fn escape(s: &str, attribute: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let replacement = match xml_char(c) {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' if attribute => "&quot;",
            '\t' if attribute => "&#9;",
            '\n' if attribute => "&#10;",
            // A parser turns a literal CR into LF; the reference survives.
            '\r' => "&#13;",
            '\u{fffd}' if c != '\u{fffd}' => "\u{fffd}",
            _ => continue,
        };
        f.write_str(s.get(start..i).unwrap_or(""))?;
        f.write_str(replacement)?;
        start = i + c.len_utf8();
    }
    f.write_str(s.get(start..).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped() {
        let s = "a<b>&\"c\" ]]> \u{0}\u{1b}[31m \u{fffe}\ttab\r\nline";
        assert_eq!(
            Attr(s).to_string(),
            "a&lt;b&gt;&amp;&quot;c&quot; ]]&gt; \u{fffd}\u{fffd}[31m \u{fffd}&#9;tab&#13;&#10;line"
        );
        assert_eq!(
            Text(s).to_string(),
            "a&lt;b&gt;&amp;\"c\" ]]&gt; \u{fffd}\u{fffd}[31m \u{fffd}\ttab&#13;\nline"
        );
        assert_eq!(Text("plain ünïcode").to_string(), "plain ünïcode");
    }
}
