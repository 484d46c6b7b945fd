//! Least-privilege RBAC from observed requests, in the manner of audit2rbac
//! (<https://github.com/liggitt/audit2rbac>): the requests one subject made become
//! Roles (per namespace) and a ClusterRole (cluster-scoped resources, requests across
//! all namespaces, non-resource URLs) that allow exactly those requests, and bindings
//! of them to the subject.
//!
//! Which requests count: every request of the subject, allowed or denied (as
//! audit2rbac: a denied request is one the workload needed), unless
//! [`Settings::allowed_only`]. The subject of an event is the identity it was
//! authorized as: the impersonated user when there is one.
//!
//! Rules are grouped so that nothing beyond the observed requests is allowed: for each
//! resource (and name, with [`Settings::resource_names`]) the set of verbs is
//! computed; resources (or names) with the same verb set share a rule. A rule's
//! resources × verbs × names product therefore contains only observed requests.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use rampart_analysis::rbac::{Rbac, Request, Rule, UserInfo, service_account_of};
use rampart_model::Pos;
use serde_json::{Value, json};

use crate::event::Event;

const RBAC_V1: &str = "rbac.authorization.k8s.io/v1";
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Whose requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A user name.
    User(String),
    /// A group.
    Group(String),
    /// A ServiceAccount.
    ServiceAccount {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
}

impl Subject {
    /// `User:NAME`, `Group:NAME`, `ServiceAccount:NS:NAME`, or a user name
    /// (`system:serviceaccount:NS:NAME` is a ServiceAccount).
    pub fn parse(text: &str) -> Result<Self, String> {
        let subject = match text.split_once(':') {
            Some(("User", name)) => Subject::User(name.to_string()),
            Some(("Group", name)) => Subject::Group(name.to_string()),
            Some(("ServiceAccount", rest)) => match rest.split_once(':') {
                Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains(':') => {
                    Subject::ServiceAccount {
                        namespace: ns.to_string(),
                        name: name.to_string(),
                    }
                }
                _ => {
                    return Err(format!(
                        "`{text}`: a ServiceAccount is ServiceAccount:NAMESPACE:NAME"
                    ));
                }
            },
            _ => match service_account_of(text) {
                Some((ns, name)) => Subject::ServiceAccount {
                    namespace: ns.to_string(),
                    name: name.to_string(),
                },
                None => Subject::User(text.to_string()),
            },
        };
        match &subject {
            Subject::User(n) | Subject::Group(n) if n.is_empty() => {
                Err(format!("`{text}`: the subject has no name"))
            }
            _ => Ok(subject),
        }
    }

    /// The user name it authenticates as (empty for a group).
    pub fn user_name(&self) -> String {
        match self {
            Subject::User(n) => n.clone(),
            Subject::Group(_) => String::new(),
            Subject::ServiceAccount { namespace, name } => {
                format!("system:serviceaccount:{namespace}:{name}")
            }
        }
    }

    /// The identity the authorizer sees (groups implied by the name added).
    pub fn user_info(&self) -> UserInfo {
        match self {
            Subject::Group(g) => UserInfo::authenticated("", std::slice::from_ref(g)),
            _ => UserInfo::authenticated(&self.user_name(), &[]),
        }
    }

    /// `User alice`, `Group devs`, `ServiceAccount ns/sa`.
    pub fn describe(&self) -> String {
        match self {
            Subject::User(n) => format!("User {n}"),
            Subject::Group(n) => format!("Group {n}"),
            Subject::ServiceAccount { namespace, name } => {
                format!("ServiceAccount {namespace}/{name}")
            }
        }
    }

    /// Whether the event was authorized as this subject.
    pub fn matches(&self, event: &Event<'_>) -> bool {
        let user = event.effective_user();
        match self {
            Subject::User(n) => user.name() == n,
            Subject::Group(g) => user.groups().any(|x| x == g),
            Subject::ServiceAccount { namespace, name } => {
                service_account_of(user.name()) == Some((namespace.as_str(), name.as_str()))
            }
        }
    }

    fn binding_subject(&self) -> Value {
        match self {
            Subject::User(n) => json!({"kind": "User", "apiGroup": RBAC_GROUP, "name": n}),
            Subject::Group(n) => json!({"kind": "Group", "apiGroup": RBAC_GROUP, "name": n}),
            Subject::ServiceAccount { namespace, name } => {
                json!({"kind": "ServiceAccount", "name": name, "namespace": namespace})
            }
        }
    }

