//! RBAC objects read from the inventory, and ClusterRole aggregation.

use std::collections::{BTreeMap, HashMap};

use rampart_model::{Inventory, Node, Object, Pos};

use crate::selector::{LabelSelector, labels_of};

/// A PolicyRule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// `verbs`.
    pub verbs: Vec<String>,
    /// `apiGroups`.
    pub api_groups: Vec<String>,
    /// `resources`.
    pub resources: Vec<String>,
    /// `resourceNames`.
    pub resource_names: Vec<String>,
    /// `nonResourceURLs`.
    pub non_resource_urls: Vec<String>,
    /// Where the rule is written.
    pub pos: Pos,
    /// The role that wrote it (an aggregated ClusterRole's rules come from others).
    pub source: usize,
    /// Its index in that role's `rules`.
    pub index: usize,
}

/// `Role` or `ClusterRole`.
#[derive(Clone, Debug)]
pub struct Role {
    /// Index of the object in the inventory, or in the built-in policy when `builtin`.
    pub object: usize,
    /// Part of the API server's bootstrap policy, not of the input.
    pub builtin: bool,
    /// The name.
    pub name: String,
    /// The namespace of a Role; `None` for a ClusterRole.
    pub namespace: Option<String>,
    /// Its labels (aggregation selects on them).
    pub labels: BTreeMap<String, String>,
    /// The `aggregationRule` selectors of a ClusterRole, if it has one.
    pub aggregation: Option<Vec<LabelSelector>>,
    /// The rules as written.
    pub rules: Vec<Rule>,
}

impl Role {
    /// `Role` or `ClusterRole`.
    pub fn kind(&self) -> &'static str {
        if self.namespace.is_some() {
            "Role"
        } else {
            "ClusterRole"
        }
    }
}

/// A binding's `roleRef`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRef {
    /// `Role` or `ClusterRole`.
    pub kind: String,
    /// The role's name.
    pub name: String,
    /// Where it is written.
    pub pos: Pos,
}

/// The kind of a binding subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectKind {
    /// `User`.
    User,
    /// `Group`.
    Group,
    /// `ServiceAccount`.
    ServiceAccount,
    /// Anything else (never matches).
    Other,
}

/// A binding subject.
#[derive(Clone, Debug)]
pub struct Subject {
    /// Its kind.
    pub kind: SubjectKind,
    /// Its name.
    pub name: String,
    /// Its namespace (ServiceAccounts).
    pub namespace: Option<String>,
    /// Where it is written.
    pub pos: Pos,
}

impl Subject {
    /// Same kind, name and namespace (positions aside).
    pub fn same_as(&self, other: &Subject) -> bool {
        self.kind == other.kind && self.name == other.name && self.namespace == other.namespace
    }

    /// `User alice`, `Group devs`, `ServiceAccount ns/sa`.
    pub fn describe(&self) -> String {
        match (self.kind, &self.namespace) {
            (SubjectKind::ServiceAccount, Some(ns)) => {
                format!("ServiceAccount `{ns}/{}`", self.name)
            }
            (SubjectKind::ServiceAccount, None) => format!("ServiceAccount `{}`", self.name),
            (SubjectKind::User, _) => format!("User `{}`", self.name),
            (SubjectKind::Group, _) => format!("Group `{}`", self.name),
            (SubjectKind::Other, _) => format!("subject `{}`", self.name),
        }
    }
}

/// A `RoleBinding` or `ClusterRoleBinding`.
#[derive(Clone, Debug)]
pub struct Binding {
    /// Index of the object in the inventory, or in the built-in policy when `builtin`.
    pub object: usize,
    /// Part of the API server's bootstrap policy, not of the input.
    pub builtin: bool,
    /// The name.
    pub name: String,
    /// The namespace of a RoleBinding; `None` for a ClusterRoleBinding.
    pub namespace: Option<String>,
    /// What it grants.
    pub role_ref: RoleRef,
    /// To whom.
    pub subjects: Vec<Subject>,
}

impl Binding {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub fn kind(&self) -> &'static str {
        if self.namespace.is_some() {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        }
    }

    /// The namespace of one of its subjects: the subject's own, or the binding's when
    /// the subject names none (how the rules read a ServiceAccount subject).
    pub fn subject_namespace<'s>(&'s self, subject: &'s Subject) -> Option<&'s str> {
        subject.namespace.as_deref().or(self.namespace.as_deref())
    }
}

/// Every role and binding, indexed, with aggregation resolved.
#[derive(Debug, Default)]
pub struct Rbac {
    /// Roles and ClusterRoles.
    pub roles: Vec<Role>,
    /// RoleBindings and ClusterRoleBindings.
    pub bindings: Vec<Binding>,
    cluster_roles: HashMap<String, usize>,
    namespaced_roles: HashMap<(String, String), usize>,
    effective: Vec<Vec<Rule>>,
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::scalar_string)
        .collect()
}

