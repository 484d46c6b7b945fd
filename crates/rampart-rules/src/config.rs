//! `rampart.yaml`: the project's settings, read from a spanned tree so that every
//! problem points at its line and column.
//!
//! The file is read in two steps, as cargo-deny reads its config: the loader turns text
//! into a [`Node`] tree with positions (`rampart_source::parse_tree`), then [`parse`]
//! validates it into a [`Config`], collecting every problem instead of stopping at the
//! first. Unknown keys are errors (with a "did you mean" when one is close), and so are
//! values of the wrong type and rule patterns that match no rule.
//!
//! ```yaml
//! version: 1
//! rules: {select: [POD, RBAC], ignore: [POD019]}
//! severity: {POD010: low, privileged-container: critical}
//! exclude: {paths: ["vendor/**"], namespaces: ["kube-*"]}
//! pss: {level: baseline, version: v1.31}
//! rbac: {builtinRoles: true}
//! exceptions:
//!   - rules: [POD001]
//!     kind: DaemonSet
//!     namespace: monitoring
//!     name: node-exporter
//!     reason: needs the host network, ticket OPS-12
//!     expires: 2027-03-31
//! ```

use rampart_model::{Node, Pos, Value};

use crate::engine::matches;
use crate::pss::{Level, Version};
use crate::registry::RULES;
use crate::rule::Severity;
use crate::suppress::{Date, Declared, Glob, ObjectPattern, Selector, Suppression};

/// The config versions this Rampart reads.
pub const VERSION: i64 = 1;

/// The names Rampart looks for, in each directory from the scanned path up to the root.
pub const FILE_NAMES: [&str; 2] = ["rampart.yaml", ".rampart.yaml"];

/// A validated `rampart.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// `rules.select`: only these rules (all when empty).
    pub select: Vec<String>,
    /// `rules.ignore`: never these rules.
    pub ignore: Vec<String>,
    /// `severity`: rule pattern to severity, in file order.
    pub severity: Vec<(String, Severity)>,
    /// `exclude.paths`: globs relative to the config file's directory.
    pub exclude_paths: Vec<Glob>,
    /// `exclude.namespaces`: names or globs.
    pub exclude_namespaces: Vec<Glob>,
    /// `pss.level`.
    pub pss_level: Option<Level>,
    /// `pss.version`.
    pub pss_version: Option<Version>,
    /// `rbac.builtinRoles`.
    pub builtin_rbac: Option<bool>,
    /// `exceptions`.
    pub exceptions: Vec<Suppression>,
}

/// A problem in the config, at its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Where (line 0 when the file as a whole is wrong).
    pub pos: Pos,
    /// What is wrong: lowercase, no trailing period.
    pub message: String,
}

impl Config {
    /// Whether a path (relative to the config file's directory, `/`-separated) is
    /// excluded: a pattern matches the path itself or one of its parent directories, so
    /// `vendor` and `vendor/**` both exclude everything under `vendor/`.
    pub fn excludes_path(&self, relative: &str) -> bool {
        let relative = relative.trim_start_matches("./");
        self.exclude_paths.iter().any(|g| {
            let g = Glob::new(g.as_str().trim_start_matches("./").trim_end_matches('/'));
            g.matches(relative)
                || relative
                    .match_indices('/')
                    .any(|(i, _)| relative.get(..i).is_some_and(|dir| g.matches(dir)))
        })
    }

    /// Whether a namespace is excluded.
    pub fn excludes_namespace(&self, namespace: &str) -> bool {
        self.exclude_namespaces.iter().any(|g| g.matches(namespace))
    }
}

/// `; did you mean `x`?` when a candidate is close to `word`, else nothing.
pub fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let diag = prev;
            prev = row.get(j + 1).copied().unwrap_or(0);
            let left = row.get(j).copied().unwrap_or(0);
            let value = (diag + usize::from(ca != *cb)).min(prev + 1).min(left + 1);
            if let Some(slot) = row.get_mut(j + 1) {
                *slot = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

/// Validates the root of a `rampart.yaml` (`None` for an empty file, which is an empty
/// config). `path` names the file in exceptions' [`Declared`] places.
pub fn parse(root: Option<&Node>, path: &str) -> Result<Config, Vec<ConfigError>> {
    let mut p = Parser {
        errors: Vec::new(),
        path,
    };
    let config = match root {
        None => Config::default(),
        Some(root) if root.is_null() => Config::default(),
        Some(root) => p.config(root),
    };
    if p.errors.is_empty() {
        Ok(config)
    } else {
        p.errors.sort_by_key(|e| e.pos);
        Err(p.errors)
    }
}

struct Parser<'p> {
    errors: Vec<ConfigError>,
    path: &'p str,
}

