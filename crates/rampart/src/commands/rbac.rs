//! `rampart can-i` and `rampart who-can`: the RBAC authorizer, offline.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use rampart_analysis::rbac::{Grant, Rbac, Request, UserInfo};
use rampart_model::{Inventory, Pos};
use rampart_source::LoadOptions;
use serde_json::json;

use super::EXIT_ERROR;
use crate::args::{CanIArgs, EffectiveArgs, EscalationsArgs, GraphFormat, QueryFormat, WhoCanArgs};

/// Short names and singulars kubectl resolves through discovery, for the built-in
/// resources: `(name, plural, group)`.
const RESOURCES: &[(&str, &str, &str)] = &[
    ("po", "pods", ""),
    ("pod", "pods", ""),
    ("svc", "services", ""),
    ("service", "services", ""),
    ("cm", "configmaps", ""),
    ("configmap", "configmaps", ""),
    ("secret", "secrets", ""),
    ("sa", "serviceaccounts", ""),
    ("serviceaccount", "serviceaccounts", ""),
    ("ns", "namespaces", ""),
    ("namespace", "namespaces", ""),
    ("no", "nodes", ""),
    ("node", "nodes", ""),
    ("pv", "persistentvolumes", ""),
    ("pvc", "persistentvolumeclaims", ""),
    ("ep", "endpoints", ""),
    ("ev", "events", ""),
    ("event", "events", ""),
    ("deploy", "deployments", "apps"),
    ("deployment", "deployments", "apps"),
    ("deployments", "deployments", "apps"),
    ("rs", "replicasets", "apps"),
    ("replicasets", "replicasets", "apps"),
    ("ds", "daemonsets", "apps"),
    ("daemonsets", "daemonsets", "apps"),
    ("sts", "statefulsets", "apps"),
    ("statefulsets", "statefulsets", "apps"),
    ("job", "jobs", "batch"),
    ("jobs", "jobs", "batch"),
    ("cj", "cronjobs", "batch"),
    ("cronjobs", "cronjobs", "batch"),
    ("ing", "ingresses", "networking.k8s.io"),
    ("ingresses", "ingresses", "networking.k8s.io"),
    ("netpol", "networkpolicies", "networking.k8s.io"),
    ("networkpolicies", "networkpolicies", "networking.k8s.io"),
    ("roles", "roles", "rbac.authorization.k8s.io"),
    ("rolebindings", "rolebindings", "rbac.authorization.k8s.io"),
    ("clusterroles", "clusterroles", "rbac.authorization.k8s.io"),
    (
        "clusterrolebindings",
        "clusterrolebindings",
        "rbac.authorization.k8s.io",
    ),
    ("csr", "certificatesigningrequests", "certificates.k8s.io"),
    (
        "certificatesigningrequests",
        "certificatesigningrequests",
        "certificates.k8s.io",
    ),
    (
        "validatingwebhookconfigurations",
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
    ),
    (
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
    ),
    ("tokenreviews", "tokenreviews", "authentication.k8s.io"),
];

/// Parses `TYPE[.GROUP][/NAME]` or a URL into a request.
fn request(
    verb: &str,
    target: &str,
    subresource: Option<&str>,
    namespace: Option<&str>,
) -> anyhow::Result<Request> {
    if target.starts_with('/') {
        return Ok(Request {
            verb: verb.to_string(),
            path: Some(target.to_string()),
            ..Request::default()
        });
    }
    let (kind, name) = target.split_once('/').unwrap_or((target, ""));
    if kind.is_empty() {
        bail!("`{target}` is not TYPE[.GROUP][/NAME] or a URL");
    }
    let (resource, group) = match kind.split_once('.') {
        Some((r, g)) => (r.to_string(), g.to_string()),
        None => match RESOURCES.iter().find(|(n, _, _)| *n == kind) {
            Some((_, plural, group)) => ((*plural).to_string(), (*group).to_string()),
            None => (kind.to_string(), String::new()),
        },
    };
    Ok(Request {
        verb: verb.to_string(),
        api_group: group,
        resource,
        subresource: subresource.unwrap_or_default().to_string(),
        name: name.to_string(),
        namespace: namespace.unwrap_or_default().to_string(),
        path: None,
    })
}

