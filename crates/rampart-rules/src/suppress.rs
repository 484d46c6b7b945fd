//! Suppressions: findings kept out of a report on purpose, each with a reason and,
//! optionally, a date after which it stops suppressing.
//!
//! They come from two places: the `rampart.dev/suppress` annotation on an object or
//! its pod template ([`from_annotation`]) and the `exceptions` list of `rampart.yaml`
//! ([`crate::config`]). An expired suppression no longer hides its findings: they are
//! reported again, marked with the suppression that expired.

use std::fmt;

use rampart_model::{FileId, ObjectRef, Pos};

use crate::engine::matches;
use crate::registry::RULES;
use crate::rule::RuleMeta;

/// The annotation that suppresses findings with a reason and an expiry date:
/// `rampart.dev/suppress: '[{"rules": "POD001", "reason": "…", "expires": "2027-03-31"}]'`.
pub const SUPPRESS_ANNOTATION: &str = "rampart.dev/suppress";

/// A calendar date, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The earliest date: a run that does not know what day it is lets nothing expire.
    pub const MIN: Date = Date {
        year: 0,
        month: 1,
        day: 1,
    };

    /// Parses `YYYY-MM-DD` (a real date of the Gregorian calendar).
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some()
            || y.len() != 4
            || m.len() != 2
            || d.len() != 2
            || ![y, m, d]
                .iter()
                .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let (year, month, day) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days)
            .contains(&day)
            .then_some(Date { year, month, day })
    }
}

impl Default for Date {
    fn default() -> Self {
        Date::MIN
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A shell-style pattern: `*` matches any run of characters but `/`, `**` any run at
/// all, `?` one character but `/`; everything else matches itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob(String);

impl Glob {
    /// A pattern.
    pub fn new(pattern: impl Into<String>) -> Self {
        Glob(pattern.into())
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        if !self.0.contains(['*', '?']) {
            return self.0 == text;
        }
        let text: Vec<char> = text.chars().collect();
        glob_match(&tokens(&self.0), &text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Lit(char),
    /// `?`
    One,
    /// `*`
    Star,
    /// `**` not followed by `/`
    Any,
    /// `**/` at the start or after `/`: no directory, or any directories
    Dirs,
}

fn tokens(pattern: &str) -> Vec<Token> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let at_segment_start = i == 0 || chars.get(i - 1) == Some(&'/');
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                if at_segment_start && chars.get(i + 2) == Some(&'/') {
                    out.push(Token::Dirs);
                    i += 3;
                } else {
                    out.push(Token::Any);
                    i += 2;
                }
            }
            '*' => {
                out.push(Token::Star);
                i += 1;
            }
            '?' => {
                out.push(Token::One);
                i += 1;
            }
            c => {
                out.push(Token::Lit(c));
                i += 1;
            }
        }
    }
    out
}

/// Dynamic programming over (token, character) from the ends backwards: quadratic in
/// the worst case on short strings, never recursive, never exponential.
fn glob_match(pattern: &[Token], text: &[char]) -> bool {
    let m = text.len();
    // `next[j]`: tokens after the current one match `t[j..]`.
    let mut next: Vec<bool> = (0..=m).map(|j| j == m).collect();
    for token in pattern.iter().rev() {
        let mut cur = vec![false; m + 1];
        // For `Dirs`: some `/` at or after j is followed by a match.
        let mut slash_then_match = false;
        for j in (0..=m).rev() {
            let c = text.get(j).copied();
            let after = |k: usize| next.get(k).copied().unwrap_or(false);
            let here = match token {
                Token::Lit(l) => c == Some(*l) && after(j + 1),
                Token::One => c.is_some_and(|c| c != '/') && after(j + 1),
                Token::Star => {
                    after(j)
                        || (c.is_some_and(|c| c != '/') && cur.get(j + 1).copied().unwrap_or(false))
                }
                Token::Any => after(j) || (c.is_some() && cur.get(j + 1).copied().unwrap_or(false)),
                Token::Dirs => {
                    if c == Some('/') && after(j + 1) {
                        slash_then_match = true;
                    }
                    after(j) || slash_then_match
                }
            };
            if let Some(slot) = cur.get_mut(j) {
                *slot = here;
            }
        }
        next = cur;
    }
    next.first().copied().unwrap_or(false)
}

/// Where a suppression was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    /// The file's display name.
    pub path: String,
    /// The file, when it is one of the scan's inputs (an annotation).
    pub file: Option<FileId>,
    /// Where in it.
    pub pos: Pos,
}

