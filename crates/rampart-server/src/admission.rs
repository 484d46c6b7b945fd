//! AdmissionReview in, AdmissionReview out: the decision logic, free of HTTP.
//!
//! The incoming object runs through the same rules as a scan, with the cluster context
//! it needs (its Namespace for Pod Security labels, the RBAC objects for escalation
//! checks, NetworkPolicies and workloads for exposure). Only findings about the object
//! itself count. Each finding is then denied, warned about or recorded as an audit
//! annotation, by rule or by severity.

use std::collections::{BTreeMap, HashMap};

use rampart_model::{Inventory, Node, Object, Origin};
use rampart_rules::{Finding, Selection, Settings, Severity};
use serde::{Deserialize, Serialize};

/// What to do with a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Reject the request.
    Deny,
    /// Admit it with a warning the client sees (`kubectl` prints it).
    Warn,
    /// Admit it and record an audit annotation.
    Audit,
    /// Ignore the finding.
    Ignore,
}

impl Action {
    /// Parses `deny`, `warn`, `audit` or `ignore`.
    pub fn parse(text: &str) -> Option<Action> {
        Some(match text {
            "deny" => Action::Deny,
            "warn" => Action::Warn,
            "audit" => Action::Audit,
            "ignore" => Action::Ignore,
            _ => return None,
        })
    }
}

/// How findings become admission decisions.
#[derive(Clone, Debug)]
pub struct Enforcement {
    /// Deny at or above this severity.
    pub deny_at: Option<Severity>,
    /// Warn at or above this severity (below `deny_at`).
    pub warn_at: Option<Severity>,
    /// Everything else becomes an audit annotation.
    pub audit: bool,
    /// Per rule code or name: overrides the severity thresholds.
    pub rules: HashMap<String, Action>,
    /// Namespaces whose requests are always admitted untouched.
    pub exempt_namespaces: Vec<String>,
    /// Scan settings (Pod Security defaults, built-in RBAC).
    pub settings: Settings,
}

impl Default for Enforcement {
    fn default() -> Self {
        Enforcement {
            deny_at: Some(Severity::High),
            warn_at: Some(Severity::Low),
            audit: true,
            rules: HashMap::new(),
            exempt_namespaces: vec!["kube-system".into()],
            settings: Settings::default(),
        }
    }
}

impl Enforcement {
    /// The action for a finding.
    pub fn action(&self, finding: &Finding) -> Action {
        if let Some(a) = self
            .rules
            .get(finding.rule.code)
            .or_else(|| self.rules.get(finding.rule.name))
        {
            return *a;
        }
        if self.deny_at.is_some_and(|t| finding.severity >= t) {
            Action::Deny
        } else if self.warn_at.is_some_and(|t| finding.severity >= t) {
            Action::Warn
        } else if self.audit {
            Action::Audit
        } else {
            Action::Ignore
        }
    }
}

/// The cluster around the requests: Namespaces, RBAC objects, NetworkPolicies,
/// Services and workloads, as a snapshot or the manifests of a cluster give them.
#[derive(Clone, Debug, Default)]
pub struct ClusterContext {
    namespaces: HashMap<String, Object>,
    rbac: Vec<Object>,
    network: HashMap<String, Vec<Object>>,
}

/// Kinds whose pods a NetworkPolicy or Service can select.
const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
];

const RBAC_KINDS: &[&str] = &[
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ServiceAccount",
];

impl ClusterContext {
    /// Keeps the objects the rules need as context.
    pub fn new(objects: impl IntoIterator<Item = Object>) -> Self {
        let mut context = ClusterContext::default();
        for mut object in objects {
            object.origin = Origin::Memory;
            let kind = object.kind().to_string();
            if kind == "Namespace" {
                context.namespaces.insert(object.name().to_string(), object);
            } else if RBAC_KINDS.contains(&kind.as_str()) {
                context.rbac.push(object);
            } else if kind == "NetworkPolicy"
                || kind == "Service"
                || WORKLOAD_KINDS.contains(&kind.as_str())
            {
                let ns = object.namespace().unwrap_or("default").to_string();
                context.network.entry(ns).or_default().push(object);
            }
        }
        context
    }

    /// How many objects it holds.
    pub fn len(&self) -> usize {
        self.namespaces.len() + self.rbac.len() + self.network.values().map(Vec::len).sum::<usize>()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An `admission.k8s.io/v1` AdmissionReview request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Review {
    api_version: Option<String>,
    kind: Option<String>,
    request: Option<Request>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    uid: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    object: Option<serde_json::Value>,
    #[serde(default)]
    dry_run: Option<bool>,
}

/// The response half of an AdmissionReview.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The request's uid.
    pub uid: String,
    /// Whether it is admitted.
    pub allowed: bool,
    /// Why not (HTTP-like code and message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Warnings shown to the client.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Audit annotations (`key` → value), prefixed by the API server with the
    /// webhook's name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

/// The status of a denial.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Status {
    /// 403 for a policy denial.
    pub code: u16,
    /// The reasons.
    pub message: String,
}

/// The outcome of one review, with what metrics need.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The response to send.
    pub response: Response,
    /// Codes of the rules that denied.
    pub denied_by: Vec<&'static str>,
    /// Whether the request was a dry run.
    pub dry_run: bool,
}

