//! Audit policies (`audit.k8s.io/v1` `Policy`) evaluated as the API server's policy
//! checker does (`k8s.io/apiserver/pkg/audit/policy/checker.go`): rules in order, the
//! first rule that matches a request decides its level; no match means `None`.
//! `omitStages` of the policy and of the matching rule add up; a rule's
//! `omitManagedFields` overrides the policy's.

use rampart_model::{Node, Object, Pos};

/// How much of a request the audit log records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Nothing.
    None,
    /// Who, what, when, the response code: no bodies.
    Metadata,
    /// Metadata and the request body.
    Request,
    /// Metadata, the request body and the response body.
    RequestResponse,
}

impl Level {
    /// Parses the API spelling.
    pub fn parse(text: &str) -> Option<Level> {
        Some(match text {
            "None" => Level::None,
            "Metadata" => Level::Metadata,
            "Request" => Level::Request,
            "RequestResponse" => Level::RequestResponse,
            _ => return None,
        })
    }

    /// The API spelling.
    pub fn name(self) -> &'static str {
        match self {
            Level::None => "None",
            Level::Metadata => "Metadata",
            Level::Request => "Request",
            Level::RequestResponse => "RequestResponse",
        }
    }
}

/// A group and resources of a rule.
#[derive(Clone, Debug, Default)]
pub struct GroupResources {
    /// `group` (`""` is the core group).
    pub group: String,
    /// `resources` (`pods`, `pods/log`, `*`, `*/status`, `pods/*`); empty: all.
    pub resources: Vec<String>,
    /// `resourceNames`; empty: all.
    pub resource_names: Vec<String>,
}

/// One rule of a policy.
#[derive(Clone, Debug)]
pub struct PolicyRule {
    /// Its index in `rules`.
    pub index: usize,
    /// `level`.
    pub level: Level,
    /// `users`; empty: everyone.
    pub users: Vec<String>,
    /// `userGroups`; empty: everyone.
    pub user_groups: Vec<String>,
    /// `verbs`; empty: every verb.
    pub verbs: Vec<String>,
    /// `resources`.
    pub resources: Vec<GroupResources>,
    /// `namespaces` (`""` selects cluster-scoped requests).
    pub namespaces: Vec<String>,
    /// `nonResourceURLs` (`/healthz`, `/api*`, `*`).
    pub non_resource_urls: Vec<String>,
    /// `omitStages`.
    pub omit_stages: Vec<String>,
    /// `omitManagedFields`, when set.
    pub omit_managed_fields: Option<bool>,
    /// Where the rule is written.
    pub pos: Pos,
}

/// An audit policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The rules, in order.
    pub rules: Vec<PolicyRule>,
    /// `omitStages` of the policy.
    pub omit_stages: Vec<String>,
    /// `omitManagedFields` of the policy.
    pub omit_managed_fields: bool,
    /// The object's index in the inventory.
    pub object: usize,
    /// Problems the API server would refuse to start with (unknown level).
    pub problems: Vec<(Pos, String)>,
}

/// A request, as the policy checker sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The user name.
    pub user: String,
    /// The user's groups.
    pub groups: Vec<String>,
    /// The verb (`get`, `list`, `create`, ...).
    pub verb: String,
    /// `Some` for a resource request: (group, resource, subresource, namespace, name).
    pub resource: Option<ResourceAttributes>,
    /// The path of a non-resource request.
    pub path: String,
}

/// The resource part of a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceAttributes {
    /// API group (`""` core).
    pub group: String,
    /// Resource (`pods`).
    pub resource: String,
    /// Subresource (`exec`), or `""`.
    pub subresource: String,
    /// Namespace, `""` for cluster-scoped.
    pub namespace: String,
    /// Object name, or `""`.
    pub name: String,
}

/// The decision for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The rule that matched (index), if any.
    pub rule: Option<usize>,
    /// The level.
    pub level: Level,
    /// Stages not recorded.
    pub omit_stages: Vec<String>,
    /// Whether managed fields are dropped from bodies.
    pub omit_managed_fields: bool,
}

