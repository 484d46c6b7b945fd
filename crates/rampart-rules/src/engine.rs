//! Running rules over an inventory: selection, parallel evaluation, suppression and a
//! deterministic order.

use rampart_model::{InputDiagnostic, Inventory, PodTemplate};
use rayon::prelude::*;

use rampart_analysis::rbac::Rbac;

use crate::context::Context;
use crate::finding::Finding;
use crate::registry::RULES;
use crate::rule::{Check, RuleMeta, RuleStatus};
use crate::settings::{Policies, Settings};

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

/// Findings and the findings suppressed by annotations.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings, sorted by file, position and code.
    pub findings: Vec<Finding>,
    /// How many findings annotations suppressed.
    pub suppressed: usize,
    /// Input the rules could not judge (an unreadable Kubernetes version, say): warnings,
    /// not findings.
    pub diagnostics: Vec<InputDiagnostic>,
}

/// Runs the selected rules over the inventory, in parallel over objects.
pub fn run(inventory: &Inventory, selection: &Selection, settings: &Settings) -> Outcome {
    let policies = Policies::new(inventory, settings);
    let policies = &policies;
    let rbac = Rbac::build(inventory, settings.builtin_rbac);
    let rbac = &rbac;
    let rules = selection.rules();
    // Built by the first rule that needs them (`Context::escalations`, `network`).
    let shared = crate::context::Shared::default();
    let shared = &shared;
    let template_rules: Vec<_> = rules
        .iter()
        .filter_map(|r| match r.check {
            Check::Template(f) => Some(f),
            _ => None,
        })
        .collect();
    let object_rules: Vec<_> = rules
        .iter()
        .filter_map(|r| match r.check {
            Check::Object(kinds, f) => Some((kinds, f)),
            _ => None,
        })
        .collect();
    let inventory_rules: Vec<_> = rules
        .iter()
        .filter_map(|r| match r.check {
            Check::Inventory(f) => Some(f),
            _ => None,
        })
        .collect();

    let per_object = inventory
        .objects
        .par_iter()
        .with_min_len(64)
        .fold(
            || Context::new(inventory, settings, policies, rbac, shared),
            |mut ctx, object| {
                for (kinds, f) in &object_rules {
                    if kinds.is_empty() || kinds.contains(&object.kind()) {
                        f(&mut ctx, object);
                    }
                }
                if !template_rules.is_empty()
                    && let Some(pod) = PodTemplate::of(object)
                {
                    for f in &template_rules {
                        f(&mut ctx, &pod);
                    }
                }
                ctx
            },
        )
        .map(Context::into_findings)
        .flatten_iter();
    let global = inventory_rules.par_iter().flat_map_iter(|f| {
        let mut ctx = Context::new(inventory, settings, policies, rbac, shared);
        f(&mut ctx);
        ctx.into_findings()
    });
    let all: Vec<Finding> = per_object.chain(global).collect();

    let before = all.len();
    let mut findings: Vec<Finding> = all
        .into_iter()
        .filter(|f| !suppressed(inventory, f))
        .collect();
    let suppressed = before - findings.len();
    findings.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let diagnostics = if rules
        .iter()
        .any(|r| crate::rules::updates::VERSION_RULES.contains(&r.code))
    {
        crate::rules::updates::version_diagnostics(inventory)
    } else {
        Vec::new()
    };
    Outcome {
        findings,
        suppressed,
        diagnostics,
    }
}

fn suppressed(inventory: &Inventory, finding: &Finding) -> bool {
    let Some(object) = finding.object_index.and_then(|i| inventory.objects.get(i)) else {
        return false;
    };
    let template = PodTemplate::of(object).and_then(|p| p.annotation(IGNORE_ANNOTATION));
    [object.annotation(IGNORE_ANNOTATION), template]
        .into_iter()
        .flatten()
        .any(|list| list.split(',').any(|p| matches(p, finding.rule)))
}
