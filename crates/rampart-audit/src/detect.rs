//! Security detections on audit events.
//!
//! [`record`] parses one event and runs the detections that need only that event; it
//! is pure and runs on many threads at once. [`Analyzer`] then sees the records in
//! input order and keeps the state that spans events, in bounded memory: which
//! `auditID`s it has counted (a request is logged once per stage), the time window,
//! bursts of 403s per principal, and counters per principal (at most
//! [`Options::max_principals`] of them).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::Arc;

use rampart_model::{Node, Object, Origin, PodTemplate};
use rampart_rules::Severity;
use rampart_rules::pss::{self, Level, LevelVersion, Version};
use serde_json::{Value, json};

use crate::event::{Event, Stage};
use crate::read::Position;
use crate::time;

/// What a detection is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Secrets read (get/list/watch) by a principal that is not a system component.
    SecretRead,
    /// `pods/exec`, `pods/attach` or `pods/portforward`.
    PodExec,
    /// A request by `system:anonymous` (or the group `system:unauthenticated`) that
    /// succeeded, health and version endpoints aside.
    AnonymousRequest,
    /// A Role, ClusterRole or binding written that grants `cluster-admin` or wildcards.
    RbacGrant,
    /// A pod (or pod template) created or updated that Pod Security baseline forbids.
    PrivilegedPod,
    /// A ServiceAccount token requested (`serviceaccounts/token`) by a principal that
    /// is not a system component.
    TokenRequest,
    /// A request made while impersonating another user.
    Impersonation,
    /// `nodes/proxy`: the kubelet API, which runs commands in any pod on the node.
    NodeProxy,
    /// Many requests denied with 403 in a short time from one principal.
    ForbiddenBurst,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 9] = [
        Kind::SecretRead,
        Kind::PodExec,
        Kind::AnonymousRequest,
        Kind::RbacGrant,
        Kind::PrivilegedPod,
        Kind::TokenRequest,
        Kind::Impersonation,
        Kind::NodeProxy,
        Kind::ForbiddenBurst,
    ];

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::SecretRead => "secret-read",
            Kind::PodExec => "pod-exec",
            Kind::AnonymousRequest => "anonymous-request",
            Kind::RbacGrant => "rbac-grant",
            Kind::PrivilegedPod => "privileged-pod",
            Kind::TokenRequest => "token-request",
            Kind::Impersonation => "impersonation",
            Kind::NodeProxy => "node-proxy",
            Kind::ForbiddenBurst => "forbidden-burst",
        }
    }
}

/// The object a request was about (`objectRef`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// API group (empty for core).
    pub api_group: String,
    /// Resource.
    pub resource: String,
    /// Subresource.
    pub subresource: String,
    /// Namespace (empty: cluster-scoped or all namespaces).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl Target {
    /// `pods/exec default/web-1`, `secrets (all namespaces)`, `clusterroles.rbac.authorization.k8s.io/admin`.
    pub fn describe(&self) -> String {
        let mut s = self.resource.clone();
        if !self.api_group.is_empty() {
            let _ = write!(s, ".{}", self.api_group);
        }
        if !self.subresource.is_empty() {
            let _ = write!(s, "/{}", self.subresource);
        }
        match (self.namespace.as_str(), self.name.as_str()) {
            ("", "") => s.push_str(" (all namespaces or cluster-scoped)"),
            ("", name) => {
                let _ = write!(s, " {name}");
            }
            (ns, "") => {
                let _ = write!(s, " in {ns}");
            }
            (ns, name) => {
                let _ = write!(s, " {ns}/{name}");
            }
        }
        s
    }

    fn to_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (k, v) in [
            ("apiGroup", &self.api_group),
            ("resource", &self.resource),
            ("subresource", &self.subresource),
            ("namespace", &self.namespace),
            ("name", &self.name),
        ] {
            if !v.is_empty() {
                map.insert(k.to_string(), Value::String(v.clone()));
            }
        }
        Value::Object(map)
    }
}