impl Policy {
    /// Compiles an `audit.k8s.io` `Policy` object (`None` for other objects).
    pub fn compile(object: &Object) -> Option<Policy> {
        if object.kind() != "Policy" || object.group() != "audit.k8s.io" {
            return None;
        }
        let root = &object.root;
        let strings = |n: Option<&Node>| -> Vec<String> {
            n.and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::scalar_string)
                .collect()
        };
        let mut problems = Vec::new();
        let rules = root
            .get("rules")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(index, r)| {
                let level_text = r.get("level").and_then(Node::as_str).unwrap_or_default();
                let level = Level::parse(level_text).unwrap_or_else(|| {
                    problems.push((
                        r.get("level").map_or(r.pos, |n| n.pos),
                        format!("rule #{} has level `{level_text}`, not None, Metadata, Request or RequestResponse; the API server refuses the policy", index + 1),
                    ));
                    Level::None
                });
                PolicyRule {
                    index,
                    level,
                    users: strings(r.get("users")),
                    user_groups: strings(r.get("userGroups")),
                    verbs: strings(r.get("verbs")),
                    resources: r
                        .get("resources")
                        .and_then(Node::as_seq)
                        .unwrap_or_default()
                        .iter()
                        .map(|g| GroupResources {
                            group: g.get("group").and_then(Node::scalar_string).unwrap_or_default(),
                            resources: strings(g.get("resources")),
                            resource_names: strings(g.get("resourceNames")),
                        })
                        .collect(),
                    namespaces: strings(r.get("namespaces")),
                    non_resource_urls: strings(r.get("nonResourceURLs")),
                    omit_stages: strings(r.get("omitStages")),
                    omit_managed_fields: r.get("omitManagedFields").and_then(Node::as_bool),
                    pos: r.pos,
                }
            })
            .collect();
        Some(Policy {
            rules,
            omit_stages: strings(root.get("omitStages")),
            omit_managed_fields: root
                .get("omitManagedFields")
                .and_then(Node::as_bool)
                .unwrap_or(false),
            object: object.index,
            problems,
        })
    }

    /// The decision for a request: the first matching rule's level.
    pub fn decide(&self, request: &Request) -> Decision {
        let rule = self.rules.iter().find(|r| r.matches(request));
        let mut omit_stages = self.omit_stages.clone();
        if let Some(r) = rule {
            for s in &r.omit_stages {
                if !omit_stages.contains(s) {
                    omit_stages.push(s.clone());
                }
            }
        }
        Decision {
            rule: rule.map(|r| r.index),
            level: rule.map_or(Level::None, |r| r.level),
            omit_stages,
            omit_managed_fields: rule
                .and_then(|r| r.omit_managed_fields)
                .unwrap_or(self.omit_managed_fields),
        }
    }

    /// Rules that can never match first: an earlier rule matches every request they
    /// match (checked rule against rule; a union of earlier rules is not considered).
    pub fn shadowed(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (j, later) in self.rules.iter().enumerate() {
            if let Some(earlier) = self.rules.iter().take(j).find(|e| e.covers(later)) {
                out.push((later.index, earlier.index));
            }
        }
        out
    }
}

fn has(list: &[String], value: &str) -> bool {
    list.iter().any(|v| v == value)
}

/// `pathMatches`: `*`, exact, or a trailing `*` prefix.
fn path_matches(path: &str, spec: &str) -> bool {
    spec == "*"
        || spec == path
        || spec
            .strip_suffix('*')
            .is_some_and(|prefix| path.starts_with(prefix.trim_end_matches('*')))
}

/// Whether a resource pattern of a rule matches `resource[/subresource]`.
fn resource_matches(pattern: &str, resource: &str, subresource: &str) -> bool {
    let combined = if subresource.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}/{subresource}")
    };
    pattern == combined
        || pattern == "*"
        || (!subresource.is_empty() && pattern.strip_prefix("*/").is_some_and(|s| s == subresource))
        || pattern.strip_suffix("/*").is_some_and(|r| r == resource)
}