fn load(files: &[PathBuf]) -> (Inventory, bool) {
    let inputs = super::inputs(files);
    let loaded = rampart_source::load(&inputs, &LoadOptions::default());
    let errors = loaded.has_errors();
    let _ = rampart_report::text::write_diagnostics_of(
        &loaded.diagnostics,
        &mut anstream::stderr().lock(),
    );
    (Inventory::new(loaded.files, loaded.objects, None), errors)
}

fn place(inventory: &Inventory, object: usize, builtin: bool, pos: Pos) -> String {
    if builtin {
        return "built-in bootstrap policy".to_string();
    }
    let file = inventory
        .objects
        .get(object)
        .and_then(rampart_model::Object::file)
        .map_or("-", |f| inventory.files.name(f));
    if pos.is_known() {
        format!("{file}:{}", pos.line)
    } else {
        file.to_string()
    }
}

fn grant_json(inventory: &Inventory, rbac: &Rbac, grant: &Grant) -> serde_json::Value {
    let binding = &rbac.bindings[grant.binding];
    let role = &rbac.roles[grant.role];
    let rule = &rbac.rules_of(grant.role)[grant.rule];
    let source = &rbac.roles[rule.source];
    json!({
        "binding": {"kind": binding.kind(), "name": binding.name, "namespace": binding.namespace, "at": place(inventory, binding.object, binding.builtin, binding.role_ref.pos)},
        "role": {"kind": role.kind(), "name": role.name, "namespace": role.namespace, "at": place(inventory, role.object, role.builtin, Pos::UNKNOWN)},
        "rule": {"index": rule.index, "from": source.name, "verbs": rule.verbs, "apiGroups": rule.api_groups, "resources": rule.resources,
                 "resourceNames": rule.resource_names, "nonResourceURLs": rule.non_resource_urls, "at": place(inventory, source.object, source.builtin, rule.pos)},
    })
}

pub(crate) fn can_i(args: &CanIArgs) -> anyhow::Result<ExitCode> {
    let request = request(
        &args.verb,
        &args.target,
        args.subresource.as_deref(),
        args.namespace.as_deref(),
    )?;
    let (inventory, errors) = load(&args.files);
    let rbac = Rbac::build(&inventory, !args.no_builtin_rbac);
    let user = UserInfo::authenticated(&args.as_user, &args.as_group);
    let grants = rbac.authorize(&user, &request);
    let mut out = anstream::stdout().lock();
    match args.output {
        QueryFormat::Json => {
            let reasons: Vec<_> = grants
                .iter()
                .map(|g| grant_json(&inventory, &rbac, g))
                .collect();
            serde_json::to_writer_pretty(
                &mut out,
                &json!({"allowed": !grants.is_empty(), "user": user.name, "groups": user.groups, "reasons": reasons}),
            )?;
            writeln!(out)?;
        }
        QueryFormat::Text => {
            writeln!(out, "{}", if grants.is_empty() { "no" } else { "yes" })?;
            for g in &grants {
                let (b, r) = (&rbac.bindings[g.binding], &rbac.roles[g.role]);
                let rule = &rbac.rules_of(g.role)[g.rule];
                let from = if rule.source == g.role {
                    String::new()
                } else {
                    format!(
                        ", aggregated from ClusterRole {}",
                        rbac.roles[rule.source].name
                    )
                };
                let ns = b
                    .namespace
                    .as_deref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {} {ns}{} -> {} {} rule {}{from} ({})",
                    b.kind(),
                    b.name,
                    r.kind(),
                    r.name,
                    rule.index,
                    place(
                        &inventory,
                        rbac.roles[rule.source].object,
                        rbac.roles[rule.source].builtin,
                        rule.pos
                    )
                )?;
            }
        }
    }
    // kubectl auth can-i: 0 yes, 1 no; input errors are 2.
    Ok(ExitCode::from(if errors {
        EXIT_ERROR
    } else {
        u8::from(grants.is_empty())
    }))
}