    fn object_name(&self) -> String {
        let who = match self {
            Subject::User(n) => n.clone(),
            Subject::Group(n) => format!("group:{n}"),
            Subject::ServiceAccount { namespace, name } => format!("sa:{namespace}:{name}"),
        };
        // Object names may hold anything but `/` and `%` (path segments).
        format!("rampart-from-audit:{}", who.replace(['/', '%'], "-"))
    }
}

/// One distinct request, as the authorizer sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Observed {
    /// Namespace (empty: cluster-scoped or across namespaces).
    pub namespace: String,
    /// API group.
    pub api_group: String,
    /// Resource (empty for a non-resource request).
    pub resource: String,
    /// Subresource.
    pub subresource: String,
    /// Object name.
    pub name: String,
    /// Verb.
    pub verb: String,
    /// Non-resource path (without query).
    pub path: Option<String>,
}

impl Observed {
    /// The request of an event.
    pub fn of(event: &Event<'_>) -> Self {
        let verb = event.verb().to_string();
        match &event.object_ref {
            Some(o) if !o.resource().is_empty() => Observed {
                namespace: o.namespace().to_string(),
                api_group: o.api_group().to_string(),
                resource: o.resource().to_string(),
                subresource: o.subresource().to_string(),
                name: o.name().to_string(),
                verb,
                path: None,
            },
            _ => Observed {
                verb,
                path: Some(event.path().to_string()),
                ..Observed::default()
            },
        }
    }

    /// The authorizer's request.
    pub fn request(&self) -> Request {
        Request {
            verb: self.verb.clone(),
            api_group: self.api_group.clone(),
            resource: self.resource.clone(),
            subresource: self.subresource.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            path: self.path.clone(),
        }
    }

    /// `list pods in ns1`, `get /apis`.
    pub fn describe(&self) -> String {
        if let Some(p) = &self.path {
            return format!("{} {p}", self.verb);
        }
        let mut s = format!("{} {}", self.verb, self.resource);
        if !self.subresource.is_empty() {
            let _ = write!(s, "/{}", self.subresource);
        }
        if !self.api_group.is_empty() {
            let _ = write!(s, " ({})", self.api_group);
        }
        if !self.name.is_empty() {
            let _ = write!(s, " `{}`", self.name);
        }
        if self.namespace.is_empty() {
            s.push_str(" cluster-wide");
        } else {
            let _ = write!(s, " in {}", self.namespace);
        }
        s
    }
}

/// Choices of the generator.
#[derive(Clone, Copy, Debug, Default)]
pub struct Settings {
    /// Restrict rules to the object names seen (`resourceNames`), for every verb but
    /// `create` and `deletecollection`, whose requests carry no name to authorize.
    pub resource_names: bool,
    /// Only requests that were allowed (response code below 400).
    pub allowed_only: bool,
}

/// The requests of one subject, collected from a stream.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    /// Distinct requests.
    pub requests: BTreeSet<Observed>,
    /// Events of the subject (each stage of a request counts).
    pub events: u64,
    /// Earliest and latest time (microseconds since the epoch).
    pub first: Option<i64>,
    /// Latest time.
    pub last: Option<i64>,
}

/// What one event contributes: its request if it is the subject's.
pub fn observe(
    bytes: &[u8],
    subject: &Subject,
    settings: Settings,
) -> Result<Option<(Observed, Option<i64>)>, String> {
    let event = Event::parse(bytes).map_err(|e| e.to_string())?;
    if event.verb.is_none() {
        return Err("not an audit Event (no `verb`)".to_string());
    }
    // Stages of one request are the same request; the set below dedupes them anyway.
    if !subject.matches(&event) || (settings.allowed_only && !event.allowed()) {
        return Ok(None);
    }
    Ok(Some((
        Observed::of(&event),
        crate::time::parse(event.time()),
    )))
}