impl fmt::Display for Declared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pos.is_known() {
            write!(f, "{}:{}", self.path, self.pos)
        } else {
            f.write_str(&self.path)
        }
    }
}

/// One `Kind/namespace/name` (or `Kind/name`) selector of an exception; each part a glob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectPattern {
    /// The kind (`Deployment`, `*`).
    pub kind: Glob,
    /// The namespace; `None` for a cluster-scoped object (`Kind/name`).
    pub namespace: Option<Glob>,
    /// The name.
    pub name: Glob,
}

impl ObjectPattern {
    /// Parses `Kind/name` or `Kind/namespace/name`.
    pub fn parse(text: &str) -> Option<Self> {
        let parts: Vec<&str> = text.split('/').map(str::trim).collect();
        let nonempty = |s: &&str| !s.is_empty();
        match parts.as_slice() {
            [kind, name] if [kind, name].iter().all(|s| nonempty(s)) => Some(ObjectPattern {
                kind: Glob::new(*kind),
                namespace: None,
                name: Glob::new(*name),
            }),
            [kind, ns, name] if [kind, ns, name].iter().all(|s| nonempty(s)) => {
                Some(ObjectPattern {
                    kind: Glob::new(*kind),
                    namespace: Some(Glob::new(*ns)),
                    name: Glob::new(*name),
                })
            }
            _ => None,
        }
    }

    fn matches(&self, object: &ObjectRef) -> bool {
        self.kind.matches(&object.kind)
            && self.name.matches(&object.name)
            && match (&self.namespace, &object.namespace) {
                (None, None) => true,
                (Some(p), Some(ns)) => p.matches(ns),
                _ => false,
            }
    }
}

/// Which objects an exception of `rampart.yaml` covers; every selector given must match
/// (none given: every object).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    /// Kinds, any of which matches.
    pub kinds: Vec<Glob>,
    /// Namespaces, any of which matches.
    pub namespaces: Vec<Glob>,
    /// Names, any of which matches.
    pub names: Vec<Glob>,
    /// Whole object references, any of which matches.
    pub objects: Vec<ObjectPattern>,
}

impl Selector {
    /// Whether the object is covered.
    pub fn matches(&self, object: &ObjectRef) -> bool {
        let any =
            |globs: &[Glob], text: &str| globs.is_empty() || globs.iter().any(|g| g.matches(text));
        any(&self.kinds, &object.kind)
            && (self.namespaces.is_empty()
                || object
                    .namespace
                    .as_deref()
                    .is_some_and(|ns| any(&self.namespaces, ns)))
            && any(&self.names, &object.name)
            && (self.objects.is_empty() || self.objects.iter().any(|o| o.matches(object)))
    }
}

/// A suppression with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// Rule patterns: codes, prefixes, names, `ALL`.
    pub rules: Vec<String>,
    /// Which objects (annotations: the annotated object only, so the default).
    pub selector: Selector,
    /// Why.
    pub reason: String,
    /// The last day it suppresses.
    pub expires: Option<Date>,
    /// Where it was written.
    pub declared: Declared,
}

impl Suppression {
    /// Whether it covers a rule.
    pub fn covers(&self, rule: &RuleMeta) -> bool {
        self.rules.iter().any(|p| matches(p, rule))
    }

    /// Whether it has expired by `today` (it suppresses through its `expires` day).
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|e| e < today)
    }
}

/// What an expired suppression left on the finding it no longer suppresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expired {
    /// Its reason.
    pub reason: String,
    /// The last day it suppressed.
    pub expires: Date,
    /// Where it was written.
    pub declared: Declared,
}

/// A problem with a suppression, at its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

/// Rule patterns that name no rule.
pub(crate) fn unknown_rules(patterns: &[String]) -> Vec<&str> {
    patterns
        .iter()
        .map(String::as_str)
        .filter(|p| !RULES.iter().any(|r| matches(p, r)))
        .collect()
}