/// Why a body is not an AdmissionReview we can answer (HTTP 400).
#[derive(Debug, PartialEq, Eq)]
pub struct BadRequest(pub String);

/// At most this many warnings (the API server truncates long lists anyway).
const MAX_WARNINGS: usize = 20;
/// Warnings longer than this are cut (the API server limits each to 120 characters in
/// `kubectl` output and the list to 4 KiB).
const MAX_WARNING_CHARS: usize = 200;

/// Decides one AdmissionReview body.
pub fn review(
    body: &[u8],
    context: &ClusterContext,
    enforcement: &Enforcement,
) -> Result<Outcome, BadRequest> {
    let review: Review = serde_json::from_slice(body)
        .map_err(|e| BadRequest(format!("not an AdmissionReview: {e}")))?;
    if review
        .kind
        .as_deref()
        .is_some_and(|k| k != "AdmissionReview")
    {
        return Err(BadRequest("`kind` must be AdmissionReview".into()));
    }
    if review
        .api_version
        .as_deref()
        .is_some_and(|v| v != "admission.k8s.io/v1" && v != "admission.k8s.io/v1beta1")
    {
        return Err(BadRequest(
            "`apiVersion` must be admission.k8s.io/v1".into(),
        ));
    }
    let request = review
        .request
        .ok_or_else(|| BadRequest("no `request`".into()))?;
    if request.uid.is_empty() {
        return Err(BadRequest("`request.uid` is empty".into()));
    }
    let dry_run = request.dry_run.unwrap_or(false);
    let allow = |uid: String| Outcome {
        response: Response {
            uid,
            allowed: true,
            status: None,
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
        },
        denied_by: Vec::new(),
        dry_run,
    };
    if matches!(request.operation.as_str(), "DELETE" | "CONNECT")
        || enforcement.exempt_namespaces.contains(&request.namespace)
    {
        return Ok(allow(request.uid));
    }
    let Some(value) = request.object.filter(serde_json::Value::is_object) else {
        return Err(BadRequest(
            "`request.object` is missing or not an object".into(),
        ));
    };
    let mut object = Object::new(Node::from_json(&value), Origin::Memory, String::new());
    // An object in a namespaced request may omit its namespace: the request's counts.
    if object.id.namespace.is_some() && !request.namespace.is_empty() {
        object.id.namespace = Some(request.namespace.clone());
    }
    let findings = evaluate(object, context, enforcement);
    let mut outcome = allow(request.uid);
    let mut denials = Vec::new();
    for f in &findings {
        let text = format!("{} {}: {}", f.rule.code, f.rule.name, f.message);
        match enforcement.action(f) {
            Action::Deny => {
                outcome.denied_by.push(f.rule.code);
                denials.push(text);
            }
            Action::Warn => {
                if outcome.response.warnings.len() < MAX_WARNINGS {
                    outcome
                        .response
                        .warnings
                        .push(truncate(&text, MAX_WARNING_CHARS));
                }
            }
            Action::Audit => {
                let key = format!("rampart.dev/{}", f.rule.code.to_ascii_lowercase());
                outcome
                    .response
                    .audit_annotations
                    .entry(key)
                    .and_modify(|v| {
                        v.push_str("; ");
                        v.push_str(&f.message);
                    })
                    .or_insert_with(|| f.message.clone());
            }
            Action::Ignore => {}
        }
    }
    if !denials.is_empty() {
        outcome.response.allowed = false;
        outcome.response.status = Some(Status {
            code: 403,
            message: format!("denied by Rampart: {}", denials.join("; ")),
        });
    }
    Ok(outcome)
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Which rules can say something about an object of this kind, and what context they
/// need.
fn selection_for(kind: &str) -> (Vec<String>, Context) {
    let s = |codes: &[&str]| codes.iter().map(ToString::to_string).collect();
    match kind {
        k if WORKLOAD_KINDS.contains(&k) => (s(&["POD", "SEC", "UPD", "NET004"]), Context::Network),
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => {
            (s(&["RBAC"]), Context::Rbac)
        }
        "NetworkPolicy" => (
            s(&["NET005", "NET006", "NET007", "NET008", "NET009", "NET012"]),
            Context::Network,
        ),
        "Service" => (s(&["NET010"]), Context::Network),
        "Secret" | "ConfigMap" => (s(&["SEC"]), Context::None),
        "Namespace" => (s(&["POD"]), Context::None),
        "Policy" => (s(&["AUD"]), Context::None),
        _ => (Vec::new(), Context::None),
    }
}

enum Context {
    None,
    Rbac,
    Network,
}

/// Runs the rules for the object with its context; returns the findings on the object.
fn evaluate(object: Object, context: &ClusterContext, enforcement: &Enforcement) -> Vec<Finding> {
    let (select, needs) = selection_for(object.kind());
    if select.is_empty() {
        return Vec::new();
    }
    let namespace = object.namespace().map(str::to_string);
    let identity = (
        object.kind().to_string(),
        object.id.namespace.clone(),
        object.name().to_string(),
    );
    let same = |o: &Object| {
        (o.kind(), o.id.namespace.as_ref(), o.name())
            == (
                identity.0.as_str(),
                identity.1.as_ref(),
                identity.2.as_str(),
            )
    };
    let mut objects = vec![object];
    if let Some(ns) = namespace.as_deref().and_then(|n| context.namespaces.get(n)) {
        objects.push(ns.clone());
    }
    let rbac_kind = matches!(needs, Context::Rbac);
    match needs {
        Context::Rbac => objects.extend(context.rbac.iter().filter(|o| !same(o)).cloned()),
        Context::Network => {
            if let Some(list) = namespace.as_deref().and_then(|n| context.network.get(n)) {
                objects.extend(list.iter().filter(|o| !same(o)).cloned());
            }
        }
        Context::None => {}
    }
    // The bootstrap RBAC policy matters only to the RBAC rules; building it for every
    // Pod would cost more than the Pod's own rules.
    let settings = Settings {
        builtin_rbac: rbac_kind && enforcement.settings.builtin_rbac,
        ..enforcement.settings.clone()
    };
    let inventory = Inventory::new(rampart_model::Files::default(), objects, None);
    let selection = Selection {
        select,
        ignore: Vec::new(),
    };
    let outcome = rampart_rules::engine::run(&inventory, &selection, &settings);
    outcome
        .findings
        .into_iter()
        .filter(|f| f.object_index == Some(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(object: &serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "7f0b2d8e",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "operation": "CREATE",
                "namespace": "shop",
                "object": object,
            }
        }))
        .unwrap()
    }

    fn privileged_pod() -> serde_json::Value {
        serde_json::json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "securityContext": {"privileged": true}}]}
        })
    }

    #[test]
    fn a_privileged_pod_is_denied_with_the_rule_named() {
        let out = review(
            &body(&privileged_pod()),
            &ClusterContext::default(),
            &Enforcement::default(),
        )
        .unwrap();
        assert!(!out.response.allowed);
        let status = out.response.status.unwrap();
        assert_eq!(status.code, 403);
        assert!(status.message.contains("privileged"), "{}", status.message);
        assert_eq!(out.response.uid, "7f0b2d8e");
        assert!(!out.denied_by.is_empty());
    }

    #[test]
    fn a_restricted_pod_is_admitted() {
        let pod = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"},
            "spec": {
                "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                "automountServiceAccountToken": false,
                "containers": [{"name": "c", "image": "nginx:1.27.3@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true},
                "resources": {"limits": {"memory": "128Mi", "cpu": "500m"}, "requests": {"memory": "64Mi", "cpu": "100m"}}}]
            }
        });
        let out = review(
            &body(&pod),
            &ClusterContext::default(),
            &Enforcement::default(),
        )
        .unwrap();
        assert!(out.response.allowed, "{:?}", out.response);
    }

    #[test]
    fn rules_can_be_switched_to_warn_and_namespaces_exempted() {
        let mut enforcement = Enforcement {
            deny_at: None,
            ..Enforcement::default()
        };
        let out = review(
            &body(&privileged_pod()),
            &ClusterContext::default(),
            &enforcement,
        )
        .unwrap();
        assert!(out.response.allowed);
        assert!(
            out.response
                .warnings
                .iter()
                .any(|w| w.contains("privileged"))
        );
        enforcement.exempt_namespaces = vec!["shop".into()];
        let out = review(
            &body(&privileged_pod()),
            &ClusterContext::default(),
            &enforcement,
        )
        .unwrap();
        assert!(out.response.allowed && out.response.warnings.is_empty());
    }

    #[test]
    fn garbage_is_a_bad_request_with_a_reason() {
        for bad in [
            &b"{"[..],
            b"[]",
            b"{\"kind\":\"Pod\"}",
            b"{\"request\":{\"uid\":\"\"}}",
            b"{\"request\":{\"uid\":\"u\",\"object\":5}}",
        ] {
            let err = review(bad, &ClusterContext::default(), &Enforcement::default()).unwrap_err();
            assert!(!err.0.is_empty());
        }
    }

    #[test]
    fn a_binding_to_cluster_admin_is_denied_against_the_cluster_rbac() {
        let binding = serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "ci-admin"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": "ci", "namespace": "ci"}]
        });
        let mut b = serde_json::from_slice::<serde_json::Value>(&body(&binding)).unwrap();
        b["request"]["namespace"] = serde_json::json!("");
        let out = review(
            &serde_json::to_vec(&b).unwrap(),
            &ClusterContext::default(),
            &Enforcement::default(),
        )
        .unwrap();
        assert!(!out.response.allowed, "{:?}", out.response);
    }
}