/// One detection: what, how bad, and the request it was seen on. Carries metadata
/// only: request and response bodies are never copied into it.
#[derive(Clone, Debug)]
pub struct Detection {
    /// What.
    pub kind: Kind,
    /// How bad.
    pub severity: Severity,
    /// Whether the request was allowed (response code below 400).
    pub allowed: bool,
    /// When (`requestReceivedTimestamp` as written).
    pub time: String,
    /// The input.
    pub file: Arc<str>,
    /// Where in it.
    pub position: Position,
    /// Who authenticated.
    pub user: String,
    /// Their groups.
    pub groups: Vec<String>,
    /// Whom they impersonated, if anyone.
    pub impersonated: Option<String>,
    /// `sourceIPs`.
    pub source_ips: Vec<String>,
    /// The verb.
    pub verb: String,
    /// The object, for resource requests.
    pub target: Option<Target>,
    /// The path, for non-resource requests.
    pub path: String,
    /// The response code.
    pub code: Option<i64>,
    /// What was seen, in words.
    pub message: String,
}

impl Detection {
    /// The machine form (`-o json`).
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "kind": self.kind.name(),
            "severity": self.severity.as_str(),
            "allowed": self.allowed,
            "time": self.time,
            "file": &*self.file,
            "position": self.position.to_string(),
            "user": self.user,
            "groups": self.groups,
            "sourceIPs": self.source_ips,
            "verb": self.verb,
            "code": self.code,
            "message": self.message,
        });
        if let Some(map) = v.as_object_mut() {
            if let Some(i) = &self.impersonated {
                map.insert("impersonatedUser".into(), Value::String(i.clone()));
            }
            if let Some(t) = &self.target {
                map.insert("objectRef".into(), t.to_json());
            } else if !self.path.is_empty() {
                map.insert("path".into(), Value::String(self.path.clone()));
            }
        }
        v
    }
}

/// One event, parsed: what the [`Analyzer`] needs, and the detections it raised alone.
#[derive(Clone, Debug)]
pub struct Record {
    /// The input.
    pub file: Arc<str>,
    /// Where in it.
    pub position: Position,
    /// A hash of `auditID` (stages of one request share it).
    pub audit_id: Option<u64>,
    /// The stage.
    pub stage: Stage,
    /// `requestReceivedTimestamp` in microseconds since the epoch.
    pub time: Option<i64>,
    /// The time as written.
    pub time_text: Box<str>,
    /// Who authenticated.
    pub user: Box<str>,
    /// The response code.
    pub code: Option<i64>,
    /// Detections that need only this event.
    pub detections: Vec<Detection>,
}

/// FNV-1a: `auditID`s are UUIDs, 64 bits keep collisions out of reach for the
/// window of IDs remembered.
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Parses one event and runs the single-event detections.
pub fn record(bytes: &[u8], file: &Arc<str>, position: Position) -> Result<Record, String> {
    let event = Event::parse(bytes).map_err(|e| e.to_string())?;
    if let Some(kind) = event.kind.as_ref().map(crate::event::Str::as_str)
        && kind != "Event"
    {
        return Err(format!("not an audit Event (kind `{kind}`)"));
    }
    if event.verb.is_none() && event.request_uri.is_none() {
        return Err("not an audit Event (no `verb` nor `requestURI`)".to_string());
    }
    let detections = detect(&event, file, position);
    let time_text = event.time();
    Ok(Record {
        file: Arc::clone(file),
        position,
        audit_id: event.audit_id.as_ref().map(|id| hash(id.as_str())),
        stage: event.stage(),
        time: time::parse(time_text),
        time_text: time_text.into(),
        user: event.user.name().into(),
        code: event.code(),
        detections,
    })
}

/// System components: `system:` users other than ServiceAccounts, and ServiceAccounts
/// of `kube-system`. Their secret reads and token requests are the cluster at work.
pub fn is_system(user: &str) -> bool {
    match user.strip_prefix("system:serviceaccount:") {
        Some(rest) => rest.starts_with("kube-system:"),
        None => user.starts_with("system:"),
    }
}

