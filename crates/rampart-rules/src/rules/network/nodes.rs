//! Pods of different security levels on one node: NET011.

use std::collections::BTreeMap;

use rampart_analysis::netpol::Workload;
use rampart_model::{Node, PodTemplate};

use crate::context::Context;
use crate::declare_rule;
use crate::pss::{self, Level, LevelVersion, Version};
use crate::rule::Check;

/// The label that names a workload's security level explicitly.
pub(crate) const SECURITY_LEVEL_LABEL: &str = "rampart.dev/security-level";

declare_rule! {
    /// ## What it does
    /// Checks for workloads of different security levels that the scheduler may place
    /// on the same node: a privileged pod (one that fails the Pod Security baseline
    /// level: privileged containers, host namespaces, hostPath, added capabilities...)
    /// next to pods that meet the restricted level, or pods whose
    /// `rampart.dev/security-level` labels differ.
    ///
    /// Two workloads are kept apart when their required node placement cannot overlap:
    /// `nodeName`s differ, or their `nodeSelector` and required node affinity ask for
    /// contradictory node labels (`In` sets with no common value, `In` against
    /// `NotIn`/`DoesNotExist`), or one runs on dedicated nodes — it tolerates a
    /// `NoSchedule`/`NoExecute` taint whose key it also requires as a node label, and
    /// the other does not tolerate that taint. DaemonSets (on every node by design) and
    /// `kube-system` are not checked.
    ///
    /// ## Why is this bad?
    /// A privileged or host-namespace pod is one container escape away from the node;
    /// from there it reads the memory, secrets and service-account tokens of every
    /// other pod on that node. Sensitive workloads hardened to the restricted level
    /// lose that hardening if they share the node with it.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Deployment   # privileged agent, schedulable anywhere
    /// spec: {template: {spec: {hostPID: true, containers: [...]}}}
    /// ---
    /// kind: Deployment   # payments, restricted, schedulable anywhere
    /// ```
    ///
    /// Use instead: pin the privileged workload to its own node pool.
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       nodeSelector: {pool: system}
    ///       tolerations: [{key: pool, value: system, effect: NoSchedule}]
    /// # and taint those nodes: kubectl taint nodes -l pool=system pool=system:NoSchedule
    /// ```
    ///
    /// ## Remediation
    /// Give privileged workloads dedicated nodes (taint + toleration + node selector),
    /// or keep sensitive workloads off them with node affinity.
    ///
    /// ## References
    /// - [Kubernetes: Taints and Tolerations, dedicated nodes](https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/#example-use-cases)
    /// - [Kubernetes: Assigning pods to nodes](https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/)
    pub(crate) MIXED_LEVELS_ON_NODE {
        code: "NET011",
        name: "mixed-security-levels-may-share-node",
        practice: Network,
        severity: Medium,
        status: Stable { since: "0.2.0" },
        check: Check::Inventory(mixed_levels),
    }
}

/// A required node label condition.
#[derive(Clone, Debug)]
enum Req {
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
}

/// Where a pod may run: any one of these terms (each an AND of label conditions).
#[derive(Clone, Debug)]
struct Placement {
    node_name: Option<String>,
    terms: Vec<BTreeMap<String, Vec<Req>>>,
    /// Taint keys tolerated with NoSchedule/NoExecute (or every effect); `None` key
    /// with `Exists` tolerates every taint.
    tolerated: Vec<Option<String>>,
}

impl Placement {
    fn of(pod: &PodTemplate<'_>) -> Self {
        let mut base: BTreeMap<String, Vec<Req>> = BTreeMap::new();
        for e in pod
            .node_selector()
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
        {
            if let Some(v) = e.value.scalar_string() {
                base.entry(e.key.to_string())
                    .or_default()
                    .push(Req::In(vec![v]));
            }
        }
        let terms_node = pod.field("affinity").and_then(|a| {
            a.path("nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")
        });
        let mut terms = Vec::new();
        for term in terms_node.and_then(Node::as_seq).unwrap_or_default() {
            let mut t = base.clone();
            for expr in term
                .get("matchExpressions")
                .and_then(Node::as_seq)
                .unwrap_or_default()
            {
                let key = expr
                    .get("key")
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_string();
                let values: Vec<String> = expr
                    .get("values")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Node::scalar_string)
                    .collect();
                let req = match expr.get("operator").and_then(Node::as_str) {
                    Some("In") => Req::In(values),
                    Some("NotIn") => Req::NotIn(values),
                    Some("Exists") => Req::Exists,
                    Some("DoesNotExist") => Req::DoesNotExist,
                    _ => continue, // Gt/Lt: not compared
                };
                t.entry(key).or_default().push(req);
            }
            terms.push(t);
        }
        if terms.is_empty() {
            terms.push(base);
        }
        let tolerated = pod
            .tolerations()
            .filter(|(_, t)| {
                t.get("effect")
                    .and_then(Node::as_str)
                    .is_none_or(|e| e.is_empty() || e == "NoSchedule" || e == "NoExecute")
            })
            .map(|(_, t)| {
                t.get("key")
                    .and_then(Node::scalar_string)
                    .filter(|k| !k.is_empty())
            })
            .collect();
        Placement {
            node_name: pod.node_name().map(str::to_string),
            terms,
            tolerated,
        }
    }

    fn tolerates(&self, key: &str) -> bool {
        self.tolerated
            .iter()
            .any(|k| k.as_deref().is_none_or(|k| k == key))
    }

    /// Taint keys this pod both tolerates and requires as a node label in every term:
    /// the dedicated-node pattern.
    fn dedicated_keys(&self) -> Vec<&str> {
        self.tolerated
            .iter()
            .flatten()
            .filter(|k| {
                self.terms.iter().all(|t| {
                    t.get(k.as_str()).is_some_and(|reqs| {
                        reqs.iter().any(|r| matches!(r, Req::In(_) | Req::Exists))
                    })
                })
            })
            .map(String::as_str)
            .collect()
    }

    /// Whether some node could take both pods.
    fn may_share(&self, other: &Placement) -> bool {
        if let (Some(a), Some(b)) = (&self.node_name, &other.node_name)
            && a != b
        {
            return false;
        }
        if self.dedicated_keys().iter().any(|k| !other.tolerates(k))
            || other.dedicated_keys().iter().any(|k| !self.tolerates(k))
        {
            return false;
        }
        self.terms
            .iter()
            .any(|a| other.terms.iter().any(|b| !terms_conflict(a, b)))
    }
}