fn is_rbac(object: &Object) -> bool {
    object.group() == "rbac.authorization.k8s.io"
}

/// The API server's bootstrap policy (see `data/README.md`), parsed once.
pub fn builtin_objects() -> &'static [Object] {
    static BUILTIN: std::sync::OnceLock<Vec<Object>> = std::sync::OnceLock::new();
    BUILTIN.get_or_init(|| {
        let Ok(list) = serde_json::from_str::<serde_json::Value>(include_str!(
            "../../data/bootstrap-policy.json"
        )) else {
            return Vec::new();
        };
        list.get("items")
            .and_then(serde_json::Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let mut object = Object::new(
                            Node::from_json(item),
                            rampart_model::Origin::Memory,
                            String::new(),
                        );
                        object.index = i;
                        object
                    })
                    .collect()
            })
            .unwrap_or_default()
    })
}

impl Rbac {
    /// Reads the RBAC objects of an inventory, with the API server's bootstrap roles and
    /// bindings added where the input does not define them.
    pub fn new(inventory: &Inventory) -> Self {
        Self::build(inventory, true)
    }

    /// Reads the RBAC objects of an inventory; `builtin` adds the bootstrap policy.
    pub fn build(inventory: &Inventory, builtin: bool) -> Self {
        let mut rbac = Rbac::default();
        let input: Vec<(bool, &Object)> = inventory.objects.iter().map(|o| (false, o)).collect();
        let defaults: Vec<(bool, &Object)> = if builtin {
            builtin_objects().iter().map(|o| (true, o)).collect()
        } else {
            Vec::new()
        };
        let all: Vec<(bool, &Object)> = input.into_iter().chain(defaults).collect();
        let defined_bindings: std::collections::HashSet<(String, Option<String>, String)> =
            inventory
                .objects
                .iter()
                .filter(|o| matches!(o.kind(), "RoleBinding" | "ClusterRoleBinding") && is_rbac(o))
                .map(|o| {
                    (
                        o.kind().to_string(),
                        o.namespace().map(str::to_string),
                        o.name().to_string(),
                    )
                })
                .collect();
        for kind in ["ClusterRole", "Role"] {
            // Input first: where the input defines a role, the built-in one is ignored.
            for (is_builtin, object) in all.iter().filter(|(_, o)| o.kind() == kind && is_rbac(o)) {
                let (index, object) = (object.index, *object);
                let is_builtin = *is_builtin;
                let key_taken = match kind {
                    "ClusterRole" => rbac.cluster_roles.contains_key(object.name()),
                    _ => rbac.namespaced_roles.contains_key(&(
                        object.namespace().unwrap_or("default").to_string(),
                        object.name().to_string(),
                    )),
                };
                if is_builtin && key_taken {
                    continue;
                }
                let role_index = rbac.roles.len();
                let rules = object
                    .root
                    .get("rules")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .map(|(i, r)| Rule {
                        verbs: strings(r.get("verbs")),
                        api_groups: strings(r.get("apiGroups")),
                        resources: strings(r.get("resources")),
                        resource_names: strings(r.get("resourceNames")),
                        non_resource_urls: strings(r.get("nonResourceURLs")),
                        pos: r.pos,
                        source: role_index,
                        index: i,
                    })
                    .collect();
                let aggregation = object
                    .root
                    .get("aggregationRule")
                    .filter(|a| a.as_map().is_some())
                    .map(|a| {
                        a.get("clusterRoleSelectors")
                            .and_then(Node::as_seq)
                            .unwrap_or_default()
                            .iter()
                            .map(LabelSelector::parse)
                            .collect()
                    });
                let namespace =
                    (kind == "Role").then(|| object.namespace().unwrap_or("default").to_string());
                match &namespace {
                    None => {
                        rbac.cluster_roles
                            .entry(object.name().to_string())
                            .or_insert(role_index);
                    }
                    Some(ns) => {
                        rbac.namespaced_roles
                            .entry((ns.clone(), object.name().to_string()))
                            .or_insert(role_index);
                    }
                }
                rbac.roles.push(Role {
                    object: index,
                    builtin: is_builtin,
                    name: object.name().to_string(),
                    namespace,
                    labels: labels_of(object.metadata()),
                    aggregation: if kind == "ClusterRole" {
                        aggregation
                    } else {
                        None
                    },
                    rules,
                });
            }
        }
        for kind in ["ClusterRoleBinding", "RoleBinding"] {
            for (is_builtin, object) in all.iter().filter(|(_, o)| o.kind() == kind && is_rbac(o)) {
                let (index, object, is_builtin) = (object.index, *object, *is_builtin);
                if is_builtin
                    && defined_bindings.contains(&(
                        kind.to_string(),
                        object.namespace().map(str::to_string),
                        object.name().to_string(),
                    ))
                {
                    continue;
                }
                let text = |n: Option<&Node>| n.and_then(Node::scalar_string).unwrap_or_default();
                let role_ref = object.root.get("roleRef");
                let subjects = object
                    .root
                    .get("subjects")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .map(|s| Subject {
                        kind: match s.get("kind").and_then(Node::as_str) {
                            Some("User") => SubjectKind::User,
                            Some("Group") => SubjectKind::Group,
                            Some("ServiceAccount") => SubjectKind::ServiceAccount,
                            _ => SubjectKind::Other,
                        },
                        name: text(s.get("name")),
                        namespace: s
                            .get("namespace")
                            .and_then(Node::as_str)
                            .filter(|n| !n.is_empty())
                            .map(str::to_string),
                        pos: s.pos,
                    })
                    .collect();
                rbac.bindings.push(Binding {
                    object: index,
                    builtin: is_builtin,
                    name: object.name().to_string(),
                    namespace: (kind == "RoleBinding")
                        .then(|| object.namespace().unwrap_or("default").to_string()),
                    role_ref: RoleRef {
                        kind: text(role_ref.and_then(|r| r.get("kind"))),
                        name: text(role_ref.and_then(|r| r.get("name"))),
                        pos: role_ref.map_or(object.pos(), |r| r.pos),
                    },
                    subjects,
                });
            }
        }
        rbac.aggregate();
        rbac
    }