/// Paths `system:public-info-viewer` opens to anonymous users by default.
fn is_public_info(path: &str) -> bool {
    ["/healthz", "/livez", "/readyz", "/version"]
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/')))
}

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The kind a workload resource stores, for Pod Security evaluation.
fn workload_kind(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "pods" => "Pod",
        "deployments" => "Deployment",
        "replicasets" => "ReplicaSet",
        "statefulsets" => "StatefulSet",
        "daemonsets" => "DaemonSet",
        "jobs" => "Job",
        "cronjobs" => "CronJob",
        "replicationcontrollers" => "ReplicationController",
        "podtemplates" => "PodTemplate",
        _ => return None,
    })
}

fn detect(event: &Event<'_>, file: &Arc<str>, position: Position) -> Vec<Detection> {
    let mut out = Vec::new();
    let verb = event.verb();
    let effective = event.effective_user();
    let allowed = event.allowed();
    let target = event.object_ref.as_ref();
    let (group, resource, sub, namespace) = target.map_or(("", "", "", ""), |t| {
        (t.api_group(), t.resource(), t.subresource(), t.namespace())
    });
    let mut add = |kind: Kind, severity: Severity, message: String| {
        out.push(Detection {
            kind,
            // A denied attempt is worth knowing, not an incident.
            severity: if allowed || kind == Kind::ForbiddenBurst {
                severity
            } else {
                Severity::Low
            },
            allowed,
            time: event.time().to_string(),
            file: Arc::clone(file),
            position,
            user: event.user.name().to_string(),
            groups: event.user.groups().map(str::to_string).collect(),
            impersonated: event
                .impersonated_user
                .as_ref()
                .map(|u| u.name().to_string()),
            source_ips: event.source_ips().map(str::to_string).collect(),
            verb: verb.to_string(),
            target: target.map(|t| Target {
                api_group: t.api_group().to_string(),
                resource: t.resource().to_string(),
                subresource: t.subresource().to_string(),
                namespace: t.namespace().to_string(),
                name: t.name().to_string(),
            }),
            path: if target.is_none() {
                event.path().to_string()
            } else {
                String::new()
            },
            code: event.code(),
            message,
        });
    };
    let who = effective.name();
    let denied = if allowed { "" } else { " (denied)" };

    // Secrets read by people and workloads, not by the control plane.
    if group.is_empty()
        && resource == "secrets"
        && sub.is_empty()
        && matches!(verb, "get" | "list" | "watch")
        && !is_system(who)
    {
        let (severity, scope) = match (verb, namespace) {
            ("get", _) => (Severity::Low, String::new()),
            (_, "") => (Severity::High, " in every namespace".to_string()),
            (_, ns) => (Severity::Medium, format!(" in `{ns}`")),
        };
        add(
            Kind::SecretRead,
            severity,
            format!("`{who}` {verb} secrets{scope}{denied}"),
        );
    }

    if group.is_empty() && resource == "pods" && matches!(sub, "exec" | "attach" | "portforward") {
        let severity = if namespace == "kube-system" {
            Severity::High
        } else {
            Severity::Medium
        };
        add(
            Kind::PodExec,
            severity,
            format!(
                "`{who}` {sub} into pod `{namespace}/{}`{denied}",
                target.map_or("", |t| t.name())
            ),
        );
    }

    let anonymous =
        who == "system:anonymous" || effective.groups().any(|g| g == "system:unauthenticated");
    if anonymous
        && event.code().is_some_and(|c| c < 400)
        && !(target.is_none() && is_public_info(event.path()))
    {
        let what = target.map_or_else(
            || event.path().to_string(),
            |t| {
                Target {
                    api_group: group.to_string(),
                    resource: resource.to_string(),
                    subresource: sub.to_string(),
                    namespace: namespace.to_string(),
                    name: t.name().to_string(),
                }
                .describe()
            },
        );
        add(
            Kind::AnonymousRequest,
            Severity::High,
            format!(
                "anonymous {verb} on {what} succeeded ({})",
                event.code().unwrap_or_default()
            ),
        );
    }

    if group == RBAC_GROUP
        && sub.is_empty()
        && matches!(verb, "create" | "update" | "patch")
        && let Some(raw) = event.request_object
        && let Ok(body) = serde_json::from_str::<Value>(raw.get())
        && let Some((severity, message)) = rbac_grant(resource, &body)
    {
        add(
            Kind::RbacGrant,
            severity,
            format!("`{who}` {verb} {resource}: {message}{denied}"),
        );
    }

    if sub.is_empty()
        && matches!(verb, "create" | "update" | "patch")
        && let Some(kind) = workload_kind(resource)
        && let Some(raw) = event.request_object
        && let Some((severity, message)) =
            pod_security(kind, raw.get(), namespace, target.map_or("", |t| t.name()))
    {
        add(
            Kind::PrivilegedPod,
            severity,
            format!("`{who}` {verb} {message}{denied}"),
        );
    }

    if group.is_empty()
        && resource == "serviceaccounts"
        && sub == "token"
        && verb == "create"
        && !is_system(who)
    {
        add(
            Kind::TokenRequest,
            Severity::Medium,
            format!(
                "`{who}` requested a token for ServiceAccount `{namespace}/{}`{denied}",
                target.map_or("", |t| t.name())
            ),
        );
    }

    if let Some(as_user) = &event.impersonated_user {
        let masters = as_user.groups().any(|g| g == "system:masters");
        let groups: Vec<&str> = as_user.groups().collect();
        add(
            Kind::Impersonation,
            if masters {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "`{}` acted as `{}`{}{denied}",
                event.user.name(),
                as_user.name(),
                if groups.is_empty() {
                    String::new()
                } else {
                    format!(" (groups {})", groups.join(", "))
                }
            ),
        );
    } else if verb == "impersonate" {
        add(
            Kind::Impersonation,
            Severity::Medium,
            format!(
                "`{who}` asked to impersonate {resource} `{}`{denied}",
                target.map_or("", |t| t.name())
            ),
        );
    }

    if group.is_empty() && resource == "nodes" && sub == "proxy" {
        add(
            Kind::NodeProxy,
            Severity::High,
            format!(
                "`{who}` {verb} through the kubelet API of node `{}`{denied}",
                target.map_or("", |t| t.name())
            ),
        );
    }
    out
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn contains_string(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s == needle,
        Value::Array(a) => a.iter().any(|x| contains_string(x, needle)),
        Value::Object(o) => o.values().any(|x| contains_string(x, needle)),
        _ => false,
    }
}