pub(crate) fn who_can(args: &WhoCanArgs) -> anyhow::Result<ExitCode> {
    let request = request(
        &args.verb,
        &args.target,
        args.subresource.as_deref(),
        args.namespace.as_deref(),
    )?;
    let started = std::time::Instant::now();
    let (inventory, errors) = load(&args.files);
    let loaded = started.elapsed();
    let rbac = Rbac::build(&inventory, !args.no_builtin_rbac);
    let indexed = started.elapsed();
    let subjects = rbac.who_can(&request);
    if args.timings {
        let query = started.elapsed().saturating_sub(indexed);
        let _ = writeln!(
            anstream::stderr(),
            "timing: load {:.3} s, rbac index {:.3} s, query {:.3} ms",
            loaded.as_secs_f64(),
            indexed.saturating_sub(loaded).as_secs_f64(),
            query.as_secs_f64() * 1000.0
        );
    }
    let mut out = anstream::stdout().lock();
    match args.output {
        QueryFormat::Json => {
            let list: Vec<_> = subjects
                .iter()
                .map(|(s, b)| {
                    let kind = format!("{:?}", s.kind);
                    let binding = b.map(|b| &rbac.bindings[b]).map(|b| json!({"kind": b.kind(), "name": b.name, "namespace": b.namespace}));
                    json!({"kind": kind, "name": s.name, "namespace": s.namespace, "binding": binding})
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        QueryFormat::Text => {
            for (s, b) in &subjects {
                let via = b.map(|b| &rbac.bindings[b]).map_or_else(
                    || " (always: the API server's superuser group)".to_string(),
                    |b| {
                        format!(
                            " (via {} {}{})",
                            b.kind(),
                            b.namespace
                                .as_deref()
                                .map(|n| format!("{n}/"))
                                .unwrap_or_default(),
                            b.name
                        )
                    },
                );
                writeln!(out, "{}{via}", s.describe().replace('`', ""))?;
            }
        }
    }
    Ok(ExitCode::from(if errors { EXIT_ERROR } else { 0 }))
}

pub(crate) fn escalations(args: &EscalationsArgs) -> anyhow::Result<ExitCode> {
    use rampart_analysis::rbac::escalation::Node;
    let (inventory, errors) = load(&args.files);
    let rbac = Rbac::build(&inventory, !args.no_builtin_rbac);
    let policies =
        rampart_rules::settings::Policies::new(&inventory, &rampart_rules::Settings::default());
    let graph = rampart_rules::derived::escalations(&inventory, &rbac, &policies);
    let step_json = |e: &rampart_analysis::rbac::escalation::Edge| {
        let binding = e.binding.and_then(|b| rbac.bindings.get(b)).map(|b| json!({"kind": b.kind(), "name": b.name, "namespace": b.namespace, "builtin": b.builtin}));
        json!({"to": e.to.describe(), "why": e.why, "binding": binding})
    };
    let mut out = anstream::stdout().lock();
    match args.output {
        GraphFormat::Json => {
            let list: Vec<_> = graph
                .identities()
                .into_iter()
                .map(|n| {
                    let admin: Vec<_> = graph.path_to_admin(n).iter().map(step_json).collect();
                    let secrets: Vec<_> = graph.path_to_secrets(n).iter().map(step_json).collect();
                    json!({"subject": n.describe(), "toClusterAdmin": admin, "toAllSecrets": secrets})
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        GraphFormat::Text => {
            for node in graph.identities() {
                for (goal, path) in [
                    ("cluster-admin", graph.path_to_admin(node)),
                    ("every Secret", graph.path_to_secrets(node)),
                ] {
                    if path.is_empty() {
                        continue;
                    }
                    writeln!(
                        out,
                        "{} -> {goal} in {} step{}",
                        node.describe().replace('`', ""),
                        path.len(),
                        if path.len() == 1 { "" } else { "s" }
                    )?;
                    for (i, e) in path.iter().enumerate() {
                        let via = e
                            .binding
                            .and_then(|b| rbac.bindings.get(b))
                            .map(|b| format!(" [{} {}]", b.kind(), b.name))
                            .unwrap_or_default();
                        writeln!(out, "  {}. {}{via}", i + 1, e.why.replace('`', ""))?;
                    }
                }
            }
        }
        GraphFormat::Dot => {
            writeln!(
                out,
                "digraph escalations {{\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];"
            )?;
            let id = |n: &Node| format!("\"{}\"", n.describe().replace('`', "").replace('"', "'"));
            for (from, edges) in &graph.edges {
                for e in edges {
                    writeln!(
                        out,
                        "  {} -> {} [label=\"{}\"];",
                        id(from),
                        id(&e.to),
                        e.why.replace('`', "").replace('"', "'")
                    )?;
                }
            }
            writeln!(
                out,
                "  \"cluster-admin equivalent\" [style=filled, fillcolor=\"#f4cccc\"];\n}}"
            )?;
        }
    }
    Ok(ExitCode::from(if errors { EXIT_ERROR } else { 0 }))
}

pub(crate) fn effective(args: &EffectiveArgs) -> anyhow::Result<ExitCode> {
    let (inventory, errors) = load(&args.files);
    let rbac = Rbac::build(&inventory, !args.no_builtin_rbac);
    let (user, label) = match args.subject.split_once(':') {
        Some(("User", name)) => (UserInfo::authenticated(name, &[]), format!("User {name}")),
        Some(("Group", name)) => (
            UserInfo::authenticated("", &[name.to_string()]),
            format!("Group {name}"),
        ),
        Some(("ServiceAccount", rest)) => match rest.split_once(':') {
            Some((ns, name)) => (
                UserInfo::authenticated(&format!("system:serviceaccount:{ns}:{name}"), &[]),
                format!("ServiceAccount {ns}/{name}"),
            ),
            None => bail!("a ServiceAccount is ServiceAccount:NAMESPACE:NAME"),
        },
        _ => (
            UserInfo::authenticated(&args.subject, &[]),
            args.subject.clone(),
        ),
    };
    // Every binding whose subjects match, with the rules it grants and where.
    let mut scopes: std::collections::BTreeMap<String, Vec<serde_json::Value>> =
        std::collections::BTreeMap::new();
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
        let scope = binding
            .namespace
            .clone()
            .map_or_else(|| "cluster-wide".to_string(), |n| format!("namespace {n}"));
        for rule in rbac.rules_of(role) {
            scopes.entry(scope.clone()).or_default().push(json!({
                "verbs": rule.verbs, "apiGroups": rule.api_groups, "resources": rule.resources,
                "resourceNames": rule.resource_names, "nonResourceURLs": rule.non_resource_urls,
                "via": format!("{} {} -> {} {}", binding.kind(), binding.name, rbac.roles[role].kind(), rbac.roles[role].name),
            }));
        }
    }
    let mut out = anstream::stdout().lock();
    match args.output {
        QueryFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &json!({"subject": label, "user": user.name, "groups": user.groups, "rules": scopes}),
            )?;
            writeln!(out)?;
        }
        QueryFormat::Text => {
            writeln!(out, "{label} (groups: {})", user.groups.join(", "))?;
            for (scope, rules) in &scopes {
                writeln!(out, "{scope}:")?;
                for r in rules {
                    let list = |k: &str| {
                        r[k].as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|v| v.as_str())
                                    .collect::<Vec<_>>()
                                    .join(",")
                            })
                            .unwrap_or_default()
                    };
                    let what = if list("nonResourceURLs").is_empty() {
                        let groups = list("apiGroups");
                        let names = list("resourceNames");
                        format!(
                            "{} on {}{}{}",
                            list("verbs"),
                            list("resources"),
                            if groups.is_empty() {
                                String::new()
                            } else {
                                format!(" (groups {groups})")
                            },
                            if names.is_empty() {
                                String::new()
                            } else {
                                format!(" named {names}")
                            }
                        )
                    } else {
                        format!("{} on URLs {}", list("verbs"), list("nonResourceURLs"))
                    };
                    writeln!(out, "  {what}  [{}]", r["via"].as_str().unwrap_or_default())?;
                }
            }
        }
    }
    Ok(ExitCode::from(if errors { EXIT_ERROR } else { 0 }))
}
