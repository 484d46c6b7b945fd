//! Rolling-update readiness: how a workload replaces its pods, and whether traffic
//! keeps flowing while it does.

use rampart_model::{ContainerKind, Node, Object, PodTemplate};

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

use super::workloads::{
    is_controlled, percent, pod_labels, replicas, scaled_down, selecting_services,
};

declare_rule! {
    /// ## What it does
    /// Checks for Deployments with more than one replica that use
    /// `strategy: {type: Recreate}`.
    ///
    /// ## Why is this bad?
    /// `Recreate` kills every old pod before it starts a new one, so each rollout,
    /// including an urgent security patch, is an outage. Teams then postpone updates to
    /// avoid the downtime, and images age.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   replicas: 3
    ///   strategy:
    ///     type: Recreate
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec:
    ///   replicas: 3
    ///   strategy:
    ///     type: RollingUpdate
    ///     rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
    /// ```
    ///
    /// ## Remediation
    /// Use `RollingUpdate`. Keep `Recreate` only where two versions must never run
    /// together (a single writer of a volume, a schema migration), and say why in an
    /// annotation with `rampart.dev/ignore: UPD008`.
    ///
    /// ## References
    /// - [Kubernetes: Deployment strategy](https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#strategy)
    pub(crate) RECREATE_UPDATE_STRATEGY {
        code: "UPD008",
        name: "recreate-update-strategy",
        practice: Updates,
        severity: Low,
        status: Preview { since: "NEXT" },
        check: Check::Object(&["Deployment"], recreate_update_strategy),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks rolling updates whose `maxUnavailable` covers every replica: an absolute
    /// count at or above `replicas`, or `100%`, on Deployments and StatefulSets (and
    /// `100%` on DaemonSets).
    ///
    /// ## Why is this bad?
    /// The controller may then take every pod down at once, which is `Recreate` under
    /// another name: each update is an outage, and a bad image takes the whole workload
    /// down before any new pod proves ready.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   replicas: 3
    ///   strategy:
    ///     rollingUpdate: {maxUnavailable: 3}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec:
    ///   replicas: 3
    ///   strategy:
    ///     rollingUpdate: {maxUnavailable: 1, maxSurge: 1}
    /// ```
    ///
    /// ## Remediation
    /// Set `maxUnavailable` below the replica count (`0` with `maxSurge: 1` keeps full
    /// capacity during the rollout).
    ///
    /// ## References
    /// - [Kubernetes: Deployment, max unavailable](https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#max-unavailable)
    /// - [Kubernetes: DaemonSet rolling update](https://kubernetes.io/docs/tasks/manage-daemon/update-daemon-set/)
    pub(crate) MAX_UNAVAILABLE_ALL_REPLICAS {
        code: "UPD009",
        name: "max-unavailable-all-replicas",
        practice: Updates,
        severity: Medium,
        status: Preview { since: "NEXT" },
        check: Check::Object(&["Deployment", "StatefulSet", "DaemonSet"], max_unavailable_all_replicas),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks for Deployments, StatefulSets, ReplicaSets and ReplicationControllers with
    /// a single replica (`replicas: 1` or unset, and no autoscaler with
    /// `minReplicas` of 2 or more) whose pods a Service selects.
    ///
    /// ## Why is this bad?
    /// The Service has one endpoint. Every update, node drain or eviction takes it
    /// away, so patching the workload, or the node under it, is an outage, and a
    /// PodDisruptionBudget cannot help without blocking the drain instead.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Deployment
    /// spec:
    ///   replicas: 1
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// kind: Deployment
    /// spec:
    ///   replicas: 2
    /// ```
    ///
    /// ## Remediation
    /// Run at least two replicas (spread across nodes with topology spread constraints
    /// or anti-affinity) and add a PodDisruptionBudget with `maxUnavailable: 1`.
    ///
    /// ## References
    /// - [Kubernetes: Running multiple instances of your app](https://kubernetes.io/docs/tutorials/kubernetes-basics/scale/scale-intro/)
    /// - [Kubernetes: Disruptions](https://kubernetes.io/docs/concepts/workloads/pods/disruptions/)
    pub(crate) SINGLE_REPLICA_BEHIND_SERVICE {
        code: "UPD010",
        name: "single-replica-behind-service",
        practice: Updates,
        severity: Low,
        status: Preview { since: "NEXT" },
        check: Check::Object(&["Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"], single_replica_behind_service),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks the containers of Deployments and StatefulSets whose pods a Service
    /// selects for a missing `readinessProbe`.
    ///
    /// ## Why is this bad?
    /// Without a readiness probe a pod counts as ready as soon as its containers start.
    /// During a rolling update the controller then removes old pods while the new ones
    /// still load, and the Service sends them traffic they cannot serve: every update
    /// drops requests, and a broken image rolls out completely.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: nginx:1.27.3
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: nginx:1.27.3
    ///     readinessProbe:
    ///       httpGet: {path: /healthz, port: 8080}
    /// ```
    ///
    /// ## Remediation
    /// Add a `readinessProbe` that succeeds only when the container can serve requests.
    ///
    /// ## References
    /// - [Kubernetes: Configure liveness, readiness and startup probes](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)
    /// - [Kubernetes: Performing a rolling update](https://kubernetes.io/docs/tutorials/kubernetes-basics/update/update-intro/)
    pub(crate) MISSING_READINESS_PROBE {
        code: "UPD011",
        name: "missing-readiness-probe",
        practice: Updates,
        severity: Medium,
        status: Preview { since: "NEXT" },
        check: Check::Object(&["Deployment", "StatefulSet"], missing_readiness_probe),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks for StatefulSets and DaemonSets with `updateStrategy: {type: OnDelete}`.
    ///
    /// ## Why is this bad?
    /// With `OnDelete` a changed template reaches a pod only when someone deletes it.
    /// A patched image is "deployed" while the old, vulnerable pods keep running, and
    /// nothing in the object says so.
    ///
    /// ## Example
    /// ```yaml
    /// kind: DaemonSet
    /// spec:
    ///   updateStrategy:
    ///     type: OnDelete
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// kind: DaemonSet
    /// spec:
    ///   updateStrategy:
    ///     type: RollingUpdate
    ///     rollingUpdate: {maxUnavailable: 1}
    /// ```
    ///
    /// ## Remediation
    /// Use `RollingUpdate` (with `partition` on StatefulSets for staged rollouts). If
    /// pods must be replaced by hand, make that part of the release procedure.
    ///
    /// ## References
    /// - [Kubernetes: StatefulSet update strategies](https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#update-strategies)
    /// - [Kubernetes: DaemonSet update strategy](https://kubernetes.io/docs/tasks/manage-daemon/update-daemon-set/#daemonset-update-strategy)
    pub(crate) ON_DELETE_UPDATE_STRATEGY {
        code: "UPD012",
        name: "on-delete-update-strategy",
        practice: Updates,
        severity: Low,
        status: Preview { since: "NEXT" },
        check: Check::Object(&["StatefulSet", "DaemonSet"], on_delete_update_strategy),
    }
}

/// UPD008
fn recreate_update_strategy(ctx: &mut Context<'_>, object: &Object) {
    let Some(kind) = object.root.path("spec.strategy.type") else {
        return;
    };
    if kind.as_str() != Some("Recreate") || is_controlled(object) {
        return;
    }
    let Some(replicas) = replicas(ctx.inventory, object).filter(|r| r.count > 1) else {
        return;
    };
    ctx.report(
        &RECREATE_UPDATE_STRATEGY,
        object,
        kind.pos,
        "spec.strategy.type",
        format!(
            "Deployment `{}` stops all {} replicas before starting new ones on every rollout",
            object.name(),
            replicas.count
        ),
    )
    .help("use `strategy: {type: RollingUpdate}`");
}

/// UPD009
fn max_unavailable_all_replicas(ctx: &mut Context<'_>, object: &Object) {
    if is_controlled(object) {
        return;
    }
    let (strategy, path) = match object.kind() {
        "Deployment" => (
            "spec.strategy",
            "spec.strategy.rollingUpdate.maxUnavailable",
        ),
        _ => (
            "spec.updateStrategy",
            "spec.updateStrategy.rollingUpdate.maxUnavailable",
        ),
    };
    let kind = object
        .root
        .path(&format!("{strategy}.type"))
        .and_then(Node::as_str);
    if kind.is_some_and(|k| k != "RollingUpdate") {
        return;
    }
    let Some(node) = object.root.path(path) else {
        return;
    };
    let message = if object.kind() == "DaemonSet" {
        match percent(node) {
            Some(p) if p >= 100 => format!(
                "DaemonSet `{}` may take its pod down on every node at once (`maxUnavailable: {p}%`)",
                object.name()
            ),
            _ => return,
        }
    } else {
        let Some(replicas) = replicas(ctx.inventory, object).filter(|r| r.count > 0) else {
            return;
        };
        match scaled_down(node, replicas.count) {
            Some(n) if n >= replicas.count => format!(
                "{} `{}` may take all {} replicas down at once (`maxUnavailable: {}`)",
                object.kind(),
                object.name(),
                replicas.count,
                node.scalar_string().unwrap_or_default()
            ),
            _ => return,
        }
    };
    ctx.report(
        &MAX_UNAVAILABLE_ALL_REPLICAS,
        object,
        node.pos,
        path,
        message,
    )
    .help(
        "set `maxUnavailable` below the replica count, e.g. `maxUnavailable: 0` with `maxSurge: 1`",
    );
}

/// UPD010
fn single_replica_behind_service(ctx: &mut Context<'_>, object: &Object) {
    if is_controlled(object) {
        return;
    }
    let Some(replicas) = replicas(ctx.inventory, object).filter(|r| r.count == 1) else {
        return;
    };
    let Some(pod) = PodTemplate::of(object) else {
        return;
    };
    let services = selecting_services(ctx.inventory, object.namespace(), &pod_labels(&pod));
    let Some(service) = services.first() else {
        return;
    };
    let pos = replicas.pos(object);
    let how = match replicas.autoscaler {
        Some(h) => format!(
            "its HorizontalPodAutoscaler `{}` allows 1 replica",
            h.name()
        ),
        None if replicas.node.is_some() => "it runs 1 replica".to_string(),
        None => "it runs 1 replica (`replicas` is unset)".to_string(),
    };
    let finding = ctx.report(
        &SINGLE_REPLICA_BEHIND_SERVICE,
        object,
        pos,
        "spec.replicas",
        format!(
            "{} `{}` serves Service `{}` but {how}, so every update or node drain is an outage",
            object.kind(),
            object.name(),
            service.name()
        ),
    );
    finding.help("run at least 2 replicas and add a PodDisruptionBudget");
    finding.related(
        service.file(),
        service.pos(),
        format!("Service `{}` selects its pods", service.name()),
    );
}

/// UPD011
fn missing_readiness_probe(ctx: &mut Context<'_>, object: &Object) {
    if is_controlled(object) {
        return;
    }
    let Some(pod) = PodTemplate::of(object) else {
        return;
    };
    let services = selecting_services(ctx.inventory, object.namespace(), &pod_labels(&pod));
    let Some(service) = services.first() else {
        return;
    };
    for container in pod.containers() {
        if container.kind != ContainerKind::Regular
            || container.node.get("readinessProbe").is_some()
        {
            continue;
        }
        let pos = container
            .node
            .get("name")
            .map_or(container.node.pos, |n| n.pos);
        let finding = ctx.report(
            &MISSING_READINESS_PROBE,
            object,
            pos,
            &container.path(),
            format!(
                "container `{}` of {} `{}` has no `readinessProbe`, so Service `{}` sends it traffic before it is ready",
                container.name(),
                object.kind(),
                object.name(),
                service.name()
            ),
        );
        finding
            .help("add a `readinessProbe` that succeeds only once the container serves requests");
        finding.related(
            service.file(),
            service.pos(),
            format!("Service `{}` selects its pods", service.name()),
        );
    }
}

/// UPD012
fn on_delete_update_strategy(ctx: &mut Context<'_>, object: &Object) {
    let Some(kind) = object.root.path("spec.updateStrategy.type") else {
        return;
    };
    if kind.as_str() != Some("OnDelete") || is_controlled(object) {
        return;
    }
    ctx.report(
        &ON_DELETE_UPDATE_STRATEGY,
        object,
        kind.pos,
        "spec.updateStrategy.type",
        format!(
            "{} `{}` updates a pod only when someone deletes it, so template changes never roll out by themselves",
            object.kind(),
            object.name()
        ),
    )
    .help("use `updateStrategy: {type: RollingUpdate}`");
}