impl Collected {
    /// Adds one observed request.
    pub fn add(&mut self, observed: Observed, time: Option<i64>) {
        self.events += 1;
        if let Some(t) = time {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        self.requests.insert(observed);
    }
}

fn named(settings: Settings, o: &Observed) -> bool {
    settings.resource_names
        && !o.name.is_empty()
        && !matches!(o.verb.as_str(), "create" | "deletecollection")
}

/// Rules for the resource requests of one scope.
fn resource_rules(requests: &[&Observed], settings: Settings) -> Vec<Value> {
    // (group, resource, name) -> verbs
    let mut verbs: BTreeMap<(String, String, Option<String>), BTreeSet<String>> = BTreeMap::new();
    for o in requests {
        let resource = if o.subresource.is_empty() {
            o.resource.clone()
        } else {
            format!("{}/{}", o.resource, o.subresource)
        };
        let name = named(settings, o).then(|| o.name.clone());
        verbs
            .entry((o.api_group.clone(), resource, name))
            .or_default()
            .insert(o.verb.clone());
    }
    // (group, resource, verbs, named) -> names
    let mut names: BTreeMap<(String, String, BTreeSet<String>, bool), BTreeSet<String>> =
        BTreeMap::new();
    for ((group, resource, name), v) in verbs {
        let entry = names
            .entry((group, resource, v, name.is_some()))
            .or_default();
        entry.extend(name);
    }
    // (group, verbs, names) -> resources
    let mut rules: BTreeMap<(String, BTreeSet<String>, BTreeSet<String>), BTreeSet<String>> =
        BTreeMap::new();
    for ((group, resource, v, _), n) in names {
        rules.entry((group, v, n)).or_default().insert(resource);
    }
    rules
        .into_iter()
        .map(|((group, v, n), resources)| {
            let mut rule = json!({"apiGroups": [group], "resources": resources, "verbs": v});
            if !n.is_empty()
                && let Some(map) = rule.as_object_mut()
            {
                map.insert("resourceNames".into(), json!(n));
            }
            rule
        })
        .collect()
}

fn non_resource_rules(requests: &[&Observed]) -> Vec<Value> {
    let mut verbs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for o in requests {
        if let Some(p) = &o.path {
            verbs.entry(p).or_default().insert(&o.verb);
        }
    }
    let mut rules: BTreeMap<BTreeSet<&str>, BTreeSet<&str>> = BTreeMap::new();
    for (path, v) in verbs {
        rules.entry(v).or_default().insert(path);
    }
    rules
        .into_iter()
        .map(|(v, paths)| json!({"nonResourceURLs": paths, "verbs": v}))
        .collect()
}

/// The Roles, ClusterRole and bindings that allow exactly the collected requests:
/// cluster-wide objects first, then one Role and RoleBinding per namespace.
pub fn generate(collected: &Collected, subject: &Subject, settings: Settings) -> Vec<Value> {
    let name = subject.object_name();
    let labels = json!({"app.kubernetes.io/managed-by": "rampart"});
    let mut by_scope: BTreeMap<&str, Vec<&Observed>> = BTreeMap::new();
    for o in &collected.requests {
        by_scope.entry(o.namespace.as_str()).or_default().push(o);
    }
    let mut objects = Vec::new();
    for (namespace, requests) in by_scope {
        let resource: Vec<&Observed> = requests
            .iter()
            .copied()
            .filter(|o| o.path.is_none())
            .collect();
        let mut rules = resource_rules(&resource, settings);
        if namespace.is_empty() {
            rules.extend(non_resource_rules(&requests));
        }
        if rules.is_empty() {
            continue;
        }
        let (role_kind, binding_kind) = if namespace.is_empty() {
            ("ClusterRole", "ClusterRoleBinding")
        } else {
            ("Role", "RoleBinding")
        };
        let metadata = if namespace.is_empty() {
            json!({"name": name, "labels": labels})
        } else {
            json!({"name": name, "namespace": namespace, "labels": labels})
        };
        objects.push(
            json!({"apiVersion": RBAC_V1, "kind": role_kind, "metadata": metadata, "rules": rules}),
        );
        objects.push(json!({
            "apiVersion": RBAC_V1, "kind": binding_kind, "metadata": metadata,
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": role_kind, "name": name},
            "subjects": [subject.binding_subject()],
        }));
    }
    objects
}

/// One right the existing RBAC grants the subject that no observed request used.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unused {
    /// The namespace of the RoleBinding; `None` for a ClusterRoleBinding.
    pub namespace: Option<String>,
    /// The verb as written (`*` included).
    pub verb: String,
    /// The API group as written.
    pub api_group: String,
    /// The resource as written (`pods/exec`, `*`), empty for a URL.
    pub resource: String,
    /// `resourceNames` of the rule.
    pub names: Vec<String>,
    /// The non-resource URL, for those rules.
    pub url: Option<String>,
    /// `Kind name -> Kind name` of the binding and role.
    pub via: String,
}

impl Unused {
    /// `list secrets (core)`, `get /metrics`.
    pub fn describe(&self) -> String {
        if let Some(u) = &self.url {
            return format!("{} {u}", self.verb);
        }
        let group = if self.api_group.is_empty() {
            "core"
        } else {
            &self.api_group
        };
        let mut s = format!("{} {} ({group})", self.verb, self.resource);
        if !self.names.is_empty() {
            let _ = write!(s, " named {}", self.names.join(","));
        }
        s
    }
}

