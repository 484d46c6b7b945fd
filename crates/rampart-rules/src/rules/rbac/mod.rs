//! Rules for least-privilege RBAC
//! ([Kubernetes: RBAC good practices](https://kubernetes.io/docs/concepts/security/rbac-good-practices/)).

mod anonymous_access;
mod authorization_mode_without_rbac;
mod binding_to_missing_role;
mod binding_to_missing_service_account;
mod broad_group_binding;
mod cluster_admin_binding;
mod csr_approval_access;
mod dangerous_aggregation_label;
mod default_service_account_binding;
mod escalation_to_all_secrets;
mod escalation_to_cluster_admin;
mod escalation_verbs;
mod nodes_proxy_access;
mod persistent_volume_create;
mod pod_exec_access;
mod secrets_read_access;
mod service_account_token_create;
mod webhook_configuration_write;
mod wildcard_grant;
mod workload_create_access;

pub(crate) use anonymous_access::ANONYMOUS_ACCESS;
pub(crate) use authorization_mode_without_rbac::AUTHORIZATION_MODE_WITHOUT_RBAC;
pub(crate) use binding_to_missing_role::BINDING_TO_MISSING_ROLE;
pub(crate) use binding_to_missing_service_account::BINDING_TO_MISSING_SERVICE_ACCOUNT;
pub(crate) use broad_group_binding::BROAD_GROUP_BINDING;
pub(crate) use cluster_admin_binding::CLUSTER_ADMIN_BINDING;
pub(crate) use csr_approval_access::CSR_APPROVAL_ACCESS;
pub(crate) use dangerous_aggregation_label::DANGEROUS_AGGREGATION_LABEL;
pub(crate) use default_service_account_binding::DEFAULT_SERVICE_ACCOUNT_BINDING;
pub(crate) use escalation_to_all_secrets::ESCALATION_TO_ALL_SECRETS;
pub(crate) use escalation_to_cluster_admin::ESCALATION_TO_CLUSTER_ADMIN;
pub(crate) use escalation_verbs::ESCALATION_VERBS;
pub(crate) use nodes_proxy_access::NODES_PROXY_ACCESS;
pub(crate) use persistent_volume_create::PERSISTENT_VOLUME_CREATE;
pub(crate) use pod_exec_access::POD_EXEC_ACCESS;
pub(crate) use secrets_read_access::SECRETS_READ_ACCESS;
pub(crate) use service_account_token_create::SERVICE_ACCOUNT_TOKEN_CREATE;
pub(crate) use webhook_configuration_write::WEBHOOK_CONFIGURATION_WRITE;
pub(crate) use wildcard_grant::WILDCARD_GRANT;
pub(crate) use workload_create_access::WORKLOAD_CREATE_ACCESS;

use rampart_analysis::rbac::{Binding, Rbac, Request, Rule, Subject, SubjectKind};
use rampart_model::{FileId, Inventory};

use crate::context::Context;
use crate::rule::RuleMeta;

/// Groups that stand for "everyone" of a kind: never treated as system subjects.
pub(crate) const BROAD_GROUPS: &[&str] = &[
    "system:authenticated",
    "system:unauthenticated",
    "system:serviceaccounts",
];

/// Whether a binding subject belongs to Kubernetes itself (its users and groups named
/// `system:*`, ServiceAccounts of `kube-system`), the broad groups excepted.
pub(crate) fn is_system(subject: &Subject) -> bool {
    match subject.kind {
        SubjectKind::ServiceAccount => subject.namespace.as_deref() == Some("kube-system"),
        _ => {
            subject.name.starts_with("system:")
                && !BROAD_GROUPS.contains(&subject.name.as_str())
                && !subject.name.starts_with("system:serviceaccounts:")
        }
    }
}

/// Whether a rule is `*` on `*` in `*` (everything; reported as a wildcard grant).
pub(crate) fn is_everything(rule: &Rule) -> bool {
    let all = |v: &[String]| v.iter().any(|x| x == "*");
    all(&rule.verbs) && all(&rule.api_groups) && all(&rule.resources)
}

/// `in namespace `x`` or `in every namespace`.
pub(crate) fn scope(binding: &Binding) -> String {
    match &binding.namespace {
        Some(ns) => format!("in namespace `{ns}`"),
        None => "in every namespace".to_string(),
    }
}

/// The subjects, as a message lists them (``User `alice`, Group `dev` ``).
pub(crate) fn describe(subjects: &[&Subject]) -> String {
    let who: Vec<String> = subjects.iter().map(|s| s.describe()).collect();
    who.join(", ")
}

/// Where a rule of a role (possibly aggregated into another) was written: the file of
/// its own role, when the input holds it, and that role's name.
pub(crate) fn rule_origin<'r>(
    rbac: &'r Rbac,
    inventory: &Inventory,
    rule: &Rule,
) -> (Option<FileId>, &'r str) {
    let source = rbac.roles.get(rule.source);
    let file = source
        .and_then(|r| rbac.role_object(inventory, r))
        .and_then(rampart_model::Object::file);
    (file, source.map_or("", |r| r.name.as_str()))
}

/// A probe: a label for the right and the requests that exercise it.
pub(crate) struct Probe {
    pub(crate) label: &'static str,
    pub(crate) requests: Vec<Request>,
}

