//! Running rules over an inventory: selection, parallel evaluation, suppression and a
//! deterministic order.

use std::collections::HashMap;

use rampart_model::{FileId, InputDiagnostic, InputLevel, Inventory, Object, PodTemplate};
use rayon::prelude::*;

use rampart_analysis::rbac::Rbac;

use crate::context::Context;
use crate::finding::Finding;
use crate::registry::RULES;
use crate::rule::{Check, RuleMeta, RuleStatus, Severity};
use crate::settings::{Policies, Settings};
use crate::suppress::{Date, Declared, Expired, Glob, SUPPRESS_ANNOTATION, Suppression};

/// The annotation that suppresses findings on an object or its pod template:
/// `rampart.dev/ignore: "POD001,SEC"` (codes, practice prefixes or rule names).
pub const IGNORE_ANNOTATION: &str = "rampart.dev/ignore";

/// Which rules run. A pattern is a code (`POD001`), a code prefix (`POD`, `POD0`), a
/// rule name (`privileged-container`) or `ALL`.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only rules matching one of these (all rules when empty).
    pub select: Vec<String>,
    /// Never rules matching one of these.
    pub ignore: Vec<String>,
}

/// Whether a pattern names a rule.
pub fn matches(pattern: &str, rule: &RuleMeta) -> bool {
    let p = pattern.trim();
    !p.is_empty()
        && (p.eq_ignore_ascii_case("ALL")
            || rule.name.eq_ignore_ascii_case(p)
            || rule
                .code
                .get(..p.len())
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(p)))
}

impl Selection {
    /// The patterns that match no rule (for a usage error).
    pub fn unknown_patterns(&self) -> Vec<&str> {
        self.select
            .iter()
            .chain(&self.ignore)
            .map(String::as_str)
            .filter(|p| !RULES.iter().any(|r| matches(p, r)))
            .collect()
    }

    /// Whether a rule runs.
    pub fn enabled(&self, rule: &RuleMeta) -> bool {
        if matches!(rule.status, RuleStatus::Removed { .. }) {
            return false;
        }
        (self.select.is_empty() || self.select.iter().any(|p| matches(p, rule)))
            && !self.ignore.iter().any(|p| matches(p, rule))
    }

    /// The rules that run, in registry order.
    pub fn rules(&self) -> Vec<&'static RuleMeta> {
        RULES.iter().copied().filter(|r| self.enabled(r)).collect()
    }
}

/// What a run's configuration changes after the rules have run: severities, excluded
/// files and namespaces, and suppressions with reasons (`rampart.yaml`, see
/// [`crate::config`]).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Rule pattern to severity; the most specific pattern wins (a code or name over a
    /// prefix, a longer prefix over a shorter one, a later entry over an earlier tie).
    pub severity: Vec<(String, Severity)>,
    /// Findings in these files are dropped (and counted as suppressed).
    pub excluded_files: Vec<FileId>,
    /// Findings on objects in these namespaces (and on these Namespace objects) are
    /// dropped (and counted as suppressed).
    pub excluded_namespaces: Vec<Glob>,
    /// The config's exceptions.
    pub exceptions: Vec<Suppression>,
    /// Today: suppressions whose `expires` is before it no longer suppress. The default
    /// ([`Date::MIN`]) lets nothing expire.
    pub today: Date,
}

/// How many findings one suppression with a reason kept out of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuppressionUse {
    /// Why.
    pub reason: String,
    /// The rule patterns it covers.
    pub rules: Vec<String>,
    /// Its last day, if it has one.
    pub expires: Option<Date>,
    /// Where it was written.
    pub declared: Declared,
    /// Findings it suppressed in this run.
    pub suppressed: usize,
}

/// Findings and the findings suppressed by annotations.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings, sorted by file, position and code.
    pub findings: Vec<Finding>,
    /// How many findings annotations, exceptions and exclusions suppressed.
    pub suppressed: usize,
    /// Every active suppression with a reason and how much it suppressed, in the order
    /// they were written (config first, then objects in input order).
    pub suppressions: Vec<SuppressionUse>,
    /// Problems with suppressions (an annotation without a reason: an error),
    /// suppressions that expired (a warning), and input the rules could not judge
    /// (an unreadable Kubernetes version, say).
    pub diagnostics: Vec<InputDiagnostic>,
}