/// Every (verb, group, resource) of every rule bound to the subject that no observed
/// request in the binding's scope matches. Rules are expanded as written: a `*` verb
/// is unused only when no request of any verb matched.
pub fn unused_rights(rbac: &Rbac, subject: &Subject, requests: &BTreeSet<Observed>) -> Vec<Unused> {
    let user = subject.user_info();
    let mut out: Vec<Unused> = Vec::new();
    for binding in &rbac.bindings {
        if !binding
            .subjects
            .iter()
            .any(|s| s.applies_to(&user, binding.namespace.as_deref()))
        {
            continue;
        }
        let Some(role) = rbac.resolve(binding) else {
            continue;
        };
        let role_name = rbac
            .roles
            .get(role)
            .map_or_else(String::new, |r| format!("{} {}", r.kind(), r.name));
        let via = format!("{} {} -> {role_name}", binding.kind(), binding.name);
        let in_scope: Vec<Request> = requests
            .iter()
            .filter(|o| match &binding.namespace {
                None => true,
                // Non-resource URLs are granted by ClusterRoleBindings only.
                Some(ns) => o.path.is_none() && o.namespace == *ns,
            })
            .map(Observed::request)
            .collect();
        let single =
            |verbs: &str, group: &str, resource: &str, names: &[String], url: Option<&str>| Rule {
                verbs: vec![verbs.to_string()],
                api_groups: vec![group.to_string()],
                resources: vec![resource.to_string()],
                resource_names: names.to_vec(),
                non_resource_urls: url.map(str::to_string).into_iter().collect(),
                pos: Pos::UNKNOWN,
                source: role,
                index: 0,
            };
        for rule in rbac.rules_of(role) {
            for verb in &rule.verbs {
                if binding.namespace.is_none() {
                    for url in &rule.non_resource_urls {
                        let r = single(verb, "", "", &[], Some(url));
                        if !in_scope.iter().any(|q| q.path.is_some() && r.allows(q)) {
                            out.push(Unused {
                                namespace: None,
                                verb: verb.clone(),
                                api_group: String::new(),
                                resource: String::new(),
                                names: Vec::new(),
                                url: Some(url.clone()),
                                via: via.clone(),
                            });
                        }
                    }
                }
                for group in &rule.api_groups {
                    for resource in &rule.resources {
                        let r = single(verb, group, resource, &rule.resource_names, None);
                        if !in_scope.iter().any(|q| q.path.is_none() && r.allows(q)) {
                            out.push(Unused {
                                namespace: binding.namespace.clone(),
                                verb: verb.clone(),
                                api_group: group.clone(),
                                resource: resource.clone(),
                                names: rule.resource_names.clone(),
                                url: None,
                                via: via.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| {
        a.namespace == b.namespace
            && a.verb == b.verb
            && a.api_group == b.api_group
            && a.resource == b.resource
            && a.names == b.names
            && a.url == b.url
    });
    out
}

fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let plain = s
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'/')
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._/:-".contains(&b))
                && !s.ends_with(':')
                && !matches!(
                    s.to_ascii_lowercase().as_str(),
                    "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null"
                );
            if plain {
                s.clone()
            } else {
                Value::String(s.clone()).to_string()
            }
        }
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn yaml_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (k, v) in map {
        let pad = " ".repeat(indent);
        match v {
            Value::Object(m) if !m.is_empty() => {
                let _ = writeln!(out, "{pad}{k}:");
                yaml_map(out, m, indent + 2);
            }
            Value::Array(a) if !a.is_empty() => {
                let _ = writeln!(out, "{pad}{k}:");
                yaml_seq(out, a, indent);
            }
            Value::Object(_) => {
                let _ = writeln!(out, "{pad}{k}: {{}}");
            }
            Value::Array(_) => {
                let _ = writeln!(out, "{pad}{k}: []");
            }
            scalar => {
                let _ = writeln!(out, "{pad}{k}: {}", yaml_scalar(scalar));
            }
        }
    }
}

fn yaml_seq(out: &mut String, items: &[Value], indent: usize) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Value::Object(m) if !m.is_empty() => {
                let mut body = String::new();
                yaml_map(&mut body, m, indent + 2);
                let inner = " ".repeat(indent + 2);
                let rest = body.strip_prefix(&inner).unwrap_or(&body);
                let _ = write!(out, "{pad}- {rest}");
            }
            other => {
                let _ = writeln!(out, "{pad}- {}", yaml_scalar(other));
            }
        }
    }
}

/// Multi-document YAML of the objects, after a comment header (each header line is
/// prefixed with `# `).
pub fn to_yaml(objects: &[Value], header: &[String]) -> String {
    let mut out = String::new();
    for line in header {
        let _ = writeln!(out, "# {line}");
    }
    for object in objects {
        out.push_str("---\n");
        if let Value::Object(m) = object {
            yaml_map(&mut out, m, 0);
        }
    }
    out
}