const TOP: [&str; 7] = [
    "version",
    "rules",
    "severity",
    "exclude",
    "pss",
    "rbac",
    "exceptions",
];
const EXCEPTION_KEYS: [&str; 8] = [
    "rules",
    "kind",
    "namespace",
    "name",
    "objects",
    "reason",
    "expires",
    "description",
];

impl Parser<'_> {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors.push(ConfigError {
            pos,
            message: message.into(),
        });
    }

    fn config(&mut self, root: &Node) -> Config {
        let mut config = Config::default();
        let Some(map) = self.map(root, "the config", &TOP) else {
            return config;
        };
        match map.entry("version") {
            None => self.error(
                root.pos,
                format!("`version` is missing; this Rampart reads `version: {VERSION}`"),
            ),
            Some(e) => match e.value.as_i64() {
                Some(VERSION) => {}
                Some(v) => self.error(
                    e.value.pos,
                    format!(
                        "config version {v} is not supported; this Rampart reads `version: {VERSION}`"
                    ),
                ),
                None => self.error(
                    e.value.pos,
                    format!("`version` is {}, expected the number {VERSION}", e.value.type_name()),
                ),
            },
        }
        if let Some(rules) = map.get("rules")
            && let Some(m) = self.map(rules, "`rules`", &["select", "ignore"])
        {
            if let Some(n) = m.get("select") {
                config.select = self.rule_list(n, "`rules.select`");
            }
            if let Some(n) = m.get("ignore") {
                config.ignore = self.rule_list(n, "`rules.ignore`");
            }
        }
        if let Some(sev) = map.get("severity") {
            config.severity = self.severities(sev);
        }
        if let Some(ex) = map.get("exclude")
            && let Some(m) = self.map(ex, "`exclude`", &["paths", "namespaces"])
        {
            if let Some(n) = m.get("paths") {
                config.exclude_paths = self.globs(n, "`exclude.paths`");
            }
            if let Some(n) = m.get("namespaces") {
                config.exclude_namespaces = self.globs(n, "`exclude.namespaces`");
            }
        }
        if let Some(pss) = map.get("pss")
            && let Some(m) = self.map(pss, "`pss`", &["level", "version"])
        {
            if let Some(n) = m.get("level")
                && let Some(s) = self.string(n, "`pss.level`")
            {
                config.pss_level = Level::parse(&s);
                if config.pss_level.is_none() {
                    let hint = did_you_mean(&s, &["privileged", "baseline", "restricted"]);
                    self.error(
                        n.pos,
                        format!(
                            "`pss.level` is `{s}`, expected privileged, baseline or restricted{hint}"
                        ),
                    );
                }
            }
            if let Some(n) = m.get("version")
                && let Some(s) = self.string(n, "`pss.version`")
            {
                config.pss_version = Version::parse(&s);
                if config.pss_version.is_none() {
                    self.error(
                        n.pos,
                        format!("`pss.version` is `{s}`, expected `latest` or `v1.N`"),
                    );
                }
            }
        }
        if let Some(rbac) = map.get("rbac")
            && let Some(m) = self.map(rbac, "`rbac`", &["builtinRoles"])
            && let Some(n) = m.get("builtinRoles")
        {
            config.builtin_rbac = n.as_bool();
            if config.builtin_rbac.is_none() {
                self.error(
                    n.pos,
                    format!(
                        "`rbac.builtinRoles` is {}, expected true or false",
                        n.type_name()
                    ),
                );
            }
        }
        if let Some(ex) = map.get("exceptions") {
            match ex.as_seq() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(s) = self.exception(item, i) {
                            config.exceptions.push(s);
                        }
                    }
                }
                None if ex.is_null() => {}
                None => self.error(
                    ex.pos,
                    format!("`exceptions` is {}, expected a list", ex.type_name()),
                ),
            }
        }
        config
    }

    /// The node as a map whose keys are all among `allowed`.
    fn map<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
    ) -> Option<&'n rampart_model::Map> {
        let Some(map) = node.as_map() else {
            if !node.is_null() {
                self.error(
                    node.pos,
                    format!("{what} is {}, expected a map", node.type_name()),
                );
            }
            return None;
        };
        for e in map {
            if !allowed.contains(&&*e.key) {
                let hint = did_you_mean(&e.key, allowed);
                let hint = if hint.is_empty() {
                    format!(" (expected one of: {})", allowed.join(", "))
                } else {
                    hint
                };
                self.error(
                    e.key_pos,
                    format!("unknown key `{}` in {what}{hint}", e.key),
                );
            }
        }
        Some(map)
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        if let Some(s) = node.as_str() {
            return Some(s.to_string());
        }
        self.error(
            node.pos,
            format!("{what} is {}, expected a string", node.type_name()),
        );
        None
    }

    /// A list of strings, or one string (comma-separated, as on the command line).
    fn strings(&mut self, node: &Node, what: &str) -> Vec<(String, Pos)> {
        match &node.value {
            Value::Null => Vec::new(),
            Value::Str(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| (s.to_string(), node.pos))
                .collect(),
            Value::Seq(items) => items
                .iter()
                .filter_map(|i| {
                    let s = i.scalar_string().filter(|_| i.as_str().is_some());
                    if s.is_none() {
                        self.error(
                            i.pos,
                            format!("{what} holds {}, expected strings", i.type_name()),
                        );
                    }
                    s.map(|s| (s.trim().to_string(), i.pos))
                })
                .collect(),
            _ => {
                self.error(
                    node.pos,
                    format!("{what} is {}, expected a list of strings", node.type_name()),
                );
                Vec::new()
            }
        }
    }

    fn rule_list(&mut self, node: &Node, what: &str) -> Vec<String> {
        let items = self.strings(node, what);
        items
            .into_iter()
            .filter(|(p, pos)| self.check_rule(p, *pos, what))
            .map(|(p, _)| p)
            .collect()
    }

    fn check_rule(&mut self, pattern: &str, pos: Pos, what: &str) -> bool {
        if RULES.iter().any(|r| matches(pattern, r)) {
            return true;
        }
        let names: Vec<&str> = RULES.iter().flat_map(|r| [r.code, r.name]).collect();
        let hint = did_you_mean(pattern, &names);
        self.error(
            pos,
            format!("no rule matches `{pattern}` in {what}{hint} (`rampart rules` lists them)"),
        );
        false
    }

    fn globs(&mut self, node: &Node, what: &str) -> Vec<Glob> {
        self.strings(node, what)
            .into_iter()
            .filter(|(s, pos)| {
                if s.is_empty() {
                    self.error(*pos, format!("{what} holds an empty pattern"));
                }
                !s.is_empty()
            })
            .map(|(s, _)| Glob::new(s))
            .collect()
    }

    fn severities(&mut self, node: &Node) -> Vec<(String, Severity)> {
        let Some(map) = node.as_map() else {
            if !node.is_null() {
                self.error(
                    node.pos,
                    format!(
                        "`severity` is {}, expected a map of rule to severity",
                        node.type_name()
                    ),
                );
            }
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in map {
            let known = self.check_rule(&e.key, e.key_pos, "`severity`");
            let Some(text) = e.value.as_str() else {
                self.error(
                    e.value.pos,
                    format!(
                        "`severity.{}` is {}, expected critical, high, medium, low or info",
                        e.key,
                        e.value.type_name()
                    ),
                );
                continue;
            };
            match Severity::parse(text) {
                Some(s) if known => out.push((e.key.to_string(), s)),
                Some(_) => {}
                None => {
                    let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
                    let hint = did_you_mean(text, &names);
                    self.error(
                        e.value.pos,
                        format!(
                            "`severity.{}` is `{text}`, expected critical, high, medium, low or info{hint}",
                            e.key
                        ),
                    );
                }
            }
        }
        out
    }

    fn exception(&mut self, node: &Node, index: usize) -> Option<Suppression> {
        let what = format!("`exceptions[{index}]`");
        let field = |key: &str| format!("`exceptions[{index}].{key}`");
        let map = self.map(node, &what, &EXCEPTION_KEYS)?;
        let before = self.errors.len();
        let rules = if let Some(n) = map.get("rules") {
            let rules = self.rule_list(n, &field("rules"));
            if rules.is_empty() && self.errors.len() == before {
                self.error(
                    n.pos,
                    format!("{} is empty (name the rules, or ALL)", field("rules")),
                );
            }
            rules
        } else {
            self.error(
                node.pos,
                format!("{what} has no `rules` (name the rules it covers, or ALL)"),
            );
            Vec::new()
        };
        let reason = match map.get("reason") {
            Some(n) => self.string(n, &field("reason")).unwrap_or_default(),
            None => String::new(),
        };
        if reason.trim().is_empty() && map.get("reason").is_none_or(|n| n.as_str().is_some()) {
            let pos = map.get("reason").map_or(node.pos, |n| n.pos);
            self.error(
                pos,
                format!("{what} needs a `reason`: say why the finding is accepted"),
            );
        }
        let expires = map.get("expires").and_then(|n| {
            // The loader reads an unquoted date as Kubernetes does, as a timestamp at
            // midnight UTC (`2027-03-31T00:00:00Z`).
            let text = n
                .as_str()
                .map(|s| s.strip_suffix("T00:00:00Z").unwrap_or(s));
            let date = text.and_then(Date::parse);
            if date.is_none() {
                let shown = text
                    .map(str::to_string)
                    .or_else(|| n.scalar_string())
                    .map_or_else(|| n.type_name().to_string(), |s| format!("`{s}`"));
                self.error(
                    n.pos,
                    format!(
                        "{} is {shown}, expected a date like 2027-03-31",
                        field("expires")
                    ),
                );
            }
            date
        });
        let mut selector = Selector::default();
        if let Some(n) = map.get("kind") {
            selector.kinds = self.globs(n, &field("kind"));
        }
        if let Some(n) = map.get("namespace") {
            selector.namespaces = self.globs(n, &field("namespace"));
        }
        if let Some(n) = map.get("name") {
            selector.names = self.globs(n, &field("name"));
        }
        if let Some(n) = map.get("objects") {
            for (text, pos) in self.strings(n, &field("objects")) {
                match ObjectPattern::parse(&text) {
                    Some(p) => selector.objects.push(p),
                    None => self.error(
                        pos,
                        format!(
                            "{} holds `{text}`, expected `Kind/namespace/name` or `Kind/name`",
                            field("objects")
                        ),
                    ),
                }
            }
        }
        if let Some(n) = map.get("description") {
            self.string(n, &field("description"));
        }
        (self.errors.len() == before).then(|| Suppression {
            rules,
            selector,
            reason: reason.trim().to_string(),
            expires,
            declared: Declared {
                path: self.path.to_string(),
                file: None,
                pos: node.pos,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Option<Node> {
        let mut t = rampart_source::parse_tree("rampart.yaml", text);
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        t.documents.pop().flatten()
    }

    fn ok(text: &str) -> Config {
        parse(tree(text).as_ref(), "rampart.yaml").unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// The errors as `line:col: message`.
    fn errors(text: &str) -> Vec<String> {
        parse(tree(text).as_ref(), "rampart.yaml")
            .expect_err("expected errors")
            .into_iter()
            .map(|e| format!("{}: {}", e.pos, e.message))
            .collect()
    }

    fn one_error(text: &str) -> String {
        let e = errors(text);
        assert_eq!(e.len(), 1, "{e:#?}");
        e.into_iter().next().unwrap_or_default()
    }

    const FULL: &str = "\
version: 1
rules:
  select: [POD, RBAC0, secret-in-env-var]
  ignore: POD019, POD020
severity:
  POD010: low
  privileged-container: critical
exclude:
  paths: [vendor/**, generated]
  namespaces: [kube-*, legacy]
pss: {level: baseline, version: v1.31}
rbac: {builtinRoles: false}
exceptions:
  - rules: [POD001]
    kind: DaemonSet
    namespace: monitoring
    name: node-*
    reason: needs the host network, ticket OPS-12
    expires: 2027-03-31
  - rules: ALL
    objects: [ClusterRole/admin, Deployment/shop/api]
    reason: reviewed
";

    #[test]
    fn a_full_config_reads() {
        let c = ok(FULL);
        assert_eq!(c.select, ["POD", "RBAC0", "secret-in-env-var"]);
        assert_eq!(c.ignore, ["POD019", "POD020"]);
        assert_eq!(
            c.severity,
            [
                ("POD010".to_string(), Severity::Low),
                ("privileged-container".to_string(), Severity::Critical)
            ]
        );
        assert!(c.excludes_path("vendor/x/y.yaml"));
        assert!(c.excludes_path("generated/a.yaml"));
        assert!(c.excludes_path("./generated"));
        assert!(!c.excludes_path("src/generated.yaml"));
        assert!(c.excludes_namespace("kube-system"));
        assert!(c.excludes_namespace("legacy"));
        assert!(!c.excludes_namespace("shop"));
        assert_eq!(c.pss_level, Some(Level::Baseline));
        assert_eq!(c.pss_version, Some(Version::Minor(31)));
        assert_eq!(c.builtin_rbac, Some(false));
        assert_eq!(c.exceptions.len(), 2);
        let e = &c.exceptions[0];
        assert_eq!(e.reason, "needs the host network, ticket OPS-12");
        assert_eq!(e.expires, Date::parse("2027-03-31"));
        assert_eq!(e.declared.to_string(), "rampart.yaml:14:5");
        assert_eq!(c.exceptions[1].selector.objects.len(), 2);
    }

    #[test]
    fn empty_files_are_empty_configs() {
        assert_eq!(ok(""), Config::default());
        assert_eq!(ok("# nothing yet\n"), Config::default());
        assert_eq!(ok("version: 1\n"), Config::default());
    }

    #[test]
    fn the_version_is_required_and_checked() {
        assert_eq!(
            one_error("rules: {select: [POD]}\n"),
            "1:1: `version` is missing; this Rampart reads `version: 1`"
        );
        assert_eq!(
            one_error("version: 2\n"),
            "1:10: config version 2 is not supported; this Rampart reads `version: 1`"
        );
        assert_eq!(
            one_error("version: one\n"),
            "1:10: `version` is a string, expected the number 1"
        );
    }

    #[test]
    fn unknown_keys_are_errors_with_suggestions() {
        assert_eq!(
            one_error("version: 1\nrule: {select: [POD]}\n"),
            "2:1: unknown key `rule` in the config; did you mean `rules`?"
        );
        assert_eq!(
            one_error("version: 1\nrules: {selcet: [POD]}\n"),
            "2:9: unknown key `selcet` in `rules`; did you mean `select`?"
        );
        assert_eq!(
            one_error("version: 1\nfrobnicate: 3\n"),
            "2:1: unknown key `frobnicate` in the config (expected one of: version, rules, severity, exclude, pss, rbac, exceptions)"
        );
        assert_eq!(
            one_error("version: 1\nrbac: {builtinroles: false}\n"),
            "2:8: unknown key `builtinroles` in `rbac`; did you mean `builtinRoles`?"
        );
        assert_eq!(
            one_error(
                "version: 1\nexceptions:\n  - rules: [POD001]\n    reason: r\n    expiry: 2027-01-01\n"
            ),
            "5:5: unknown key `expiry` in `exceptions[0]`; did you mean `expires`?"
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        assert_eq!(
            one_error("[1, 2]\n"),
            "1:1: the config is a list, expected a map"
        );
        assert_eq!(
            one_error("version: 1\nrules: [POD]\n"),
            "2:8: `rules` is a list, expected a map"
        );
        assert_eq!(
            one_error("version: 1\nrules: {select: 5}\n"),
            "2:17: `rules.select` is a number, expected a list of strings"
        );
        assert_eq!(
            one_error("version: 1\nrules: {select: [POD, [x]]}\n"),
            "2:23: `rules.select` holds a list, expected strings"
        );
        assert_eq!(
            one_error("version: 1\nseverity: [POD001]\n"),
            "2:11: `severity` is a list, expected a map of rule to severity"
        );
        assert_eq!(
            one_error("version: 1\nseverity: {POD001: 3}\n"),
            "2:20: `severity.POD001` is a number, expected critical, high, medium, low or info"
        );
        assert_eq!(
            one_error("version: 1\nexclude: {paths: {a: b}}\n"),
            "2:18: `exclude.paths` is a map, expected a list of strings"
        );
        assert_eq!(
            one_error("version: 1\npss: {level: 3}\n"),
            "2:14: `pss.level` is a number, expected a string"
        );
        assert_eq!(
            one_error("version: 1\nrbac: {builtinRoles: maybe}\n"),
            "2:22: `rbac.builtinRoles` is a string, expected true or false"
        );
        assert_eq!(
            one_error("version: 1\nexceptions: {rules: POD001}\n"),
            "2:13: `exceptions` is a map, expected a list"
        );
        assert_eq!(
            one_error("version: 1\nexceptions: [POD001]\n"),
            "2:14: `exceptions[0]` is a string, expected a map"
        );
    }

    #[test]
    fn bad_values_are_errors() {
        assert_eq!(
            one_error("version: 1\nrules: {ignore: [POD999]}\n"),
            "2:18: no rule matches `POD999` in `rules.ignore`; did you mean `POD009`? (`rampart rules` lists them)"
        );
        assert_eq!(
            one_error("version: 1\nrules: {select: [privileged-containr]}\n"),
            "2:18: no rule matches `privileged-containr` in `rules.select`; did you mean `privileged-container`? (`rampart rules` lists them)"
        );
        assert_eq!(
            one_error("version: 1\nseverity: {POD001: hihg}\n"),
            "2:20: `severity.POD001` is `hihg`, expected critical, high, medium, low or info; did you mean `high`?"
        );
        assert_eq!(
            one_error("version: 1\nseverity: {NOPE1: high}\n"),
            "2:12: no rule matches `NOPE1` in `severity` (`rampart rules` lists them)"
        );
        assert_eq!(
            one_error("version: 1\npss: {level: basline}\n"),
            "2:14: `pss.level` is `basline`, expected privileged, baseline or restricted; did you mean `baseline`?"
        );
        assert_eq!(
            one_error("version: 1\npss: {version: \"1.31\"}\n"),
            "2:16: `pss.version` is `1.31`, expected `latest` or `v1.N`"
        );
        assert_eq!(
            one_error("version: 1\nexceptions:\n  - {rules: [POD001], kind: DaemonSet}\n"),
            "3:5: `exceptions[0]` needs a `reason`: say why the finding is accepted"
        );
        assert_eq!(
            one_error("version: 1\nexceptions:\n  - {rules: [POD001], reason: \"\"}\n"),
            "3:31: `exceptions[0]` needs a `reason`: say why the finding is accepted"
        );
        assert_eq!(
            one_error("version: 1\nexceptions:\n  - {reason: r}\n"),
            "3:5: `exceptions[0]` has no `rules` (name the rules it covers, or ALL)"
        );
        assert_eq!(
            one_error("version: 1\nexceptions:\n  - {rules: [], reason: r}\n"),
            "3:13: `exceptions[0].rules` is empty (name the rules, or ALL)"
        );
        assert_eq!(
            one_error(
                "version: 1\nexceptions:\n  - {rules: POD001, reason: r, expires: 2027-02-30}\n"
            ),
            "3:41: `exceptions[0].expires` is `2027-02-30`, expected a date like 2027-03-31"
        );
        assert_eq!(
            one_error(
                "version: 1\nexceptions:\n  - {rules: POD001, reason: r, objects: [Deployment]}\n"
            ),
            "3:42: `exceptions[0].objects` holds `Deployment`, expected `Kind/namespace/name` or `Kind/name`"
        );
    }

    #[test]
    fn every_error_is_reported_in_file_order() {
        let e = errors("version: 3\nrulez: {}\nseverity: {POD001: hihg}\n");
        assert_eq!(e.len(), 3, "{e:#?}");
        assert!(e[0].starts_with("1:10:"));
        assert!(e[1].starts_with("2:1:"));
        assert!(e[2].starts_with("3:20:"));
    }
}
