//! PodDisruptionBudgets: replicated workloads without one, and budgets that allow no
//! disruption at all.

use rampart_model::{Object, PodTemplate};

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

use super::workloads::{
    REPLICATED, budget_selects, is_controlled, percent, pod_labels, replicas, selecting_budgets,
};

declare_rule! {
    /// ## What it does
    /// Checks Deployments, StatefulSets, ReplicaSets and ReplicationControllers with two
    /// or more replicas for a PodDisruptionBudget in their namespace that selects their
    /// pods.
    ///
    /// ## Why is this bad?
    /// A node drain (for a kernel patch, a kubelet upgrade, an autoscaler scale-down)
    /// evicts every pod on the node at once. Without a budget, nothing stops a drain of
    /// two nodes from evicting every replica together, so node maintenance becomes an
    /// outage and gets postponed.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   replicas: 3
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: web}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: web}}
    /// ```
    ///
    /// ## Remediation
    /// Add a `policy/v1` PodDisruptionBudget selecting the workload's pods, with
    /// `maxUnavailable: 1` (or a `minAvailable` below the replica count).
    ///
    /// ## References
    /// - [Kubernetes: Specifying a Disruption Budget for your Application](https://kubernetes.io/docs/tasks/run-application/configure-pdb/)
    /// - [Kubernetes: Safely drain a node](https://kubernetes.io/docs/tasks/administer-cluster/safely-drain-node/)
    pub(crate) MISSING_DISRUPTION_BUDGET {
        code: "UPD013",
        name: "missing-disruption-budget",
        practice: Updates,
        severity: Low,
        status: Preview { since: "NEXT" },
        check: Check::Object(&["Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"], missing_disruption_budget),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks PodDisruptionBudgets that allow no voluntary disruption at all:
    /// `maxUnavailable: 0` (or `0%`), `minAvailable: 100%`, or a `minAvailable` at or
    /// above the replicas of all the workloads it selects.
    ///
    /// ## Why is this bad?
    /// The eviction API refuses every eviction of those pods, so `kubectl drain`,
    /// cluster upgrades and node auto-repair hang on the node until someone deletes the
    /// budget. Node patching stops, or gets done by force, which is what the budget was
    /// meant to prevent.
    ///
    /// ## Example
    /// ```yaml
    /// kind: PodDisruptionBudget
    /// spec:
    ///   minAvailable: 2 # the Deployment has 2 replicas
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// kind: PodDisruptionBudget
    /// spec:
    ///   maxUnavailable: 1
    /// ```
    ///
    /// ## Remediation
    /// Allow at least one disruption: `maxUnavailable: 1`, or a `minAvailable` below
    /// the replica count (and run enough replicas for it).
    ///
    /// ## References
    /// - [Kubernetes: Specifying a Disruption Budget for your Application](https://kubernetes.io/docs/tasks/run-application/configure-pdb/#think-about-how-your-application-reacts-to-disruptions)
    /// - [Kubernetes: API-initiated eviction](https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/)
    pub(crate) DISRUPTION_BUDGET_BLOCKS_EVICTION {
        code: "UPD014",
        name: "disruption-budget-blocks-eviction",
        practice: Updates,
        severity: Medium,
        status: Preview { since: "NEXT" },
        check: Check::Object(&["PodDisruptionBudget"], disruption_budget_blocks_eviction),
    }
}

/// UPD013
fn missing_disruption_budget(ctx: &mut Context<'_>, object: &Object) {
    if is_controlled(object) {
        return;
    }
    let Some(replicas) = replicas(ctx.inventory, object).filter(|r| r.count >= 2) else {
        return;
    };
    let Some(pod) = PodTemplate::of(object) else {
        return;
    };
    if !selecting_budgets(ctx.inventory, object.namespace(), &pod_labels(&pod)).is_empty() {
        return;
    }
    let pos = replicas.pos(object);
    ctx.report(
        &MISSING_DISRUPTION_BUDGET,
        object,
        pos,
        "spec.replicas",
        format!(
            "{} `{}` runs {} replicas but no PodDisruptionBudget selects its pods, so a node drain may evict them all",
            object.kind(),
            object.name(),
            replicas.count
        ),
    )
    .help("add a `policy/v1` PodDisruptionBudget with `maxUnavailable: 1` selecting its pods");
}

/// UPD014
fn disruption_budget_blocks_eviction(ctx: &mut Context<'_>, budget: &Object) {
    let spec = |key: &str| {
        budget
            .root
            .path(&format!("spec.{key}"))
            .filter(|n| !n.is_null())
    };
    let message = if let Some(node) = spec("maxUnavailable") {
        if node.as_i64() == Some(0) || percent(node) == Some(0) {
            Some((
                node,
                "spec.maxUnavailable",
                format!(
                    "PodDisruptionBudget `{}` allows no pod to be unavailable, so no node running its pods can be drained",
                    budget.name()
                ),
            ))
        } else {
            None
        }
    } else if let Some(node) = spec("minAvailable") {
        if percent(node).is_some_and(|p| p >= 100) {
            Some((
                node,
                "spec.minAvailable",
                format!(
                    "PodDisruptionBudget `{}` requires every pod to stay available, so no node running its pods can be drained",
                    budget.name()
                ),
            ))
        } else if let Some(min) = node.as_i64() {
            selected_replicas(ctx, budget)
                .filter(|(total, _)| *total > 0 && min >= *total)
                .map(|(total, names)| {
                    (
                        node,
                        "spec.minAvailable",
                        format!(
                            "PodDisruptionBudget `{}` requires {min} available pods but only {total} run ({names}), so no eviction is ever allowed",
                            budget.name()
                        ),
                    )
                })
        } else {
            None
        }
    } else {
        None
    };
    let Some((node, path, message)) = message else {
        return;
    };
    ctx.report(
        &DISRUPTION_BUDGET_BLOCKS_EVICTION,
        budget,
        node.pos,
        path,
        message,
    )
    .help("allow at least one disruption, e.g. `maxUnavailable: 1`");
}

/// The replicas of every workload the budget selects, and their names
/// (`Deployment `web``).
fn selected_replicas(ctx: &Context<'_>, budget: &Object) -> Option<(i64, String)> {
    let mut total = 0i64;
    let mut names = Vec::new();
    for kind in REPLICATED {
        for (_, object) in ctx.inventory.of_kind(kind) {
            if object.namespace() != budget.namespace() || is_controlled(object) {
                continue;
            }
            let Some(pod) = PodTemplate::of(object) else {
                continue;
            };
            if !budget_selects(budget, &pod_labels(&pod)) {
                continue;
            }
            // An autoscaler may add replicas: then the budget may well allow evictions.
            let replicas = replicas(ctx.inventory, object)?;
            if replicas.autoscaler.is_some() {
                return None;
            }
            total = total.saturating_add(replicas.count);
            names.push(format!("{kind} `{}`", object.name()));
        }
    }
    let names = match names.as_slice() {
        [] => return None,
        [one] => one.clone(),
        many => many.join(", "),
    };
    Some((total, names))
}
