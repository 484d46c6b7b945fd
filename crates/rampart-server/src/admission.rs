//! AdmissionReview in, AdmissionReview out: the decision logic, free of HTTP.
//!
//! The incoming object runs through the same rules as a scan, with the cluster context
//! it needs (its Namespace for Pod Security labels, the RBAC objects for escalation
//! checks, NetworkPolicies and workloads for exposure). Only findings about the object
//! itself count. Each finding is then denied, warned about or recorded as an audit
//! annotation, by rule or by severity.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use rampart_model::kinds::{ADMISSION_CONTEXT_KINDS, RBAC_KINDS};
use rampart_model::workload::WORKLOAD_KINDS;
use rampart_model::{Inventory, Object, Origin};
use rampart_rules::engine::Plan;
use rampart_rules::{Finding, Selection, Settings, Severity};
use serde::{Deserialize, Serialize};

mod json;

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

/// The cluster around the requests: the kinds of
/// [`rampart_model::kinds::ADMISSION_CONTEXT_KINDS`], as a snapshot, the manifests of a
/// cluster or the watches give them.
#[derive(Clone, Debug, Default)]
pub struct ClusterContext {
    namespaces: HashMap<String, Object>,
    rbac: Vec<Object>,
    network: HashMap<String, Vec<Object>>,
}

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
            } else if ADMISSION_CONTEXT_KINDS.contains(&kind.as_str()) {
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
    /// Read straight into a [`rampart_model::Node`], as `Node::from_json` would build it from a
    /// `serde_json::Value` (see [`json`]).
    #[serde(default)]
    object: Option<json::JsonNode>,
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

/// Decides one AdmissionReview body: [`parse`], then [`Pending::decide`].
pub fn review(
    body: &[u8],
    context: &ClusterContext,
    enforcement: &Enforcement,
) -> Result<Outcome, BadRequest> {
    Ok(match parse(body, enforcement)? {
        Parsed::Decided(outcome) => outcome,
        Parsed::Pending(pending) => pending.decide(context, enforcement),
    })
}

/// A review read and checked, either answered already or waiting for the rules.
#[derive(Debug)]
pub enum Parsed {
    /// Answered without the rules (a DELETE, an exempt namespace).
    Decided(Outcome),
    /// The object to run the rules on.
    Pending(Pending),
}

/// A request whose object still has to go through the rules.
#[derive(Debug)]
pub struct Pending {
    uid: String,
    dry_run: bool,
    object: Object,
}

/// Bodies up to this size are read where the connection is served; larger ones on a
/// blocking thread, under the time limit.
pub const LIGHT_BODY_BYTES: usize = 64 * 1024;
/// Network contexts (objects of the request's namespace) larger than this are not
/// [`Pending::is_light`].
const LIGHT_CONTEXT_OBJECTS: usize = 64;

/// Reads an AdmissionReview body; answers it outright when the rules have no say.
pub fn parse(body: &[u8], enforcement: &Enforcement) -> Result<Parsed, BadRequest> {
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
    if matches!(request.operation.as_str(), "DELETE" | "CONNECT")
        || enforcement.exempt_namespaces.contains(&request.namespace)
    {
        return Ok(Parsed::Decided(allowed(request.uid, dry_run)));
    }
    let Some(root) = request.object.map(|o| o.0).filter(|n| n.as_map().is_some()) else {
        return Err(BadRequest(
            "`request.object` is missing or not an object".into(),
        ));
    };
    let mut object = Object::new(root, Origin::Memory, String::new());
    // An object in a namespaced request may omit its namespace: the request's counts.
    if object.id.namespace.is_some() && !request.namespace.is_empty() {
        object.id.namespace = Some(rampart_model::intern(&request.namespace));
    }
    Ok(Parsed::Pending(Pending {
        uid: request.uid,
        dry_run,
        object,
    }))
}

fn allowed(uid: String, dry_run: bool) -> Outcome {
    Outcome {
        response: Response {
            uid,
            allowed: true,
            status: None,
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
        },
        denied_by: Vec::new(),
        dry_run,
    }
}

impl Pending {
    /// Whether deciding is quick enough to do on the thread that serves the connection
    /// (tens of microseconds): rules that need no RBAC and at most a modest share of the
    /// cluster context. Anything else goes to a blocking thread, under the server's time
    /// limit.
    pub fn is_light(&self, context: &ClusterContext) -> bool {
        match plan_for(self.object.kind()).map(|p| p.needs) {
            None | Some(Needs::Nothing) => true,
            Some(Needs::Rbac) => false,
            Some(Needs::Network) => self
                .object
                .namespace()
                .and_then(|n| context.network.get(n))
                .is_none_or(|l| l.len() <= LIGHT_CONTEXT_OBJECTS),
        }
    }

    /// Runs the rules and turns their findings into the answer.
    pub fn decide(self, context: &ClusterContext, enforcement: &Enforcement) -> Outcome {
        let findings = evaluate(self.object, context, enforcement);
        let mut outcome = allowed(self.uid, self.dry_run);
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
                        .or_insert_with(|| f.message.to_string());
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
        outcome
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Which rules can say something about an object of this kind (codes and prefixes), and
/// what context they need.
fn selection_for(kind: &str) -> (&'static [&'static str], Needs) {
    match kind {
        k if WORKLOAD_KINDS.contains(&k) => (&["POD", "SEC", "UPD", "NET004"], Needs::Network),
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => (&["RBAC"], Needs::Rbac),
        "NetworkPolicy" => (
            &["NET005", "NET006", "NET007", "NET008", "NET009", "NET012"],
            Needs::Network,
        ),
        "Service" => (&["NET010"], Needs::Network),
        "PodDisruptionBudget" => (&["UPD014"], Needs::Network),
        "Secret" | "ConfigMap" => (&["SEC"], Needs::Nothing),
        "Namespace" => (&["POD"], Needs::Nothing),
        "Policy" => (&["AUD"], Needs::Nothing),
        _ => (&[], Needs::Nothing),
    }
}

/// The context a kind's rules need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Needs {
    Nothing,
    Rbac,
    Network,
}

/// The rules for one group of kinds, resolved once.
struct KindPlan {
    plan: Plan,
    needs: Needs,
}

/// One plan per distinct selection (workloads, RBAC kinds, ...), built on first use
/// rather than per request: resolving code prefixes against the registry costs more
/// than most rules.
static PLANS: LazyLock<Vec<(&'static [&'static str], KindPlan)>> = LazyLock::new(|| {
    let mut plans: Vec<(&'static [&'static str], KindPlan)> = Vec::new();
    for kind in WORKLOAD_KINDS.iter().chain(PLANNED_KINDS) {
        let (codes, needs) = selection_for(kind);
        if codes.is_empty() || plans.iter().any(|(c, _)| std::ptr::eq(*c, codes)) {
            continue;
        }
        let selection = Selection {
            select: codes.iter().map(ToString::to_string).collect(),
            ignore: Vec::new(),
        };
        plans.push((
            codes,
            KindPlan {
                plan: Plan::new(&selection),
                needs,
            },
        ));
    }
    plans
});