/// What an RBAC write grants that matters: a binding to `cluster-admin`, or rules
/// with `*`. Reads objects (create, update, merge patches) and JSON patches.
fn rbac_grant(resource: &str, body: &Value) -> Option<(Severity, String)> {
    let binding = matches!(resource, "rolebindings" | "clusterrolebindings");
    let role = matches!(resource, "roles" | "clusterroles");
    if let Some(ops) = body.as_array() {
        // A JSON patch: look at what the operations write.
        let path_of = |op: &Value| {
            op.get("path")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let hits = |prefix: &str, needle: &str| {
            ops.iter().any(|op| {
                path_of(op).starts_with(prefix)
                    && op.get("value").is_some_and(|v| contains_string(v, needle))
            })
        };
        if binding && hits("/roleRef", "cluster-admin") {
            return Some((
                Severity::Critical,
                "patch binds ClusterRole `cluster-admin`".into(),
            ));
        }
        if role && (hits("/rules", "*")) {
            return Some((Severity::High, "patch adds rules with `*`".into()));
        }
        return None;
    }
    let name = body
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if binding {
        let role_ref = body.get("roleRef")?;
        if role_ref.get("name").and_then(Value::as_str) != Some("cluster-admin")
            || role_ref
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k != "ClusterRole")
        {
            return None;
        }
        let subjects: Vec<String> = body
            .get("subjects")
            .and_then(Value::as_array)
            .map(|s| {
                s.iter()
                    .map(|s| {
                        let text = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or_default();
                        if text("namespace").is_empty() {
                            format!("{} {}", text("kind"), text("name"))
                        } else {
                            format!("{} {}/{}", text("kind"), text("namespace"), text("name"))
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        return Some((
            Severity::Critical,
            format!(
                "`{name}` binds ClusterRole `cluster-admin` to {}",
                if subjects.is_empty() {
                    "no subject yet".to_string()
                } else {
                    subjects.join(", ")
                }
            ),
        ));
    }
    if role {
        let rules = body.get("rules").and_then(Value::as_array)?;
        let mut wild = Vec::new();
        for rule in rules {
            for field in ["verbs", "apiGroups", "resources", "nonResourceURLs"] {
                if strings(rule.get(field)).contains(&"*") && !wild.contains(&field) {
                    wild.push(field);
                }
            }
        }
        if !wild.is_empty() {
            return Some((
                Severity::High,
                format!("`{name}` grants `*` in {}", wild.join(", ")),
            ));
        }
    }
    None
}

/// Pod Security baseline on a pod or workload body; `None` when it passes.
fn pod_security(kind: &str, raw: &str, namespace: &str, name: &str) -> Option<(Severity, String)> {
    let value: Value = serde_json::from_str(raw).ok()?;
    if !value.is_object() {
        return None;
    }
    let mut root = Node::from_json(&value);
    // Patches carry no kind; the resource tells.
    root.set_default_str("kind", kind);
    let object = Object::new(root, Origin::Memory, String::new());
    let template = PodTemplate::of(&object)?;
    let level = LevelVersion {
        level: Level::Baseline,
        version: Version::Latest,
    };
    let violations = pss::evaluate(&template, level);
    if violations.is_empty() {
        return None;
    }
    let severe = violations
        .iter()
        .any(|v| matches!(v.check, "privileged" | "hostNamespaces" | "hostPathVolumes"));
    let name = if name.is_empty() { object.name() } else { name };
    let list: Vec<String> = violations
        .iter()
        .map(|v| format!("{} ({})", v.reason, v.detail))
        .collect();
    Some((
        if severe {
            Severity::High
        } else {
            Severity::Medium
        },
        format!(
            "{kind} `{}{name}` that Pod Security baseline forbids: {}",
            if namespace.is_empty() {
                String::new()
            } else {
                format!("{namespace}/")
            },
            list.join("; ")
        ),
    ))
}

/// Settings of the [`Analyzer`].
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Only events at or after this time (microseconds since the epoch).
    pub since: Option<i64>,
    /// Only events before this time.
    pub until: Option<i64>,
    /// 403s from one principal within [`Options::burst_window`] that make a burst.
    pub burst_threshold: usize,
    /// The sliding window for bursts, in microseconds.
    pub burst_window: i64,
    /// Principals with counters; events of further principals are counted in total only.
    pub max_principals: usize,
    /// `auditID`s remembered to count each request once (two generations of this size).
    pub dedup_window: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            since: None,
            until: None,
            burst_threshold: 20,
            burst_window: 60_000_000,
            max_principals: 10_000,
            dedup_window: 1 << 16,
        }
    }
}

#[derive(Debug, Default)]
struct Principal {
    events: u64,
    forbidden: u64,
    detections: u64,
    recent_403: VecDeque<i64>,
    in_burst: bool,
}

enum Slot {
    Done,
    Pending(u64, Box<Record>),
}

/// One principal in the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalSummary {
    /// The user name.
    pub user: String,
    /// Requests counted.
    pub events: u64,
    /// Of which denied with 403.
    pub forbidden: u64,
    /// Detections raised.
    pub detections: u64,
}

/// A malformed input line (or item).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// The input.
    pub file: Arc<str>,
    /// Where.
    pub position: Position,
    /// What is wrong.
    pub message: String,
}

