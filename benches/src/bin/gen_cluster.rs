//! Generates a deterministic synthetic cluster snapshot: namespaces with Deployments,
//! their ReplicaSets and Pods, Services, ConfigMaps, Secret metadata, ServiceAccounts,
//! Roles, RoleBindings and NetworkPolicies, plus cluster-wide RBAC and Nodes.
//!
//! ```text
//! gen-cluster --objects 100000 --seed 7 --format json > cluster.json   # one `kind: List`
//! gen-cluster --objects 100000 --seed 7 --format yaml > cluster.yaml   # one document per object
//! gen-cluster --netpol-pods 10000 --netpol-policies 1000 --replicas 5 > netpol.json
//! ```
//!
//! The same seed and size always give the same bytes. A few objects carry the problems
//! the rules look for (privileged containers, `latest` tags, secrets in env, broad
//! bindings, namespaces without policy), at rates seen in real clusters.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use serde_json::{Value, json};

#[path = "../rng.rs"]
mod rng;
use rng::Rng;

const IMAGES: &[&str] = &[
    "nginx:1.27.3",
    "redis:7.4.1",
    "postgres:16.4",
    "ghcr.io/example/api:2.3.1",
    "registry.example.com/team/worker:1.0.9",
    "busybox:1.36",
    "envoyproxy/envoy:v1.31.2",
    "quay.io/prometheus/node-exporter:v1.8.2",
];
const TEAMS: &[&str] = &[
    "payments", "search", "checkout", "identity", "catalog", "ml", "data", "web",
];

fn container(rng: &mut Rng, name: &str) -> Value {
    let mut image = rng.pick(IMAGES).to_string();
    if rng.chance(8, 100) {
        image = image.split(':').next().unwrap_or("nginx").to_string() + ":latest";
    }
    let mut env = vec![
        json!({"name": "LOG_LEVEL", "value": "info"}),
        json!({"name": "PORT", "value": "8080"}),
        json!({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}),
    ];
    if rng.chance(2, 100) {
        env.push(json!({"name": "API_TOKEN", "value": format!("tok_{:016x}{:08x}Zq#", rng.next(), rng.below(1 << 30))}));
    }
    let mut security = json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}});
    if rng.chance(3, 100) {
        security = json!({"privileged": true});
    }
    json!({
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "env": env,
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 10},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 20},
        "securityContext": security,
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": true}],
    })
}

fn pod_spec(rng: &mut Rng, app: &str) -> Value {
    let mut containers = vec![container(rng, app)];
    if rng.chance(30, 100) {
        containers.push(container(rng, "sidecar"));
    }
    json!({
        "serviceAccountName": app,
        "automountServiceAccountToken": false,
        "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": containers,
        "volumes": [{"name": "config", "configMap": {"name": format!("{app}-config")}}],
        "nodeSelector": {"kubernetes.io/os": "linux"},
    })
}

fn meta(name: &str, ns: Option<&str>, labels: &Value) -> Value {
    let mut m = json!({"name": name, "labels": labels, "annotations": {"team": "platform"}});
    if let Some(ns) = ns {
        m["namespace"] = json!(ns);
    }
    m
}

