//! The RBAC authorizer, as Kubernetes decides.
//!
//! - Rule matching is `pkg/apis/rbac/v1/evaluation_helpers.go`: verbs and `*`; API
//!   groups, `""` (core) and `*`; resources `*`, `res/sub` and `*/sub`;
//!   `resourceNames` (empty means all); non-resource URLs with a trailing `*`.
//! - Which rules apply is `pkg/registry/rbac/validation/rule.go` (`VisitRulesFor`):
//!   every ClusterRoleBinding, then the RoleBindings of the request's namespace; a
//!   RoleBinding may point at a Role of its own namespace or at a ClusterRole, whose
//!   rules then apply in that namespace only. A ServiceAccount subject without a
//!   namespace takes the RoleBinding's.
//! - Identities are what the API server authenticates: a ServiceAccount is the user
//!   `system:serviceaccount:NS:NAME` in the groups `system:serviceaccounts`,
//!   `system:serviceaccounts:NS` and `system:authenticated`.
//! - ClusterRoles with an `aggregationRule` get the rules of every ClusterRole its
//!   selectors match (aggregated roles of aggregated roles included), as the
//!   aggregation controller leaves them once it has converged.
//! - `who-can` is `plugin/pkg/auth/authorizer/rbac/subject_locator.go`: the group
//!   `system:masters`, then the subjects of every binding whose role allows the request.
//!
//! Reference: <https://github.com/kubernetes/kubernetes/tree/master/plugin/pkg/auth/authorizer/rbac>

pub mod escalation;
mod model;

pub use model::{Binding, Rbac, Role, RoleRef, Rule, Subject, SubjectKind, builtin_objects};

/// Who is asking.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    /// The user name (`alice`, `system:serviceaccount:ns:sa`; empty when only groups are known).
    pub name: String,
    /// The groups.
    pub groups: Vec<String>,
}

impl UserInfo {
    /// A user as the API server authenticates (or impersonates) it: a ServiceAccount
    /// name implies its groups, and every user but `system:anonymous` is in
    /// `system:authenticated`.
    pub fn authenticated(name: &str, groups: &[String]) -> Self {
        let mut all: Vec<String> = groups.to_vec();
        let mut add = |g: String| {
            if !all.contains(&g) {
                all.push(g);
            }
        };
        if let Some((ns, _)) = service_account_of(name) {
            add("system:serviceaccounts".to_string());
            add(format!("system:serviceaccounts:{ns}"));
        }
        if name == "system:anonymous" {
            add("system:unauthenticated".to_string());
        } else if !name.is_empty() || !groups.is_empty() {
            add("system:authenticated".to_string());
        }
        UserInfo {
            name: name.to_string(),
            groups: all,
        }
    }
}

/// `(namespace, name)` when a user name is a ServiceAccount's.
pub fn service_account_of(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix("system:serviceaccount:")?;
    let (ns, name) = rest.split_once(':')?;
    (!ns.is_empty() && !name.is_empty() && !name.contains(':')).then_some((ns, name))
}

/// What is asked: a resource request or a non-resource URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The verb (`get`, `list`, `create`, `impersonate`...).
    pub verb: String,
    /// The API group (`""` for core).
    pub api_group: String,
    /// The resource (`pods`); empty for non-resource requests.
    pub resource: String,
    /// The subresource (`exec`), if any.
    pub subresource: String,
    /// The object name, if any.
    pub name: String,
    /// The namespace; empty for cluster-scoped requests.
    pub namespace: String,
    /// A non-resource URL (`/healthz`); `Some` makes this a non-resource request.
    pub path: Option<String>,
}