/// What a whole run saw.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Events parsed.
    pub read: u64,
    /// Requests analysed (one per `auditID`, inside the time window).
    pub requests: u64,
    /// Events skipped because another stage of the same request was counted.
    pub duplicate_stages: u64,
    /// Events outside `--since`/`--until`.
    pub outside_window: u64,
    /// Malformed lines or items.
    pub malformed: u64,
    /// The first malformed inputs (at most 100).
    pub malformed_first: Vec<Malformed>,
    /// Earliest request time.
    pub first: Option<i64>,
    /// Latest request time.
    pub last: Option<i64>,
    /// Detections per kind.
    pub by_kind: BTreeMap<Kind, u64>,
    /// Detections per severity.
    pub by_severity: BTreeMap<Severity, u64>,
    /// The principals with the most detections, then the most requests (at most 10).
    pub top_principals: Vec<PrincipalSummary>,
    /// Distinct principals with counters.
    pub principals: u64,
    /// Requests from principals beyond [`Options::max_principals`] (not in per-principal counters).
    pub untracked_requests: u64,
}

impl Summary {
    /// Whether any detection is high or critical.
    pub fn has_high(&self) -> bool {
        self.by_severity
            .iter()
            .any(|(s, n)| *s >= Severity::High && *n > 0)
    }