    /// Resolves aggregation as the controller converges: an aggregating ClusterRole's
    /// rules are the union (without duplicates) of the rules of every other
    /// ClusterRole its selectors match, repeated until nothing changes.
    fn aggregate(&mut self) {
        self.effective = self.roles.iter().map(|r| r.rules.clone()).collect();
        for _ in 0..=self.roles.len() {
            let mut changed = false;
            for (i, role) in self.roles.iter().enumerate() {
                let Some(selectors) = &role.aggregation else {
                    continue;
                };
                let mut rules: Vec<Rule> = Vec::new();
                for selector in selectors {
                    // The controller visits the roles a selector matches sorted by name.
                    let mut matched: Vec<(usize, &Role)> = self
                        .roles
                        .iter()
                        .enumerate()
                        .filter(|(j, other)| {
                            *j != i && other.namespace.is_none() && selector.matches(&other.labels)
                        })
                        .collect();
                    matched.sort_by(|a, b| a.1.name.cmp(&b.1.name));
                    for (j, _) in matched {
                        for rule in self.effective.get(j).map(Vec::as_slice).unwrap_or_default() {
                            if !rules.iter().any(|r| same_rule(r, rule)) {
                                rules.push(rule.clone());
                            }
                        }
                    }
                }
                if let Some(slot) = self.effective.get_mut(i)
                    && (slot.len() != rules.len()
                        || slot.iter().zip(&rules).any(|(a, b)| !same_rule(a, b)))
                {
                    *slot = rules;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// The role a binding grants, if it exists: a ClusterRole by name, or (for a
    /// RoleBinding) a Role of the binding's namespace. A ClusterRoleBinding to a Role
    /// grants nothing, as the authorizer treats it.
    pub fn resolve(&self, binding: &Binding) -> Option<usize> {
        match (binding.role_ref.kind.as_str(), &binding.namespace) {
            ("ClusterRole", _) => self.cluster_roles.get(&binding.role_ref.name).copied(),
            ("Role", Some(ns)) => self
                .namespaced_roles
                .get(&(ns.clone(), binding.role_ref.name.clone()))
                .copied(),
            _ => None,
        }
    }

    /// The effective rules of a role (aggregation applied).
    pub fn rules_of(&self, role: usize) -> &[Rule] {
        self.effective
            .get(role)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The object a role was read from (the input's, or the bootstrap policy's).
    pub fn role_object<'a>(&self, inventory: &'a Inventory, role: &Role) -> Option<&'a Object> {
        if role.builtin {
            builtin_objects().get(role.object)
        } else {
            inventory.objects.get(role.object)
        }
    }

    /// The input object of a binding; `None` for a built-in binding.
    pub fn binding_object<'a>(
        &self,
        inventory: &'a Inventory,
        binding: &Binding,
    ) -> Option<&'a Object> {
        if binding.builtin {
            None
        } else {
            inventory.objects.get(binding.object)
        }
    }

    /// A ClusterRole by name.
    pub fn cluster_role(&self, name: &str) -> Option<usize> {
        self.cluster_roles.get(name).copied()
    }
}

fn same_rule(a: &Rule, b: &Rule) -> bool {
    a.verbs == b.verbs
        && a.api_groups == b.api_groups
        && a.resources == b.resources
        && a.resource_names == b.resource_names
        && a.non_resource_urls == b.non_resource_urls
}