fn generate(total: usize, seed: u64) -> Vec<Value> {
    let mut rng = Rng(seed);
    let mut out: Vec<Value> = Vec::with_capacity(total);
    // Cluster-wide objects first: nodes and RBAC.
    for n in 0..(total / 500).max(1) {
        out.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": format!("node-{n}"), "labels": {"kubernetes.io/os": "linux"}},
            "status": {"nodeInfo": {"kubeletVersion": "v1.31.4"}}}));
        out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": format!("reader-{n}")},
            "rules": [{"apiGroups": [""], "resources": ["pods", "services"], "verbs": ["get", "list", "watch"]}]}));
        let role = if rng.chance(5, 100) {
            "cluster-admin"
        } else {
            "view"
        };
        out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": format!("binding-{n}")},
            "subjects": [{"kind": "Group", "name": format!("team-{n}")}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}}));
    }
    let mut ns_index = 0usize;
    while out.len() < total {
        let team = rng.pick(TEAMS);
        let ns = format!("{team}-{ns_index}");
        ns_index += 1;
        out.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": team}}}));
        if rng.chance(70, 100) {
            out.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("default-deny", Some(&ns), &json!({})),
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}));
        }
        for a in 0..(4 + rng.below(8)) {
            if out.len() >= total {
                break;
            }
            let app = format!("app-{a}");
            let labels = json!({"app": app, "team": team});
            let spec = pod_spec(&mut rng, &app);
            let replicas = 1 + rng.below(3);
            out.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(&app, Some(&ns), &labels),
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                    "template": {"metadata": {"labels": labels}, "spec": spec}}}));
            let rs = format!("{app}-{:08x}", rng.next() & 0xffff_ffff);
            out.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta(&rs, Some(&ns), &labels),
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}}, "template": {"metadata": {"labels": labels}, "spec": spec}}}));
            for p in 0..replicas {
                let mut pod_meta = meta(&format!("{rs}-{p}"), Some(&ns), &labels);
                pod_meta["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "controller": true, "uid": format!("{:032x}", rng.next())}]);
                out.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec,
                    "status": {"phase": "Running", "podIP": format!("10.{}.{}.{}", rng.below(256), rng.below(256), rng.below(256))}}));
            }
            out.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": meta(&app, Some(&ns), &labels),
                "spec": {"selector": {"app": app}, "ports": [{"port": 80, "targetPort": "http"}]}}));
            out.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(&format!("{app}-config"), Some(&ns), &labels),
                "data": {"app.properties": "threads=8\ntimeout=30s\n", "feature-flags": "new-checkout=false"}}));
            out.push(json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta(&format!("{app}-db"), Some(&ns), &labels)}));
            out.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(&app, Some(&ns), &labels), "automountServiceAccountToken": false}));
            out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta(&app, Some(&ns), &labels),
                "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [format!("{app}-config")], "verbs": ["get", "watch"]}]}));
            out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(&app, Some(&ns), &labels),
                "subjects": [{"kind": "ServiceAccount", "name": app, "namespace": ns}],
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": app}}));
        }
    }
    out.truncate(total);
    out
}

/// An RBAC-heavy cluster: `roles` Roles and ClusterRoles, as many bindings, `accounts`
/// ServiceAccounts, over 500 namespaces; some bindings chain into escalation paths.
fn generate_rbac(roles: usize, accounts: usize, seed: u64) -> Vec<Value> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(roles * 2 + accounts);
    let namespaces = 500;
    let verbs_sets: &[&[&str]] = &[
        &["get", "list", "watch"],
        &["get"],
        &["create", "update", "patch"],
        &["*"],
    ];
    let resources: &[(&str, &str)] = &[
        ("", "pods"),
        ("", "configmaps"),
        ("", "secrets"),
        ("", "services"),
        ("apps", "deployments"),
        ("batch", "jobs"),
        ("", "serviceaccounts/token"),
        ("", "pods/exec"),
        ("example.com", "widgets"),
    ];
    for i in 0..accounts {
        let ns = format!("ns-{}", i % namespaces);
        out.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": format!("sa-{i}"), "namespace": ns}}));
    }
    for i in 0..roles {
        let cluster = i % 10 == 0;
        let ns = format!("ns-{}", i % namespaces);
        let mut rules = Vec::new();
        for _ in 0..=rng.below(4) {
            let (group, resource) =
                resources[usize::try_from(rng.below(resources.len() as u64)).unwrap_or(0)];
            let verbs =
                verbs_sets[usize::try_from(rng.below(verbs_sets.len() as u64)).unwrap_or(0)];
            rules.push(json!({"apiGroups": [group], "resources": [resource], "verbs": verbs}));
        }
        let name = format!("role-{i}");
        let (kind, binding_kind) = if cluster {
            ("ClusterRole", "ClusterRoleBinding")
        } else {
            ("Role", "RoleBinding")
        };
        let mut meta = json!({"name": name});
        if !cluster {
            meta["namespace"] = json!(ns);
        }
        out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta, "rules": rules}));
        let sa = format!("sa-{}", rng.below(accounts as u64));
        let sa_ns = format!(
            "ns-{}",
            sa.trim_start_matches("sa-").parse::<usize>().unwrap_or(0) % namespaces
        );
        let subject = match rng.below(3) {
            0 => json!({"kind": "User", "name": format!("user-{}", rng.below(2000))}),
            1 => json!({"kind": "Group", "name": format!("team-{}", rng.below(200))}),
            _ => json!({"kind": "ServiceAccount", "name": sa, "namespace": sa_ns}),
        };
        let mut bmeta = json!({"name": format!("binding-{i}")});
        if !cluster {
            bmeta["namespace"] = json!(ns);
        }
        out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": binding_kind, "metadata": bmeta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}, "subjects": [subject]}));
    }
    out
}