    /// The machine form.
    pub fn to_json(&self) -> Value {
        json!({
            "eventsRead": self.read,
            "requests": self.requests,
            "duplicateStages": self.duplicate_stages,
            "outsideWindow": self.outside_window,
            "malformed": self.malformed,
            "malformedFirst": self.malformed_first.iter().map(|m| json!({"file": &*m.file, "position": m.position.to_string(), "message": m.message})).collect::<Vec<_>>(),
            "first": self.first.map(time::format),
            "last": self.last.map(time::format),
            "detections": self.by_kind.iter().map(|(k, n)| (k.name().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "bySeverity": self.by_severity.iter().rev().map(|(s, n)| (s.as_str().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "topPrincipals": self.top_principals.iter().map(|p| json!({"user": p.user, "requests": p.events, "forbidden": p.forbidden, "detections": p.detections})).collect::<Vec<_>>(),
            "principals": self.principals,
            "untrackedRequests": self.untracked_requests,
        })
    }
}

/// The state that spans events. Feed it records in input order with
/// [`Analyzer::observe`], then call [`Analyzer::finish`].
pub struct Analyzer {
    options: Options,
    current: HashMap<u64, Slot>,
    previous: HashMap<u64, Slot>,
    principals: HashMap<Box<str>, Principal>,
    summary: Summary,
    sequence: u64,
}

impl Analyzer {
    /// A fresh analyzer.
    pub fn new(options: Options) -> Self {
        Analyzer {
            options,
            current: HashMap::new(),
            previous: HashMap::new(),
            principals: HashMap::new(),
            summary: Summary::default(),
            sequence: 0,
        }
    }

    /// Counts a malformed line or item.
    pub fn malformed(&mut self, file: &Arc<str>, position: Position, message: String) {
        self.summary.malformed += 1;
        if self.summary.malformed_first.len() < 100 {
            self.summary.malformed_first.push(Malformed {
                file: Arc::clone(file),
                position,
                message,
            });
        }
    }

    /// Takes one event in input order; `emit` receives its detections once the
    /// request is counted (for a request logged only at `RequestReceived`, when no
    /// later stage turned up among the next IDs).
    pub fn observe(&mut self, record: Record, emit: &mut dyn FnMut(Detection)) {
        self.summary.read += 1;
        self.sequence += 1;
        if let Some(t) = record.time
            && (self.options.since.is_some_and(|s| t < s)
                || self.options.until.is_some_and(|u| t >= u))
        {
            self.summary.outside_window += 1;
            return;
        }
        let Some(id) = record.audit_id else {
            self.process(record, emit);
            return;
        };
        let slot = match self.current.get_mut(&id) {
            Some(slot) => Some(slot),
            None => self.previous.get_mut(&id),
        };
        match (record.stage, slot) {
            (Stage::RequestReceived, Some(_)) | (_, Some(Slot::Done)) => {
                self.summary.duplicate_stages += 1;
            }
            (_, Some(slot)) => {
                // A later stage of a request seen at RequestReceived: count this one.
                *slot = Slot::Done;
                self.summary.duplicate_stages += 1;
                self.process(record, emit);
            }
            (Stage::RequestReceived, None) => {
                let seq = self.sequence;
                self.remember(id, Slot::Pending(seq, Box::new(record)), emit);
            }
            (_, None) => {
                self.remember(id, Slot::Done, emit);
                self.process(record, emit);
            }
        }
    }

    fn remember(&mut self, id: u64, slot: Slot, emit: &mut dyn FnMut(Detection)) {
        if self.current.len() >= self.options.dedup_window.max(1) {
            let old = std::mem::replace(&mut self.previous, std::mem::take(&mut self.current));
            self.flush(old, emit);
        }
        self.current.insert(id, slot);
    }

    /// Counts requests seen only at `RequestReceived`, in input order.
    fn flush(&mut self, slots: HashMap<u64, Slot>, emit: &mut dyn FnMut(Detection)) {
        let mut pending: Vec<(u64, Box<Record>)> = slots
            .into_values()
            .filter_map(|s| match s {
                Slot::Pending(seq, r) => Some((seq, r)),
                Slot::Done => None,
            })
            .collect();
        pending.sort_by_key(|(seq, _)| *seq);
        for (_, record) in pending {
            self.process(*record, emit);
        }
    }

    fn process(&mut self, record: Record, emit: &mut dyn FnMut(Detection)) {
        let s = &mut self.summary;
        s.requests += 1;
        if let Some(t) = record.time {
            s.first = Some(s.first.map_or(t, |f| f.min(t)));
            s.last = Some(s.last.map_or(t, |l| l.max(t)));
        }
        if !self.principals.contains_key(&*record.user)
            && self.principals.len() < self.options.max_principals
        {
            self.principals
                .insert(record.user.clone(), Principal::default());
        }
        let mut burst = None;
        if let Some(p) = self.principals.get_mut(&*record.user) {
            p.events += 1;
            p.detections += record.detections.len() as u64;
            if record.code == Some(403) {
                p.forbidden += 1;
                if let Some(t) = record.time {
                    let window = self.options.burst_window;
                    while p.recent_403.front().is_some_and(|f| *f <= t - window) {
                        p.recent_403.pop_front();
                    }
                    if p.recent_403.is_empty() {
                        p.in_burst = false;
                    }
                    p.recent_403.push_back(t);
                    if p.recent_403.len() > self.options.burst_threshold {
                        p.recent_403.pop_front();
                    }
                    if !p.in_burst && p.recent_403.len() >= self.options.burst_threshold {
                        p.in_burst = true;
                        p.detections += 1;
                        burst = p.recent_403.front().copied();
                    }
                }
            }
        } else {
            s.untracked_requests += 1;
        }
        for d in record.detections {
            *s.by_kind.entry(d.kind).or_default() += 1;
            *s.by_severity.entry(d.severity).or_default() += 1;
            emit(d);
        }
        if let Some(start) = burst {
            let d = Detection {
                kind: Kind::ForbiddenBurst,
                severity: Severity::Medium,
                allowed: false,
                time: record.time_text.to_string(),
                file: record.file,
                position: record.position,
                user: record.user.to_string(),
                groups: Vec::new(),
                impersonated: None,
                source_ips: Vec::new(),
                verb: String::new(),
                target: None,
                path: String::new(),
                code: Some(403),
                message: format!(
                    "`{}` was denied {} requests with 403 within {} s (from {})",
                    record.user,
                    self.options.burst_threshold,
                    self.options.burst_window / 1_000_000,
                    time::format(start)
                ),
            };
            *s.by_kind.entry(d.kind).or_default() += 1;
            *s.by_severity.entry(d.severity).or_default() += 1;
            emit(d);
        }
    }

    /// Counts what is still pending and returns the summary.
    pub fn finish(mut self, emit: &mut dyn FnMut(Detection)) -> Summary {
        let mut rest = std::mem::take(&mut self.previous);
        rest.extend(std::mem::take(&mut self.current));
        self.flush(rest, emit);
        let mut top: Vec<PrincipalSummary> = self
            .principals
            .iter()
            .map(|(user, p)| PrincipalSummary {
                user: user.to_string(),
                events: p.events,
                forbidden: p.forbidden,
                detections: p.detections,
            })
            .collect();
        top.sort_by(|a, b| {
            b.detections
                .cmp(&a.detections)
                .then(b.events.cmp(&a.events))
                .then_with(|| a.user.cmp(&b.user))
        });
        top.truncate(10);
        self.summary.top_principals = top;
        self.summary.principals = self.principals.len() as u64;
        self.summary
    }
}