fn terms_conflict(a: &BTreeMap<String, Vec<Req>>, b: &BTreeMap<String, Vec<Req>>) -> bool {
    a.iter().any(|(key, ra)| {
        b.get(key).is_some_and(|rb| {
            ra.iter().any(|x| {
                rb.iter()
                    .any(|y| reqs_conflict(x, y) || reqs_conflict(y, x))
            })
        })
    })
}

fn reqs_conflict(x: &Req, y: &Req) -> bool {
    match (x, y) {
        (Req::In(a), Req::In(b)) => !a.iter().any(|v| b.contains(v)),
        (Req::In(a), Req::NotIn(b)) => a.iter().all(|v| b.contains(v)),
        (Req::In(_) | Req::Exists, Req::DoesNotExist) => true,
        _ => false,
    }
}

/// What the rule knows of a workload.
struct Subject<'a> {
    workload: &'a Workload,
    placement: Placement,
    /// `Some(true)` privileged, `Some(false)` restricted, `None` in between.
    privileged: Option<bool>,
    label: Option<String>,
}

/// NET011
fn mixed_levels(ctx: &mut Context<'_>) {
    let net = ctx.network();
    let inventory = ctx.inventory;
    let latest = |level| LevelVersion {
        level,
        version: Version::Latest,
    };
    let subjects: Vec<Subject<'_>> = net
        .workloads
        .iter()
        .filter(|w| w.kind != "DaemonSet" && w.namespace != "kube-system")
        .filter_map(|w| {
            let object = inventory.objects.get(w.object)?;
            let pod = PodTemplate::of(object)?;
            let privileged = if !pss::evaluate(&pod, latest(Level::Baseline)).is_empty() {
                Some(true)
            } else if pss::evaluate(&pod, latest(Level::Restricted)).is_empty() {
                Some(false)
            } else {
                None
            };
            Some(Subject {
                workload: w,
                placement: Placement::of(&pod),
                privileged,
                label: pod.label(SECURITY_LEVEL_LABEL).map(str::to_string),
            })
        })
        .collect();
    // Only privileged or labelled workloads can be reported, and only restricted or
    // labelled ones can be their partners: compare those, and each placement pair once.
    let reportable: Vec<&Subject<'_>> = subjects
        .iter()
        .filter(|s| s.privileged == Some(true) || s.label.is_some())
        .collect();
    // Partners grouped by what decides the comparison: placement, restricted or not,
    // label. Each reportable workload is compared with each group once.
    let mut groups: std::collections::BTreeMap<(String, bool, Option<&str>), Vec<&Subject<'_>>> =
        std::collections::BTreeMap::new();
    for s in subjects
        .iter()
        .filter(|s| s.privileged == Some(false) || s.label.is_some())
    {
        groups
            .entry((
                format!("{:?}", s.placement),
                s.privileged == Some(false),
                s.label.as_deref(),
            ))
            .or_default()
            .push(s);
    }
    for &a in &reportable {
        let mut count = 0usize;
        let mut first: Option<String> = None;
        let mut why = "";
        for ((_, restricted, label), members) in &groups {
            let by_level = a.privileged == Some(true) && *restricted;
            let by_label = matches!((a.label.as_deref(), label), (Some(x), Some(y)) if x != *y);
            if !by_level && !by_label {
                continue;
            }
            let Some(b) = members.first() else {
                continue;
            };
            if !a.placement.may_share(&b.placement) {
                continue;
            }
            why = if by_level {
                "it fails the Pod Security baseline level and they meet restricted"
            } else {
                "their `rampart.dev/security-level` labels differ"
            };
            for m in members {
                if std::ptr::eq(a, *m) {
                    continue;
                }
                count += 1;
                if first.is_none() {
                    first = Some(m.workload.to_string());
                }
            }
        }
        let Some(first) = first else {
            continue;
        };
        let Some(object) = inventory.objects.get(a.workload.object) else {
            continue;
        };
        let Some(pod) = PodTemplate::of(object) else {
            continue;
        };
        let more = match count {
            0 | 1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        let path = pod.spec_path.to_string();
        ctx.report(
            &MIXED_LEVELS_ON_NODE,
            object,
            pod.spec_key_pos(),
            &path,
            format!(
                "`{}` may share a node with `{first}`{more} ({why}); no nodeName, node selector, affinity or taint keeps them apart",
                a.workload
            ),
        );
    }
}