impl PolicyRule {
    fn is_resource_rule(&self) -> bool {
        !self.namespaces.is_empty() || !self.resources.is_empty()
    }

    /// `ruleMatches`.
    pub fn matches(&self, request: &Request) -> bool {
        if !self.users.is_empty() && !has(&self.users, &request.user) {
            return false;
        }
        if !self.user_groups.is_empty() && !request.groups.iter().any(|g| has(&self.user_groups, g))
        {
            return false;
        }
        if !self.verbs.is_empty() && !has(&self.verbs, &request.verb) {
            return false;
        }
        if self.is_resource_rule() {
            let Some(attrs) = &request.resource else {
                return false;
            };
            if !self.namespaces.is_empty() && !has(&self.namespaces, &attrs.namespace) {
                return false;
            }
            if self.resources.is_empty() {
                return true;
            }
            return self.resources.iter().any(|gr| {
                gr.group == attrs.group
                    && (gr.resources.is_empty()
                        || gr.resources.iter().any(|res| {
                            (gr.resource_names.is_empty() || has(&gr.resource_names, &attrs.name))
                                && resource_matches(res, &attrs.resource, &attrs.subresource)
                        }))
            });
        }
        if !self.non_resource_urls.is_empty() {
            return request.resource.is_none()
                && self
                    .non_resource_urls
                    .iter()
                    .any(|spec| path_matches(&request.path, spec));
        }
        true
    }

    /// Whether this rule matches every request `other` matches.
    pub fn covers(&self, other: &PolicyRule) -> bool {
        let list_covers = |mine: &[String], theirs: &[String]| {
            mine.is_empty() || (!theirs.is_empty() && theirs.iter().all(|t| has(mine, t)))
        };
        if !list_covers(&self.users, &other.users)
            || !list_covers(&self.user_groups, &other.user_groups)
            || !list_covers(&self.verbs, &other.verbs)
        {
            return false;
        }
        if self.is_resource_rule() {
            if !other.is_resource_rule() {
                return false;
            }
            if !list_covers(&self.namespaces, &other.namespaces) {
                return false;
            }
            if self.resources.is_empty() {
                return true;
            }
            if other.resources.is_empty() {
                return false;
            }
            return other.resources.iter().all(|theirs| {
                self.resources.iter().any(|mine| {
                    mine.group == theirs.group
                        && (mine.resources.is_empty()
                            || (!theirs.resources.is_empty()
                                && list_covers(&mine.resource_names, &theirs.resource_names)
                                && theirs
                                    .resources
                                    .iter()
                                    .all(|t| mine.resources.iter().any(|m| pattern_covers(m, t)))))
                })
            });
        }
        if !self.non_resource_urls.is_empty() {
            return !other.is_resource_rule()
                && !other.non_resource_urls.is_empty()
                && other.non_resource_urls.iter().all(|t| {
                    self.non_resource_urls.iter().any(|m| {
                        m == "*"
                            || m == t
                            || (m.ends_with('*') && t.starts_with(m.trim_end_matches('*')))
                    })
                });
        }
        true
    }
}