/// The kinds [`selection_for`] names besides the workloads.
const PLANNED_KINDS: &[&str] = &[
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "NetworkPolicy",
    "Service",
    "PodDisruptionBudget",
    "Secret",
    "ConfigMap",
    "Namespace",
    "Policy",
];

/// The plan for a kind, if any rule speaks about it.
fn plan_for(kind: &str) -> Option<&'static KindPlan> {
    let (codes, _) = selection_for(kind);
    PLANS
        .iter()
        .find(|(c, _)| std::ptr::eq(*c, codes))
        .map(|(_, p)| p)
}

/// Runs the rules for the object with its context; returns the findings on the object.
fn evaluate(object: Object, context: &ClusterContext, enforcement: &Enforcement) -> Vec<Finding> {
    let Some(KindPlan { plan, needs }) = plan_for(object.kind()) else {
        return Vec::new();
    };
    if plan.is_empty() {
        return Vec::new();
    }
    let inventory = context_inventory(object, context, *needs);
    // The bootstrap RBAC policy matters only to the RBAC rules; building it for every
    // Pod would cost more than the Pod's own rules.
    let settings = Settings {
        builtin_rbac: *needs == Needs::Rbac && enforcement.settings.builtin_rbac,
        ..enforcement.settings.clone()
    };
    rampart_rules::engine::run_on_object(&inventory, plan, &settings, 0)
}