/// Runs the selected rules over the inventory, in parallel over objects.
pub fn run(inventory: &Inventory, selection: &Selection, settings: &Settings) -> Outcome {
    run_with(inventory, selection, settings, &Overrides::default())
}

/// The rules of a selection, resolved once and sorted by how they run. A caller that runs
/// the same selection many times (the admission webhook, per request) builds one and
/// passes it to [`run_on_object`].
#[derive(Clone, Debug)]
pub struct Plan {
    template: Vec<TemplateCheck>,
    object: Vec<ObjectCheck>,
    inventory: Vec<InventoryCheck>,
    /// Whether a rule about the Kubernetes version runs (its input diagnostics then too).
    version_rules: bool,
}

type TemplateCheck = fn(&mut Context<'_>, &PodTemplate<'_>);
type ObjectCheck = (&'static [&'static str], fn(&mut Context<'_>, &Object));
type InventoryCheck = fn(&mut Context<'_>);

impl Plan {
    /// The rules a selection enables, in registry order.
    pub fn new(selection: &Selection) -> Self {
        let rules = selection.rules();
        Plan {
            template: rules
                .iter()
                .filter_map(|r| match r.check {
                    Check::Template(f) => Some(f),
                    _ => None,
                })
                .collect(),
            object: rules
                .iter()
                .filter_map(|r| match r.check {
                    Check::Object(kinds, f) => Some((kinds, f)),
                    _ => None,
                })
                .collect(),
            inventory: rules
                .iter()
                .filter_map(|r| match r.check {
                    Check::Inventory(f) => Some(f),
                    _ => None,
                })
                .collect(),
            version_rules: rules
                .iter()
                .any(|r| crate::rules::updates::VERSION_RULES.contains(&r.code)),
        }
    }

    /// Whether no rule runs.
    pub fn is_empty(&self) -> bool {
        self.template.is_empty() && self.object.is_empty() && self.inventory.is_empty()
    }

    /// The per-object and per-template rules on one object.
    fn run_object(&self, ctx: &mut Context<'_>, object: &Object) {
        for (kinds, f) in &self.object {
            if kinds.is_empty() || kinds.contains(&object.kind()) {
                f(ctx, object);
            }
        }
        if !self.template.is_empty()
            && let Some(pod) = PodTemplate::of(object)
        {
            for f in &self.template {
                f(ctx, &pod);
            }
        }
    }
}

/// Runs the selected rules, then applies a configuration's overrides.
pub fn run_with(
    inventory: &Inventory,
    selection: &Selection,
    settings: &Settings,
    overrides: &Overrides,
) -> Outcome {
    let plan = Plan::new(selection);
    let plan = &plan;
    let policies = Policies::new(inventory, settings);
    let policies = &policies;
    let rbac = Rbac::build(inventory, settings.builtin_rbac);
    let rbac = &rbac;
    // Built by the first rule that needs them (`Context::escalations`, `network`).
    let shared = crate::context::Shared::default();
    let shared = &shared;

    let per_object = inventory
        .objects
        .par_iter()
        .with_min_len(64)
        .fold(
            || Context::new(inventory, settings, policies, rbac, shared),
            |mut ctx, object| {
                plan.run_object(&mut ctx, object);
                ctx
            },
        )
        .flat_map_iter(Context::into_blocks);
    let global = plan.inventory.par_iter().flat_map_iter(|f| {
        let mut ctx = Context::new(inventory, settings, policies, rbac, shared);
        f(&mut ctx);
        ctx.into_blocks()
    });
    // The findings stay in their blocks until `apply` moves them into the outcome: a
    // large cluster has tens of thousands, and one more copy of all of them would be
    // the scan's peak.
    let all: Vec<Vec<Finding>> = per_object.chain(global).collect();

    let mut outcome = apply(inventory, all, overrides, None);
    sort(&mut outcome.findings);
    if plan.version_rules {
        outcome
            .diagnostics
            .extend(crate::rules::updates::version_diagnostics(inventory));
    }
    outcome
}

/// Sorts findings by [`Finding::sort_key`], stably, without the copy of every finding
/// a stable sort allocates: the order is worked out on their indices and then applied
/// in place, one cycle of the permutation at a time.
fn sort(findings: &mut [Finding]) {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.par_sort_by(|&a, &b| match (findings.get(a), findings.get(b)) {
        (Some(a), Some(b)) => a.sort_key().cmp(&b.sort_key()),
        _ => std::cmp::Ordering::Equal,
    });
    // Position `i` takes the finding at `order[i]`; a position whose finding is in
    // place is marked `order[i] == i`.
    for start in 0..order.len() {
        let mut i = start;
        while let Some(&j) = order.get(i) {
            if let Some(slot) = order.get_mut(i) {
                *slot = i;
            }
            if j == start || j == i {
                break;
            }
            findings.swap(i, j);
            i = j;
        }
    }
}

/// The findings [`run`] reports on one object of the inventory (`index`), in the same
/// order, found on the calling thread.
///
/// Per-object and per-template rules report only on the object they are given, so they
/// run on this object alone; the inventory-wide rules run over everything, as they may
/// report on it because of the others. Only this object's annotations can suppress
/// findings on it. For the admission webhook, whose inventory is one object and its
/// context, and for which handing work to the thread pool costs more than the rules.
pub fn run_on_object(
    inventory: &Inventory,
    plan: &Plan,
    settings: &Settings,
    index: usize,
) -> Vec<Finding> {
    let Some(object) = inventory.objects.get(index) else {
        return Vec::new();
    };
    let policies = Policies::new(inventory, settings);
    let rbac = Rbac::build(inventory, settings.builtin_rbac);
    let shared = crate::context::Shared::default();
    let mut ctx = Context::new(inventory, settings, &policies, &rbac, &shared);
    plan.run_object(&mut ctx, object);
    for f in &plan.inventory {
        f(&mut ctx);
    }
    let mut findings = ctx.into_findings();
    findings.retain(|f| f.object_index == Some(index));
    let mut findings = apply(
        inventory,
        vec![findings],
        &Overrides::default(),
        Some(index),
    )
    .findings;
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings
}

/// The specificity of a pattern that matches a rule: an exact code or name beats any
/// prefix, a longer prefix beats a shorter one, and `ALL` comes last.
fn specificity(pattern: &str, rule: &RuleMeta) -> usize {
    let p = pattern.trim();
    if p.eq_ignore_ascii_case(rule.code) || p.eq_ignore_ascii_case(rule.name) {
        usize::MAX
    } else if p.eq_ignore_ascii_case("ALL") {
        0
    } else {
        p.len()
    }
}

/// Severity per rule code after the overrides.
fn severity_table(overrides: &[(String, Severity)]) -> HashMap<&'static str, Severity> {
    let mut table = HashMap::new();
    if overrides.is_empty() {
        return table;
    }
    for rule in RULES {
        let best = overrides
            .iter()
            .filter(|(p, _)| matches(p, rule))
            .max_by_key(|(p, _)| specificity(p, rule));
        if let Some((_, severity)) = best {
            table.insert(rule.code, *severity);
        }
    }
    table
}

/// The `rampart.dev/suppress` annotations of an object and of its pod template.
fn annotated(object: &Object) -> Vec<(&str, rampart_model::Pos)> {
    fn of(metadata: Option<&rampart_model::Node>) -> Option<(&str, rampart_model::Pos)> {
        let v = metadata?.get("annotations")?.get(SUPPRESS_ANNOTATION)?;
        v.as_str().map(|s| (s, v.pos))
    }
    let own = of(object.metadata());
    // A Pod's template metadata is its own metadata: read it once.
    let template = PodTemplate::of(object)
        .filter(|p| {
            !matches!((p.metadata, object.metadata()), (Some(a), Some(b)) if std::ptr::eq(a, b))
        })
        .and_then(|p| of(p.metadata));
    own.into_iter().chain(template).collect()
}

/// Suppressions and overrides. With `only`, every finding is on that object and only its
/// annotations are read.
fn apply(
    inventory: &Inventory,
    all: Vec<Vec<Finding>>,
    overrides: &Overrides,
    only: Option<usize>,
) -> Outcome {
    let mut diagnostics = Vec::new();
    // Every suppression with a reason: the config's, then the annotations'.
    let mut suppressions: Vec<Suppression> = overrides.exceptions.clone();
    let exceptions = suppressions.len();
    let mut by_object: HashMap<usize, Vec<usize>> = HashMap::new();
    let found: Vec<(usize, Vec<(&str, rampart_model::Pos)>)> = match only {
        Some(i) => inventory
            .objects
            .get(i)
            .map(|o| (i, annotated(o)))
            .filter(|(_, a)| !a.is_empty())
            .into_iter()
            .collect(),
        None => inventory
            .objects
            .par_iter()
            .enumerate()
            .with_min_len(1024)
            .filter_map(|(i, o)| {
                let a = annotated(o);
                (!a.is_empty()).then_some((i, a))
            })
            .collect(),
    };
    for (index, values) in found {
        let Some(object) = inventory.objects.get(index) else {
            continue;
        };
        let file = object.file();
        let path = file.map_or("", |f| inventory.files.name(f)).to_string();
        for (value, pos) in values {
            let declared = Declared {
                path: path.clone(),
                file,
                pos,
            };
            let (found, problems) = crate::suppress::from_annotation(value, &declared);
            for p in problems {
                diagnostics.push(InputDiagnostic::error(file, &path, p.pos, p.message));
            }
            for s in found {
                by_object.entry(index).or_default().push(suppressions.len());
                suppressions.push(s);
            }
        }
    }
    let expired: Vec<bool> = suppressions
        .iter()
        .map(|s| s.expired(overrides.today))
        .collect();
    let mut used = vec![0usize; suppressions.len()];
    let mut resurfaced = vec![0usize; suppressions.len()];
    let severities = severity_table(&overrides.severity);
    let mut excluded_ns: HashMap<String, bool> = HashMap::new();
    let mut excluded_files = overrides.excluded_files.clone();
    excluded_files.sort_unstable();

    let mut ignore_lists: Option<(usize, [Option<&str>; 2])> = None;
    let before = all.iter().map(Vec::len).sum();
    let mut findings = Vec::with_capacity(before);
    // Each vector is freed as soon as it is moved out.
    for mut f in all.into_iter().flatten() {
        if !severities.is_empty()
            && let Some(s) = severities.get(f.rule.code)
        {
            f.severity = *s;
        }
        if f.file
            .is_some_and(|id| excluded_files.binary_search(&id).is_ok())
        {
            continue;
        }
        if !overrides.excluded_namespaces.is_empty() {
            let ns = match &f.object.namespace {
                Some(ns) => Some(ns.as_str()),
                None if f.object.kind == "Namespace" => Some(f.object.name.as_str()),
                None => None,
            };
            if let Some(ns) = ns {
                let hit = if let Some(hit) = excluded_ns.get(ns) {
                    *hit
                } else {
                    let hit = overrides.excluded_namespaces.iter().any(|g| g.matches(ns));
                    excluded_ns.insert(ns.to_string(), hit);
                    hit
                };
                if hit {
                    continue;
                }
            }
        }
        if let Some(i) = f.object_index
            && let Some(object) = inventory.objects.get(i)
        {
            // Findings come grouped by object: read its ignore lists once per group.
            let lists = match ignore_lists {
                Some((j, lists)) if j == i => lists,
                _ => {
                    let lists = ignore_lists_of(object);
                    ignore_lists = Some((i, lists));
                    lists
                }
            };
            if lists
                .into_iter()
                .flatten()
                .any(|list| list.split(',').any(|p| matches(p, f.rule)))
            {
                continue;
            }
        }
        let candidates = suppressions
            .iter()
            .enumerate()
            .take(exceptions)
            .filter(|(_, s)| s.selector.matches(&f.object))
            .map(|(i, _)| i)
            .chain(
                f.object_index
                    .and_then(|i| by_object.get(&i))
                    .into_iter()
                    .flatten()
                    .copied(),
            )
            .filter(|i| suppressions.get(*i).is_some_and(|s| s.covers(f.rule)));
        let mut lapsed = None;
        let mut active = None;
        for i in candidates {
            if expired.get(i).copied().unwrap_or(false) {
                lapsed = lapsed.or(Some(i));
            } else {
                active = Some(i);
                break;
            }
        }
        if let Some(i) = active {
            if let Some(n) = used.get_mut(i) {
                *n += 1;
            }
            continue;
        }
        if let Some(s) = lapsed.and_then(|i| suppressions.get(i))
            && let Some(expires) = s.expires
        {
            if let Some(n) = lapsed.and_then(|i| resurfaced.get_mut(i)) {
                *n += 1;
            }
            f.message = format!(
                "{}; suppression expired on {expires} (reason: {})",
                f.message, s.reason
            )
            .into_boxed_str();
            f.suppression = Some(Box::new(Expired {
                reason: s.reason.clone(),
                expires,
                declared: s.declared.clone(),
            }));
        }
        findings.push(f);
    }
    let suppressed = before - findings.len();

    let mut uses = Vec::new();
    for (i, s) in suppressions.into_iter().enumerate() {
        if expired.get(i).copied().unwrap_or(false) {
            let again = resurfaced.get(i).copied().unwrap_or(0);
            let expires = s.expires.map(|d| d.to_string()).unwrap_or_default();
            diagnostics.push(InputDiagnostic::new(
                InputLevel::Warning,
                s.declared.file,
                &s.declared.path,
                s.declared.pos,
                format!(
                    "suppression of {} expired on {expires} (reason: {}); {again} finding{} it covered {} reported again",
                    s.rules.join(", "),
                    s.reason,
                    if again == 1 { "" } else { "s" },
                    if again == 1 { "is" } else { "are" },
                ),
            ));
        } else {
            uses.push(SuppressionUse {
                suppressed: used.get(i).copied().unwrap_or(0),
                reason: s.reason,
                rules: s.rules,
                expires: s.expires,
                declared: s.declared,
            });
        }
    }
    Outcome {
        findings,
        suppressed,
        suppressions: uses,
        diagnostics,
    }
}

/// The `rampart.dev/ignore` lists of an object and of its pod template.
fn ignore_lists_of(object: &Object) -> [Option<&str>; 2] {
    let template = PodTemplate::of(object).and_then(|p| p.annotation(IGNORE_ANNOTATION));
    [object.annotation(IGNORE_ANNOTATION), template]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_model::{FileId, Pos, intern};

    fn finding(rule: usize, file: u32, line: u32, message: &str) -> Finding {
        Finding::new(
            crate::registry::RULES[rule % crate::registry::RULES.len()],
            rampart_model::ObjectRef::default(),
            None,
            Some(FileId(file)),
            Pos::new(line, 1),
            intern(""),
            message.into(),
        )
    }

    #[test]
    fn the_in_place_sort_is_the_stable_sort() {
        // Keys repeat (ties keep their input order: the help tells them apart), and
        // the permutation has long cycles and fixed points.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            u32::try_from(seed >> 40).unwrap_or(0)
        };
        let findings: Vec<Finding> = (0..2_000)
            .map(|i| {
                let mut f = finding(
                    (next() % 3) as usize,
                    next() % 4,
                    next() % 50,
                    ["a", "b"][(next() % 2) as usize],
                );
                f.help = Some(i.to_string().into());
                f
            })
            .collect();
        let mut expected = findings.clone();
        expected.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let mut sorted = findings;
        sort(&mut sorted);
        let helps = |v: &[Finding]| v.iter().map(|f| f.help.clone()).collect::<Vec<_>>();
        assert_eq!(helps(&sorted), helps(&expected));
        let mut few = vec![finding(0, 1, 1, "x"), finding(0, 0, 1, "x")];
        sort(&mut few);
        assert_eq!(few[0].file, Some(FileId(0)));
        sort(&mut []);
    }
}