/// Whether resource pattern `mine` matches everything pattern `theirs` does.
fn pattern_covers(mine: &str, theirs: &str) -> bool {
    if mine == "*" || mine == theirs {
        return true;
    }
    match theirs.split_once('/') {
        None => theirs != "*" && resource_matches(mine, theirs, ""),
        Some((r, s)) => {
            if r == "*" {
                // `*/status` is covered by `*/status` only (handled above) and `*`.
                false
            } else if s == "*" {
                mine.strip_suffix("/*") == Some(r)
            } else {
                resource_matches(mine, r, s)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rampart_model::Inventory;

    use super::*;

    fn policy(yaml: &str) -> Policy {
        let loaded = rampart_source::load_str("policy.yaml", yaml);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let inv = Inventory::new(loaded.files, loaded.objects, None);
        inv.objects.iter().find_map(Policy::compile).unwrap()
    }

    fn res(verb: &str, group: &str, resource: &str, sub: &str, ns: &str, name: &str) -> Request {
        Request {
            user: "alice".into(),
            groups: vec!["system:authenticated".into()],
            verb: verb.into(),
            resource: Some(ResourceAttributes {
                group: group.into(),
                resource: resource.into(),
                subresource: sub.into(),
                namespace: ns.into(),
                name: name.into(),
            }),
            path: String::new(),
        }
    }

    #[test]
    fn kubernetes_documentation_example_policy() {
        let p = policy(include_str!(
            "../../../../shared/schemas/audit/kubernetes-website/audit-policy.yaml"
        ));
        // pods at RequestResponse, but not their subresources.
        assert_eq!(
            p.decide(&res("get", "", "pods", "", "a", "x")).level,
            Level::RequestResponse
        );
        assert_eq!(
            p.decide(&res("get", "", "pods", "log", "a", "x")).level,
            Level::Metadata
        );
        assert_eq!(
            p.decide(&res("get", "", "configmaps", "", "a", "controller-leader"))
                .level,
            Level::None
        );
        assert_eq!(
            p.decide(&res("update", "", "configmaps", "", "kube-system", "x"))
                .level,
            Level::Request
        );
        assert_eq!(
            p.decide(&res("get", "", "secrets", "", "a", "x")).level,
            Level::Metadata
        );
        let version = Request {
            user: "alice".into(),
            groups: vec!["system:authenticated".into()],
            verb: "get".into(),
            resource: None,
            path: "/apis/apps".into(),
        };
        assert_eq!(p.decide(&version).level, Level::None);
        assert_eq!(p.decide(&version).omit_stages, ["RequestReceived"]);
    }

    #[test]
    fn wildcards_subresources_and_first_match() {
        let p = policy(
            "apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  resources: [{group: '', resources: ['*/status']}]
- level: Metadata
  resources: [{group: '', resources: ['pods/*']}]
  omitStages: [ResponseStarted]
- level: Request
  verbs: [create]
  resources: [{group: ''}]
- level: RequestResponse
  resources: [{group: '', resources: ['*']}]
- level: Metadata
  resources: [{group: '', resources: ['pods']}]
",
        );
        assert_eq!(
            p.decide(&res("get", "", "pods", "status", "a", "")).rule,
            Some(0)
        );
        let exec = p.decide(&res("create", "", "pods", "exec", "a", ""));
        assert_eq!((exec.rule, exec.level), (Some(1), Level::Metadata));
        assert_eq!(exec.omit_stages, ["ResponseStarted"]);
        assert_eq!(
            p.decide(&res("create", "", "secrets", "", "a", "")).level,
            Level::Request
        );
        assert_eq!(
            p.decide(&res("get", "", "secrets", "", "a", "")).level,
            Level::RequestResponse
        );
        assert_eq!(
            p.decide(&res("get", "apps", "deployments", "", "a", ""))
                .level,
            Level::None
        );
        // The last rule is dead: `pods/*` matches `pods` itself too (upstream trims
        // `/*` and compares the resource), and it comes first.
        assert_eq!(p.decide(&res("get", "", "pods", "", "a", "")).rule, Some(1));
        assert_eq!(p.shadowed(), [(4, 1)]);
    }

    #[test]
    fn a_none_catch_all_before_exec_makes_exec_dead_and_unlogged() {
        let p = policy(
            "apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
- level: Metadata
  resources: [{group: '', resources: [pods/exec]}]
",
        );
        assert_eq!(
            p.decide(&res("create", "", "pods", "exec", "a", "")).level,
            Level::None
        );
        assert_eq!(p.shadowed(), [(1, 0)]);
    }
}