/// A resource request for a probe.
pub(crate) fn ask(verb: &str, group: &str, resource: &str, subresource: &str) -> Request {
    Request {
        verb: verb.into(),
        api_group: group.into(),
        resource: resource.into(),
        subresource: subresource.into(),
        ..Request::default()
    }
}

/// Reports every binding of the input whose role grants one of the probed rights to a
/// subject that is not part of Kubernetes itself. The finding sits on the binding's
/// `roleRef`, names the subjects, the binding and the role, and points at the rule.
/// Rules granting everything are left to the wildcard rules.
pub(crate) fn report_rights(ctx: &mut Context<'_>, meta: &'static RuleMeta, probes: &[Probe]) {
    report(ctx, meta, probes, false);
}

/// Like [`report_rights`], for rights that are dangerous only together: every probe
/// must be granted by the same binding.
pub(crate) fn report_rights_all(ctx: &mut Context<'_>, meta: &'static RuleMeta, probes: &[Probe]) {
    report(ctx, meta, probes, true);
}

fn report(ctx: &mut Context<'_>, meta: &'static RuleMeta, probes: &[Probe], all: bool) {
    let rbac = ctx.rbac;
    let inventory = ctx.inventory;
    for binding in &rbac.bindings {
        let subjects: Vec<&Subject> = binding.subjects.iter().filter(|s| !is_system(s)).collect();
        if subjects.is_empty() {
            continue;
        }
        let Some(role_index) = rbac.resolve(binding) else {
            continue;
        };
        let Some(role) = rbac.roles.get(role_index) else {
            continue;
        };
        let Some(object) = rbac.binding_object(inventory, binding) else {
            continue;
        };
        let mut granted: Vec<&str> = Vec::new();
        let mut via: Option<&Rule> = None;
        for probe in probes {
            let hit = rbac
                .rules_of(role_index)
                .iter()
                .find(|r| !is_everything(r) && probe.requests.iter().any(|q| r.allows(q)));
            if let Some(rule) = hit {
                granted.push(probe.label);
                via.get_or_insert(rule);
            }
        }
        let Some(rule) = via else { continue };
        if all && granted.len() < probes.len() {
            continue;
        }
        let message = format!(
            "{} `{}` lets {} {} {} through {} `{}`",
            binding.kind(),
            binding.name,
            describe(&subjects),
            granted.join(", "),
            scope(binding),
            role.kind(),
            role.name
        );
        let (rule_file, source_name) = rule_origin(rbac, inventory, rule);
        ctx.report(meta, object, binding.role_ref.pos, "roleRef", message)
            .related(
                rule_file,
                rule.pos,
                format!("rule {} of `{source_name}` grants it", rule.index),
            );
    }
}

/// Which goal an escalation rule looks for.
#[derive(Clone, Copy)]
pub(crate) enum Goal {
    ClusterAdmin,
    AllSecrets,
}

/// Reports, for every subject of an input binding (outside Kubernetes itself), a
/// shortest escalation path of two steps or more to the goal (one step is a direct
/// grant, which the other RBAC rules report). The finding sits on the binding that
/// grants the first step; its steps explain every hop with the binding behind it.
pub(crate) fn report_paths(ctx: &mut Context<'_>, meta: &'static RuleMeta, goal: Goal) {
    use rampart_analysis::rbac::escalation::Node;
    let rbac = ctx.rbac;
    let inventory = ctx.inventory;
    let graph = ctx.escalations();
    let mut seen: Vec<Node> = Vec::new();
    for binding in rbac.bindings.iter().filter(|b| !b.builtin) {
        for subject in binding.subjects.iter().filter(|s| !is_system(s)) {
            let Some(node) = Node::of(subject, binding.namespace.as_deref()) else {
                continue;
            };
            if seen.contains(&node) {
                continue;
            }
            let path = match goal {
                Goal::ClusterAdmin => graph.path_to_admin(&node),
                Goal::AllSecrets => graph.path_to_secrets(&node),
            };
            if path.len() < 2 {
                continue;
            }
            seen.push(node.clone());
            let Some(first) = path
                .first()
                .and_then(|e| e.binding)
                .and_then(|b| rbac.bindings.get(b))
            else {
                continue;
            };
            let Some(object) = rbac.binding_object(inventory, first) else {
                continue;
            };
            let target = match goal {
                Goal::ClusterAdmin => "cluster-admin",
                Goal::AllSecrets => "every Secret of the cluster",
            };
            let message = format!(
                "{} can reach {target} in {} steps",
                node.describe(),
                path.len()
            );
            let finding = ctx.report(meta, object, first.role_ref.pos, "roleRef", message);
            let mut at = node.describe();
            for edge in &path {
                let via = edge
                    .binding
                    .and_then(|b| rbac.bindings.get(b))
                    .map(|b| format!(" (via {} `{}`)", b.kind(), b.name))
                    .unwrap_or_default();
                let object = edge
                    .binding
                    .and_then(|b| rbac.bindings.get(b))
                    .and_then(|b| rbac.binding_object(inventory, b))
                    .map(|o| o.id.clone());
                let text = if at.is_empty() {
                    format!("{}{via}", edge.why)
                } else {
                    format!("{at} {}{via}", edge.why)
                };
                finding.step(text, object);
                // A hub is not someone: the next step continues the sentence.
                at = if edge.to.is_hub() {
                    String::new()
                } else {
                    edge.to.describe()
                };
            }
        }
    }
}