/// Reads the value of a `rampart.dev/suppress` annotation: a JSON list of
/// `{"rules", "reason", "expires"}` objects, or one such object. `rules` is a list of
/// patterns or one comma-separated string. Entries with problems are left out and
/// reported; the others still count.
pub fn from_annotation(value: &str, declared: &Declared) -> (Vec<Suppression>, Vec<Problem>) {
    let at = |message: String| Problem {
        pos: declared.pos,
        message: format!("`{SUPPRESS_ANNOTATION}` annotation: {message}"),
    };
    let parsed: serde_json::Value = match serde_json::from_str(value) {
        Ok(v) => v,
        Err(e) => {
            return (
                Vec::new(),
                vec![at(format!(
                    "not JSON ({e}); write a list like [{{\"rules\": \"POD001\", \"reason\": \"…\", \"expires\": \"2027-03-31\"}}]"
                ))],
            );
        }
    };
    let entries = match parsed {
        serde_json::Value::Array(items) => items,
        v @ serde_json::Value::Object(_) => vec![v],
        other => {
            return (
                Vec::new(),
                vec![at(format!(
                    "expected a list of suppressions, found {}",
                    json_type(&other)
                ))],
            );
        }
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let many = entries.len() > 1;
    for (i, entry) in entries.iter().enumerate() {
        let which = if many {
            format!("entry {}: ", i + 1)
        } else {
            String::new()
        };
        match annotation_entry(entry) {
            Ok((rules, reason, expires)) => out.push(Suppression {
                rules,
                selector: Selector::default(),
                reason,
                expires,
                declared: declared.clone(),
            }),
            Err(message) => problems.push(at(format!("{which}{message}; it does not suppress"))),
        }
    }
    (out, problems)
}

fn annotation_entry(
    entry: &serde_json::Value,
) -> Result<(Vec<String>, String, Option<Date>), String> {
    let Some(map) = entry.as_object() else {
        return Err(format!("expected an object, found {}", json_type(entry)));
    };
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        if !["rules", "reason", "expires"].contains(&key.as_str()) {
            let hint = crate::config::did_you_mean(key, &["rules", "reason", "expires"]);
            return Err(format!("unknown key `{key}`{hint}"));
        }
    }
    let rules: Vec<String> = match map.get("rules") {
        Some(serde_json::Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(|s| s.trim().to_string())
                    .ok_or_else(|| format!("`rules` holds {}, expected strings", json_type(i)))
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(format!(
                "`rules` is {}, expected a string or a list",
                json_type(other)
            ));
        }
        None => return Err("`rules` is missing (say which rules, or `ALL`)".into()),
    };
    if rules.is_empty() {
        return Err("`rules` is empty".into());
    }
    let unknown = unknown_rules(&rules);
    if !unknown.is_empty() {
        return Err(format!("no rule matches {}", unknown.join(", ")));
    }
    let reason = match map.get("reason") {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(serde_json::Value::String(_)) | None => {
            return Err("a suppression needs a `reason`".into());
        }
        Some(other) => {
            return Err(format!(
                "`reason` is {}, expected a string",
                json_type(other)
            ));
        }
    };
    let expires = match map.get("expires") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(
            Date::parse(s)
                .ok_or_else(|| format!("`expires` is `{s}`, expected a date like 2027-03-31"))?,
        ),
        Some(other) => {
            return Err(format!(
                "`expires` is {}, expected a date like \"2027-03-31\"",
                json_type(other)
            ));
        }
    };
    Ok((rules, reason, expires))
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real_calendar_days() {
        assert_eq!(Date::parse("2027-03-31").unwrap().to_string(), "2027-03-31");
        assert!(Date::parse("2024-02-29").is_some());
        for bad in [
            "2023-02-29",
            "2027-13-01",
            "2027-04-31",
            "27-03-31",
            "2027-3-31",
            "2027-03-31x",
            "",
            "2027-03-00",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert!(Date::parse("2026-12-31") < Date::parse("2027-01-01"));
    }

    #[test]
    fn globs() {
        let g = |p: &str, t: &str| Glob::new(p).matches(t);
        assert!(g("kube-*", "kube-system"));
        assert!(!g("kube-*", "default"));
        assert!(g("*", "anything"));
        assert!(!g("*", "a/b"));
        assert!(g("vendor/**", "vendor/a/b.yaml"));
        assert!(g("**/*.yaml", "a/b/c.yaml"));
        assert!(g("**/*.yaml", "c.yaml"));
        assert!(!g("*.yaml", "a/c.yaml"));
        assert!(g("a/*/c", "a/b/c"));
        assert!(!g("a/*/c", "a/b/d/c"));
        assert!(g("a/**/c", "a/b/d/c"));
        assert!(g("a/**/c", "a/c"));
        assert!(g("te?t", "test"));
        assert!(!g("te?t", "tet"));
        assert!(g("exact", "exact"));
        assert!(!g("exact", "exactly"));
    }

    #[test]
    fn object_patterns() {
        let obj = |kind: &str, ns: Option<&str>, name: &str| ObjectRef {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: ns.map(Into::into),
            name: name.into(),
        };
        let p = ObjectPattern::parse("Deployment/shop/api-*").unwrap();
        assert!(p.matches(&obj("Deployment", Some("shop"), "api-v2")));
        assert!(!p.matches(&obj("Deployment", Some("web"), "api-v2")));
        assert!(!p.matches(&obj("Deployment", None, "api-v2")));
        let c = ObjectPattern::parse("ClusterRole/admin").unwrap();
        assert!(c.matches(&obj("ClusterRole", None, "admin")));
        assert!(ObjectPattern::parse("Deployment").is_none());
        assert!(ObjectPattern::parse("a/b/c/d").is_none());
        assert!(ObjectPattern::parse("a//c").is_none());
    }

    fn here() -> Declared {
        Declared {
            path: "x.yaml".into(),
            file: None,
            pos: Pos::new(4, 5),
        }
    }

    #[test]
    fn annotations_read_lists_and_single_objects() {
        let (s, p) = from_annotation(
            r#"[{"rules": "POD001, SEC", "reason": "legacy agent", "expires": "2027-03-31"}, {"rules": ["privileged-container"], "reason": "r"}]"#,
            &here(),
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].rules, ["POD001", "SEC"]);
        assert_eq!(s[0].expires, Date::parse("2027-03-31"));
        assert_eq!(s[1].expires, None);
        let (s, p) = from_annotation(r#"{"rules": "POD001", "reason": "r"}"#, &here());
        assert_eq!((s.len(), p.len()), (1, 0));
    }

    #[test]
    fn annotation_errors_say_what_and_where() {
        let one = |text: &str| {
            let (s, p) = from_annotation(text, &here());
            assert!(s.is_empty(), "{text}");
            assert_eq!(p.len(), 1, "{text}");
            assert_eq!(p[0].pos, Pos::new(4, 5));
            p[0].message.clone()
        };
        assert!(one(r#"[{"rules": "POD001"}]"#).contains("needs a `reason`"));
        assert!(one(r#"[{"rules": "POD001", "reason": "  "}]"#).contains("needs a `reason`"));
        assert!(one("POD001").contains("not JSON"));
        assert!(one(r#""POD001""#).contains("expected a list of suppressions, found a string"));
        assert!(one(r"[1]").contains("expected an object, found a number"));
        assert!(one(r#"[{"reason": "r"}]"#).contains("`rules` is missing"));
        assert!(one(r#"[{"rules": "", "reason": "r"}]"#).contains("`rules` is empty"));
        assert!(one(r#"[{"rules": [1], "reason": "r"}]"#).contains("`rules` holds a number"));
        assert!(one(r#"[{"rules": 1, "reason": "r"}]"#).contains("`rules` is a number"));
        assert!(one(r#"[{"rules": "POD999", "reason": "r"}]"#).contains("no rule matches POD999"));
        assert!(one(r#"[{"rules": "POD001", "reason": 3}]"#).contains("`reason` is a number"));
        assert!(
            one(r#"[{"rules": "POD001", "reason": "r", "expires": "2027-02-30"}]"#)
                .contains("`expires` is `2027-02-30`")
        );
        assert!(
            one(r#"[{"rules": "POD001", "reason": "r", "expires": 2027}]"#)
                .contains("`expires` is a number")
        );
        assert!(
            one(r#"[{"rules": "POD001", "reason": "r", "expire": "2027-01-01"}]"#)
                .contains("unknown key `expire`; did you mean `expires`?")
        );
        // One bad entry does not take the good ones with it.
        let (s, p) = from_annotation(
            r#"[{"rules": "POD001", "reason": "ok"}, {"rules": "POD002"}]"#,
            &here(),
        );
        assert_eq!((s.len(), p.len()), (1, 1));
        assert!(
            p[0].message
                .contains("entry 2: a suppression needs a `reason`")
        );
    }

    #[test]
    fn expiry_is_inclusive() {
        let (s, _) = from_annotation(
            r#"{"rules": "POD001", "reason": "r", "expires": "2027-03-31"}"#,
            &here(),
        );
        let d = |t| Date::parse(t).unwrap();
        assert!(!s[0].expired(d("2027-03-31")));
        assert!(s[0].expired(d("2027-04-01")));
        assert!(!s[0].expired(Date::MIN));
    }
}