impl Rule {
    /// `RuleAllows`: whether this rule allows the request.
    pub fn allows(&self, request: &Request) -> bool {
        let verb = self.verbs.iter().any(|v| v == "*" || *v == request.verb);
        if !verb {
            return false;
        }
        if let Some(path) = &request.path {
            return self.non_resource_urls.iter().any(|u| {
                u == "*"
                    || u == path
                    || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
            });
        }
        let group = self
            .api_groups
            .iter()
            .any(|g| g == "*" || *g == request.api_group);
        let combined = if request.subresource.is_empty() {
            request.resource.clone()
        } else {
            format!("{}/{}", request.resource, request.subresource)
        };
        let resource = self.resources.iter().any(|r| {
            r == "*"
                || *r == combined
                || (!request.subresource.is_empty()
                    && r.len() == request.subresource.len() + 2
                    && r.starts_with("*/")
                    && r.ends_with(request.subresource.as_str()))
        });
        let name = self.resource_names.is_empty() || self.resource_names.contains(&request.name);
        group && resource && name
    }
}

/// One reason a request is allowed: the binding, the role and the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Index of the binding in [`Rbac::bindings`].
    pub binding: usize,
    /// Index of the role in [`Rbac::roles`].
    pub role: usize,
    /// Index of the rule in the role's effective rules.
    pub rule: usize,
}

impl Subject {
    /// `appliesToUser`: whether this binding subject names the user. A ServiceAccount
    /// subject without a namespace takes the binding's (RoleBindings only).
    pub fn applies_to(&self, user: &UserInfo, binding_namespace: Option<&str>) -> bool {
        match self.kind {
            SubjectKind::User => user.name == self.name,
            SubjectKind::Group => user.groups.contains(&self.name),
            SubjectKind::ServiceAccount => {
                let ns = self
                    .namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .or(binding_namespace);
                ns.is_some_and(|ns| {
                    service_account_of(&user.name) == Some((ns, self.name.as_str()))
                })
            }
            SubjectKind::Other => false,
        }
    }
}

impl Rbac {
    /// Every binding → role → rule that allows the request for this user, in the
    /// authorizer's visiting order (ClusterRoleBindings, then RoleBindings of the
    /// request's namespace). Empty means denied.
    pub fn authorize(&self, user: &UserInfo, request: &Request) -> Vec<Grant> {
        let mut grants = Vec::new();
        for (b, binding) in self.bindings_in_scope(&request.namespace) {
            if !binding
                .subjects
                .iter()
                .any(|s| s.applies_to(user, binding.namespace.as_deref()))
            {
                continue;
            }
            let Some(role) = self.resolve(binding) else {
                continue;
            };
            for (r, rule) in self.rules_of(role).iter().enumerate() {
                if rule.allows(request) {
                    grants.push(Grant {
                        binding: b,
                        role,
                        rule: r,
                    });
                }
            }
        }
        grants
    }

    /// The subjects allowed to make the request, as the subject locator lists them:
    /// `system:masters` first, then every subject of every binding in scope whose role
    /// allows it (duplicates removed, order kept).
    pub fn who_can(&self, request: &Request) -> Vec<(Subject, Option<usize>)> {
        let mut subjects: Vec<(Subject, Option<usize>)> = vec![(
            Subject {
                kind: SubjectKind::Group,
                name: "system:masters".into(),
                namespace: None,
                pos: rampart_model::Pos::UNKNOWN,
            },
            None,
        )];
        for (b, binding) in self.bindings_in_scope(&request.namespace) {
            let Some(role) = self.resolve(binding) else {
                continue;
            };
            if self.rules_of(role).iter().any(|r| r.allows(request)) {
                for s in &binding.subjects {
                    if !subjects.iter().any(|(known, _)| known.same_as(s)) {
                        subjects.push((s.clone(), Some(b)));
                    }
                }
            }
        }
        subjects
    }

    /// ClusterRoleBindings, then RoleBindings of `namespace` (none when it is empty).
    fn bindings_in_scope<'a>(
        &'a self,
        namespace: &'a str,
    ) -> impl Iterator<Item = (usize, &'a Binding)> + 'a {
        let cluster = self
            .bindings
            .iter()
            .enumerate()
            .filter(|(_, b)| b.namespace.is_none());
        let local = self.bindings.iter().enumerate().filter(move |(_, b)| {
            !namespace.is_empty() && b.namespace.as_deref() == Some(namespace)
        });
        cluster.chain(local)
    }
}

#[cfg(test)]
mod tests;