/// Pods (replicas of ReplicaSets, `pods / replicas` workloads), Namespaces with team
/// labels, and NetworkPolicies: a default deny per namespace, then policies that
/// admit tiers, teams' namespaces, named and numbered ports, and ipBlocks.
fn generate_netpol(pods: usize, policies: usize, replicas: usize, seed: u64) -> Vec<Value> {
    let mut rng = Rng(seed);
    let namespaces = 100usize.min(pods.max(1));
    let tiers = ["web", "api", "db", "cache", "worker"];
    let mut out = Vec::new();
    for n in 0..namespaces {
        let team = rng.pick(TEAMS);
        out.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("ns-{n}"), "labels": {"team": team, "env": if n % 3 == 0 { "prod" } else { "dev" }}}}));
    }
    let workloads = (pods / replicas.max(1)).max(1);
    for i in 0..pods {
        let w = i % workloads;
        let ns = format!("ns-{}", w % namespaces);
        let tier = tiers[w % tiers.len()];
        let app = format!("app-{w}");
        let owner = format!("{app}-7d9f8c");
        out.push(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("{owner}-{i}"), "namespace": ns,
                "labels": {"app": app, "tier": tier, "version": format!("v{}", w % 3)},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "controller": true, "uid": format!("uid-{w}")}]},
            "spec": {"containers": [{"name": "main", "image": rng.pick(IMAGES),
                "ports": [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9090}, {"name": "dns", "containerPort": 53, "protocol": "UDP"}]}]}}));
    }
    for p in 0..policies {
        let n = p % namespaces;
        let ns = format!("ns-{n}");
        let policy = if p < namespaces {
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ns-0"}}}], "ports": [{"port": 53, "protocol": "UDP"}]}]})
        } else {
            let target = rng.below(workloads as u64);
            let from_tier = tiers[usize::try_from(rng.below(tiers.len() as u64)).unwrap_or(0)];
            let peer = match rng.below(4) {
                0 => json!({"podSelector": {"matchLabels": {"tier": from_tier}}}),
                1 => {
                    json!({"namespaceSelector": {"matchLabels": {"team": rng.pick(TEAMS)}}, "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": [from_tier, "api"]}]}})
                }
                2 => json!({"namespaceSelector": {"matchLabels": {"env": "prod"}}}),
                _ => {
                    json!({"ipBlock": {"cidr": format!("10.{}.0.0/16", rng.below(256)), "except": [format!("10.{}.1.0/24", rng.below(256))]}})
                }
            };
            let port = match rng.below(3) {
                0 => json!({"port": "http"}),
                1 => json!({"port": 8000, "endPort": 8100}),
                _ => json!({"port": "metrics"}),
            };
            let selector = if rng.chance(70, 100) {
                json!({"matchLabels": {"app": format!("app-{target}")}})
            } else {
                json!({"matchLabels": {"tier": tiers[usize::try_from(rng.below(tiers.len() as u64)).unwrap_or(0)]}})
            };
            let mut spec =
                json!({"podSelector": selector, "ingress": [{"from": [peer], "ports": [port]}]});
            if rng.chance(30, 100) {
                spec["policyTypes"] = json!(["Ingress", "Egress"]);
                spec["egress"] = json!([{"to": [{"podSelector": {"matchLabels": {"tier": "db"}}}], "ports": [{"port": 5432}]},
                    {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32", "10.0.0.0/8"]}}], "ports": [{"port": 443}]}]);
            }
            spec
        };
        out.push(
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": format!("policy-{p}"), "namespace": ns}, "spec": policy}),
        );
    }
    out
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: gen-cluster --objects N [--seed S] [--format json|yaml] | --rbac-roles N --rbac-accounts N | --netpol-pods N --netpol-policies N [--replicas R]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut objects, mut seed, mut format) = (1000usize, 7u64, "json".to_string());
    let (mut rbac_roles, mut rbac_accounts) = (0usize, 0usize);
    let (mut netpol_pods, mut netpol_policies, mut replicas) = (0usize, 0usize, 5usize);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let Some(v) = it.next() else { return usage() };
        match a.as_str() {
            "--objects" => match v.parse() {
                Ok(n) => objects = n,
                Err(_) => return usage(),
            },
            "--seed" => match v.parse() {
                Ok(n) => seed = n,
                Err(_) => return usage(),
            },
            "--format" => format.clone_from(v),
            "--rbac-roles" => match v.parse() {
                Ok(n) => rbac_roles = n,
                Err(_) => return usage(),
            },
            "--rbac-accounts" => match v.parse() {
                Ok(n) => rbac_accounts = n,
                Err(_) => return usage(),
            },
            "--netpol-pods" => match v.parse() {
                Ok(n) => netpol_pods = n,
                Err(_) => return usage(),
            },
            "--netpol-policies" => match v.parse() {
                Ok(n) => netpol_policies = n,
                Err(_) => return usage(),
            },
            "--replicas" => match v.parse() {
                Ok(n) => replicas = n,
                Err(_) => return usage(),
            },
            _ => return usage(),
        }
    }
    let items = if netpol_pods > 0 {
        generate_netpol(netpol_pods, netpol_policies, replicas, seed)
    } else if rbac_roles > 0 {
        generate_rbac(rbac_roles, rbac_accounts.max(1), seed)
    } else {
        generate(objects, seed)
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let written = if format == "yaml" {
        items.iter().try_for_each(|item| {
            writeln!(out, "---")?;
            write_yaml(&mut out, item, 0, false)
        })
    } else {
        serde_json::to_writer(
            &mut out,
            &json!({"apiVersion": "v1", "kind": "List", "items": items}),
        )
        .map_err(io::Error::other)
        .and_then(|()| writeln!(out))
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-cluster: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Block-style YAML as kubectl writes it (strings quoted when YAML 1.1 would misread
/// them, via JSON quoting).
fn write_yaml(out: &mut impl Write, v: &Value, indent: usize, in_seq: bool) -> io::Result<()> {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (i, (k, val)) in map.iter().enumerate() {
                let lead = if in_seq && i == 0 {
                    String::new()
                } else {
                    pad.clone()
                };
                match val {
                    Value::Object(m) if !m.is_empty() => {
                        writeln!(out, "{lead}{k}:")?;
                        write_yaml(out, val, indent + 2, false)?;
                    }
                    Value::Array(a) if !a.is_empty() => {
                        writeln!(out, "{lead}{k}:")?;
                        write_yaml(out, val, indent, false)?;
                    }
                    _ => writeln!(out, "{lead}{k}: {}", scalar(val))?,
                }
            }
            Ok(())
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                write!(out, "{pad}- ")?;
                match item {
                    Value::Object(m) if !m.is_empty() => write_yaml(out, item, indent + 2, true)?,
                    _ => writeln!(out, "{}", scalar(item))?,
                }
            }
            Ok(())
        }
        _ => writeln!(out, "{pad}{}", scalar(v)),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let plain = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '/' | '_'))
                && s.parse::<f64>().is_err()
                && !matches!(
                    s.to_ascii_lowercase().as_str(),
                    "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "~"
                );
            if plain {
                s.clone()
            } else {
                serde_json::to_string(s).unwrap_or_default()
            }
        }
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}