/// The object (first) with the context its rules need: its Namespace, and the RBAC
/// objects or its namespace's network objects, without any the request replaces.
fn context_inventory(object: Object, context: &ClusterContext, needs: Needs) -> Inventory {
    let same = |o: &Object| {
        (o.kind(), o.id.namespace.as_ref(), o.name())
            == (object.kind(), object.id.namespace.as_ref(), object.name())
    };
    let namespace = object.namespace();
    let namespace_object = namespace.and_then(|n| context.namespaces.get(n));
    let others: &[Object] = match needs {
        Needs::Rbac => &context.rbac,
        Needs::Network => namespace
            .and_then(|n| context.network.get(n))
            .map_or(&[], Vec::as_slice),
        Needs::Nothing => &[],
    };
    let mut objects = Vec::with_capacity(2 + others.len());
    objects.extend(namespace_object.cloned());
    objects.extend(others.iter().filter(|o| !same(o)).cloned());
    objects.insert(0, object);
    Inventory::new(rampart_model::Files::default(), objects, None)
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
    fn a_disruption_budget_in_the_cluster_counts_for_a_reviewed_deployment() {
        let deployment = serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}
        });
        let budget = |min_available: i64| {
            let text = format!(
                "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: web, namespace: shop}}\nspec:\n  minAvailable: {min_available}\n  selector: {{matchLabels: {{app: web}}}}\n"
            );
            rampart_source::load_str("pdb.yaml", &text).objects
        };
        let enforcement = Enforcement {
            deny_at: None,
            ..Enforcement::default()
        };
        let warned = |context: &ClusterContext, code: &str| {
            let out = review(&body(&deployment), context, &enforcement).unwrap();
            out.response.warnings.iter().any(|w| w.starts_with(code))
        };
        assert!(warned(&ClusterContext::default(), "UPD013"));
        assert!(!warned(&ClusterContext::new(budget(2)), "UPD013"));
        // A budget under review is judged against the namespace's workloads.
        let mut context = rampart_source::load_str(
            "web.json",
            &serde_json::to_string_pretty(&deployment).unwrap(),
        )
        .objects;
        context.extend(budget(2));
        let context = ClusterContext::new(context);
        let review_budget = |min_available: i64| {
            let mut object = budget(min_available).remove(0).root.to_json();
            object["metadata"]["namespace"] = serde_json::json!("shop");
            review(&body(&object), &context, &enforcement).unwrap()
        };
        assert!(review_budget(2).response.warnings.is_empty());
        let blocked = review_budget(3);
        assert!(
            blocked
                .response
                .warnings
                .iter()
                .any(|w| w.starts_with("UPD014")),
            "{:?}",
            blocked.response
        );
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

    /// What the engine reports on the object, run over the same inventory with the
    /// kind's selection: the webhook's findings before it had plans and a path of its
    /// own through the engine.
    fn engine_findings(
        object: Object,
        context: &ClusterContext,
        enforcement: &Enforcement,
    ) -> Vec<Finding> {
        let (codes, needs) = selection_for(object.kind());
        if codes.is_empty() {
            return Vec::new();
        }
        let inventory = context_inventory(object, context, needs);
        let settings = Settings {
            builtin_rbac: needs == Needs::Rbac && enforcement.settings.builtin_rbac,
            ..enforcement.settings.clone()
        };
        let selection = Selection {
            select: codes.iter().map(ToString::to_string).collect(),
            ignore: Vec::new(),
        };
        rampart_rules::engine::run(&inventory, &selection, &settings)
            .findings
            .into_iter()
            .filter(|f| f.object_index == Some(0))
            .collect()
    }

    /// A finding without its rule's documentation.
    fn compact(f: &Finding) -> String {
        format!(
            "{} {:?} {:?} {:?} {} {} {:?} {:?} {:?} {:?} {:?}",
            f.rule.code,
            f.severity,
            f.object,
            f.object_index,
            f.pos,
            f.field_path,
            f.message,
            f.help,
            f.evidence,
            (&f.steps, &f.related),
            f.suppression,
        )
    }

    /// Every object of every rule fixture, sent as an AdmissionReview with the rest of
    /// its file as the cluster context, gets the findings the engine reports on it.
    #[test]
    fn the_webhook_finds_what_the_engine_finds_on_every_rule_fixture() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../rampart-rules/resources/fixtures");
        let mut files = Vec::new();
        for practice in std::fs::read_dir(&root).unwrap() {
            for rule in std::fs::read_dir(practice.unwrap().path()).unwrap() {
                for file in std::fs::read_dir(rule.unwrap().path()).unwrap() {
                    files.push(file.unwrap().path());
                }
            }
        }
        files.sort();
        assert!(files.len() > 150, "{} fixture files", files.len());
        let enforcement = Enforcement {
            exempt_namespaces: Vec::new(),
            ..Enforcement::default()
        };
        let (mut objects, mut findings) = (0, 0);
        for path in &files {
            let text = std::fs::read_to_string(path).unwrap();
            let loaded = rampart_source::load_str(&path.display().to_string(), &text);
            let context = ClusterContext::new(loaded.objects.clone());
            for object in &loaded.objects {
                let mut review =
                    serde_json::from_slice::<serde_json::Value>(&body(&object.root.to_json()))
                        .unwrap();
                review["request"]["namespace"] =
                    serde_json::json!(object.namespace().unwrap_or_default());
                let parsed = parse(&serde_json::to_vec(&review).unwrap(), &enforcement);
                let Ok(Parsed::Pending(pending)) = parsed else {
                    panic!(
                        "{}: {} not pending: {parsed:?}",
                        path.display(),
                        object.id.name
                    );
                };
                let got = evaluate(pending.object.clone(), &context, &enforcement);
                let want = engine_findings(pending.object, &context, &enforcement);
                assert_eq!(
                    got.iter().map(compact).collect::<Vec<_>>(),
                    want.iter().map(compact).collect::<Vec<_>>(),
                    "{}: {} {}",
                    path.display(),
                    object.kind(),
                    object.name()
                );
                objects += 1;
                findings += got.len();
            }
        }
        // Not vacuous: most fixtures speak about the kinds the webhook judges.
        assert!(
            objects > 300 && findings > 300,
            "{objects} objects, {findings} findings"
        );
    }
}
