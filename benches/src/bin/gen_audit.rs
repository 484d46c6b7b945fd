//! Generates a deterministic, real-shaped audit log: JSON lines of `audit.k8s.io/v1`
//! `Event`s as the API server's log backend writes them (every field in Go's order,
//! `&` escaped as `\u0026`), one day of a busy cluster.
//!
//! ```text
//! gen-audit --size-mb 1000 --seed 7 > audit.log
//! ```
//!
//! The mix follows what real logs hold: most events are kubelets and controllers
//! getting, watching and updating (leases, node status, endpoints), each request logged
//! at `ResponseComplete` and, for a share, also at `RequestReceived` (policies that do
//! not omit it); people list and get in their namespaces; about one event in forty
//! carries a `requestObject` (pod creations, ConfigMap updates at level `Request`). A
//! few events are what `rampart audit-log` looks for: secrets listed across
//! namespaces, exec, privileged pods, anonymous requests, cluster-admin bindings and
//! bursts of 403s.

#![allow(clippy::print_stderr)]

use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

#[path = "../rng.rs"]
mod rng;
use rng::Rng;

const NAMESPACES: &[&str] = &[
    "payments",
    "search",
    "checkout",
    "identity",
    "catalog",
    "ml",
    "data",
    "web",
    "monitoring",
    "ingress-nginx",
];
const PEOPLE: &[&str] = &[
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "dave@example.com",
    "ci-deployer",
];
const CONTROLLERS: &[&str] = &[
    "system:serviceaccount:kube-system:replicaset-controller",
    "system:serviceaccount:kube-system:deployment-controller",
    "system:serviceaccount:kube-system:endpointslice-controller",
    "system:serviceaccount:kube-system:generic-garbage-collector",
    "system:kube-controller-manager",
    "system:kube-scheduler",
];
const RESOURCES: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "configmaps"),
    ("", "services"),
    ("", "endpoints"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("networking.k8s.io", "ingresses"),
    ("discovery.k8s.io", "endpointslices"),
];
const AGENTS: &[&str] = &[
    "kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46",
    "kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:replicaset-controller",
    "kubectl/v1.31.1 (darwin/arm64) kubernetes/948afe5",
    "Go-http-client/2.0",
];

fn timestamp(micros: u64) -> String {
    let secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    // 2024-05-01T00:00:00Z plus up to a few days: days stay in May.
    let day = secs / 86_400;
    let s = secs % 86_400;
    format!(
        "2024-05-{:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        day + 1,
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

fn uuid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next(), rng.next());
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

struct Event<'a> {
    level: &'a str,
    verb: &'a str,
    user: String,
    groups: Vec<String>,
    ip: String,
    agent: &'a str,
    group: &'a str,
    resource: &'a str,
    subresource: &'a str,
    namespace: String,
    name: String,
    code: u16,
    request_object: Option<String>,
    response_object: Option<String>,
    impersonated: Option<String>,
}

fn uri(e: &Event<'_>) -> String {
    let mut uri = if e.group.is_empty() {
        "/api/v1".to_string()
    } else {
        format!("/apis/{}/v1", e.group)
    };
    if !e.namespace.is_empty() {
        uri.push_str("/namespaces/");
        uri.push_str(&e.namespace);
    }
    uri.push('/');
    uri.push_str(e.resource);
    if !e.name.is_empty() && e.verb != "create" {
        uri.push('/');
        uri.push_str(&e.name);
    }
    if !e.subresource.is_empty() {
        uri.push('/');
        uri.push_str(e.subresource);
    }
    match e.verb {
        "watch" => uri.push_str("?allowWatchBookmarks=true\\u0026resourceVersion=48213\\u0026timeout=8m34s\\u0026timeoutSeconds=514\\u0026watch=true"),
        "list" => uri.push_str("?limit=500\\u0026resourceVersion=0"),
        _ => {}
    }
    uri
}

fn write_event(
    out: &mut impl Write,
    e: &Event<'_>,
    id: &str,
    stage: &str,
    received: u64,
    at: u64,
) -> io::Result<()> {
    let groups: Vec<String> = e.groups.iter().map(|g| format!("\"{g}\"")).collect();
    let mut object = format!("\"resource\":\"{}\"", e.resource);
    if !e.namespace.is_empty() {
        let _ = write!(object, ",\"namespace\":\"{}\"", e.namespace);
    }
    if !e.name.is_empty() {
        let _ = write!(object, ",\"name\":\"{}\"", e.name);
    }
    if !e.group.is_empty() {
        let _ = write!(object, ",\"apiGroup\":\"{}\"", e.group);
    }
    object.push_str(",\"apiVersion\":\"v1\"");
    if !e.subresource.is_empty() {
        let _ = write!(object, ",\"subresource\":\"{}\"", e.subresource);
    }
    write!(
        out,
        "{{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"{}\",\"auditID\":\"{id}\",\"stage\":\"{stage}\",\"requestURI\":\"{}\",\"verb\":\"{}\",\"user\":{{\"username\":\"{}\",\"groups\":[{}]}},",
        e.level,
        uri(e),
        e.verb,
        e.user,
        groups.join(",")
    )?;
    if let Some(i) = &e.impersonated {
        write!(
            out,
            "\"impersonatedUser\":{{\"username\":\"{i}\",\"groups\":[\"system:authenticated\"]}},"
        )?;
    }
    write!(
        out,
        "\"sourceIPs\":[\"{}\"],\"userAgent\":\"{}\",\"objectRef\":{{{object}}},",
        e.ip, e.agent
    )?;
    if stage != "RequestReceived" {
        if e.code < 400 {
            write!(
                out,
                "\"responseStatus\":{{\"metadata\":{{}},\"code\":{}}},",
                e.code
            )?;
        } else {
            write!(
                out,
                "\"responseStatus\":{{\"metadata\":{{}},\"status\":\"Failure\",\"message\":\"{} \\\"{}\\\" is forbidden: User \\\"{}\\\" cannot {} resource \\\"{}\\\" in API group \\\"{}\\\" in the namespace \\\"{}\\\"\",\"reason\":\"Forbidden\",\"details\":{{\"kind\":\"{}\"}},\"code\":{}}},",
                e.resource,
                e.name,
                e.user,
                e.verb,
                e.resource,
                e.group,
                e.namespace,
                e.resource,
                e.code
            )?;
        }
    }
    if let Some(body) = &e.request_object {
        write!(out, "\"requestObject\":{body},")?;
    }
    if stage != "RequestReceived"
        && let Some(body) = &e.response_object
    {
        write!(out, "\"responseObject\":{body},")?;
    }
    let decision = if e.code == 403 { "forbid" } else { "allow" };
    writeln!(
        out,
        "\"requestReceivedTimestamp\":\"{}\",\"stageTimestamp\":\"{}\",\"annotations\":{{\"authorization.k8s.io/decision\":\"{decision}\",\"authorization.k8s.io/reason\":\"RBAC: allowed by ClusterRoleBinding \\\"system:controller:{}\\\" of ClusterRole \\\"system:controller:{}\\\" to ServiceAccount \\\"{}/kube-system\\\"\"}}}}",
        timestamp(received),
        timestamp(at),
        e.resource,
        e.resource,
        e.resource
    )
}

fn pod_body(rng: &mut Rng, namespace: &str, name: &str, privileged: bool) -> String {
    let security = if privileged {
        "{\"privileged\":true}".to_string()
    } else {
        "{\"allowPrivilegeEscalation\":false,\"readOnlyRootFilesystem\":true,\"capabilities\":{\"drop\":[\"ALL\"]}}".to_string()
    };
    format!(
        "{{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{{\"generateName\":\"{name}-\",\"namespace\":\"{namespace}\",\"creationTimestamp\":null,\"labels\":{{\"app\":\"{name}\",\"pod-template-hash\":\"{:x}\"}},\"ownerReferences\":[{{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"{name}-{:x}\",\"uid\":\"{}\",\"controller\":true,\"blockOwnerDeletion\":true}}]}},\"spec\":{{\"volumes\":[{{\"name\":\"config\",\"configMap\":{{\"name\":\"{name}\",\"defaultMode\":420}}}}],\"containers\":[{{\"name\":\"{name}\",\"image\":\"registry.example.com/{namespace}/{name}:1.4.{}\",\"ports\":[{{\"name\":\"http\",\"containerPort\":8080,\"protocol\":\"TCP\"}}],\"env\":[{{\"name\":\"LOG_LEVEL\",\"value\":\"info\"}},{{\"name\":\"DB_PASSWORD\",\"valueFrom\":{{\"secretKeyRef\":{{\"name\":\"db\",\"key\":\"password\"}}}}}}],\"resources\":{{\"limits\":{{\"cpu\":\"500m\",\"memory\":\"256Mi\"}},\"requests\":{{\"cpu\":\"100m\",\"memory\":\"128Mi\"}}}},\"volumeMounts\":[{{\"name\":\"config\",\"readOnly\":true,\"mountPath\":\"/etc/app\"}}],\"livenessProbe\":{{\"httpGet\":{{\"path\":\"/healthz\",\"port\":\"http\",\"scheme\":\"HTTP\"}},\"timeoutSeconds\":1,\"periodSeconds\":20,\"successThreshold\":1,\"failureThreshold\":3}},\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\",\"securityContext\":{security}}}],\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\",\"serviceAccountName\":\"{name}\",\"securityContext\":{{\"runAsNonRoot\":true,\"seccompProfile\":{{\"type\":\"RuntimeDefault\"}}}},\"schedulerName\":\"default-scheduler\",\"enableServiceLinks\":true}},\"status\":{{}}}}",
        rng.next() & 0xffff_ffff,
        rng.next() & 0xffff_ffff,
        uuid(rng),
        rng.below(30)
    )
}

fn lease_body(rng: &mut Rng, node: &str, at: u64) -> String {
    format!(
        "{{\"kind\":\"Lease\",\"apiVersion\":\"coordination.k8s.io/v1\",\"metadata\":{{\"name\":\"{node}\",\"namespace\":\"kube-node-lease\",\"uid\":\"{}\",\"resourceVersion\":\"{}\",\"ownerReferences\":[{{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"{node}\",\"uid\":\"{}\"}}]}},\"spec\":{{\"holderIdentity\":\"{node}\",\"leaseDurationSeconds\":40,\"renewTime\":\"{}\"}}}}",
        uuid(rng),
        rng.below(10_000_000),
        uuid(rng),
        timestamp(at)
    )
}

#[allow(clippy::too_many_lines)]
fn generate(out: &mut impl Write, size: u64, seed: u64) -> io::Result<()> {
    let mut rng = Rng(seed);
    let mut written = CountingWriter {
        inner: out,
        bytes: 0,
    };
    let mut now: u64 = 0;
    let nodes: Vec<String> = (0..50).map(|i| format!("worker-{i:02}")).collect();
    while written.bytes < size {
        now += rng.below(4000);
        let roll = rng.below(1000);
        let ns = rng.pick(NAMESPACES).to_string();
        let node = nodes
            .get(usize::try_from(rng.below(50)).unwrap_or(0))
            .cloned()
            .unwrap_or_default();
        let mut e = Event {
            level: "Metadata",
            verb: "get",
            user: String::new(),
            groups: vec!["system:authenticated".into()],
            ip: format!("10.0.{}.{}", rng.below(4), rng.below(250) + 2),
            agent: AGENTS.first().copied().unwrap_or_default(),
            group: "",
            resource: "pods",
            subresource: "",
            namespace: ns.clone(),
            name: String::new(),
            code: 200,
            request_object: None,
            response_object: None,
            impersonated: None,
        };
        match roll {
            // Kubelets: leases, node status, their pods, secrets and configmaps they mount.
            0..=449 => {
                e.user = format!("system:node:{node}");
                e.groups = vec!["system:nodes".into(), "system:authenticated".into()];
                match rng.below(5) {
                    0 | 1 => {
                        e.verb = "update";
                        e.group = "coordination.k8s.io";
                        e.resource = "leases";
                        e.namespace = "kube-node-lease".into();
                        e.name.clone_from(&node);
                        e.level = "RequestResponse";
                        let body = lease_body(&mut rng, &node, now);
                        e.request_object = Some(body.clone());
                        e.response_object = Some(body);
                    }
                    2 => {
                        e.verb = "patch";
                        e.resource = "nodes";
                        e.subresource = "status";
                        e.namespace.clear();
                        e.name.clone_from(&node);
                    }
                    3 => {
                        e.verb = "watch";
                        e.resource = rng.pick(&["secrets", "configmaps", "pods"]);
                        e.name = format!("{}-{}", e.resource.trim_end_matches('s'), rng.below(40));
                    }
                    _ => {
                        e.verb = "create";
                        e.resource = "serviceaccounts";
                        e.subresource = "token";
                        e.name = format!("app-{}", rng.below(20));
                        e.code = 201;
                    }
                }
            }
            // Controllers.
            450..=849 => {
                e.user = rng.pick(CONTROLLERS).to_string();
                e.agent = AGENTS.get(1).copied().unwrap_or_default();
                let (group, resource) =
                    RESOURCES[usize::try_from(rng.below(RESOURCES.len() as u64)).unwrap_or(0)];
                e.group = group;
                e.resource = resource;
                e.verb = rng.pick(&[
                    "get", "list", "watch", "update", "update", "patch", "delete",
                ]);
                e.name = if matches!(e.verb, "list" | "watch") {
                    String::new()
                } else {
                    format!("{ns}-{}", rng.below(200))
                };
                if resource == "pods" && rng.chance(120, 1000) {
                    e.verb = "create";
                    e.code = 201;
                    e.level = "RequestResponse";
                    e.name.clear();
                    let app = format!("app-{}", rng.below(20));
                    let privileged = rng.chance(10, 1000);
                    e.request_object = Some(pod_body(&mut rng, &ns, &app, privileged));
                }
            }
            // People and CI.
            850..=979 => {
                e.user = rng.pick(PEOPLE).to_string();
                e.groups = vec!["developers".into(), "system:authenticated".into()];
                e.agent = AGENTS.get(2).copied().unwrap_or_default();
                let (group, resource) =
                    RESOURCES[usize::try_from(rng.below(RESOURCES.len() as u64)).unwrap_or(0)];
                e.group = group;
                e.resource = resource;
                e.verb = rng.pick(&["get", "list", "list", "watch", "update", "patch"]);
                e.name = if matches!(e.verb, "list" | "watch") {
                    String::new()
                } else {
                    format!("{ns}-{}", rng.below(200))
                };
                if rng.chance(60, 1000) {
                    e.code = 403;
                }
                if e.resource == "configmaps" && e.verb == "update" {
                    e.level = "Request";
                    e.request_object = Some(format!(
                        "{{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{{\"name\":\"{}\",\"namespace\":\"{ns}\"}},\"data\":{{\"LOG_LEVEL\":\"debug\",\"FEATURE_FLAGS\":\"a,b,c\"}}}}",
                        e.name
                    ));
                }
            }
            // Health checks and discovery.
            980..=994 => {
                e.user = "system:anonymous".into();
                e.groups = vec!["system:unauthenticated".into()];
                e.agent = AGENTS.get(3).copied().unwrap_or_default();
                e.resource = "";
                write_nonresource(&mut written, &mut rng, &e, now)?;
                continue;
            }
            // What audit-log looks for.
            _ => {
                e.user = rng.pick(PEOPLE).to_string();
                e.groups = vec!["developers".into(), "system:authenticated".into()];
                e.agent = AGENTS.get(2).copied().unwrap_or_default();
                match rng.below(6) {
                    0 => {
                        e.verb = "list";
                        e.resource = "secrets";
                        e.namespace.clear();
                    }
                    1 => {
                        e.verb = "create";
                        e.subresource = "exec";
                        e.name = format!("app-{}-7d9f8", rng.below(20));
                        e.code = 101;
                    }
                    2 => {
                        e.verb = "create";
                        e.group = "rbac.authorization.k8s.io";
                        e.resource = "clusterrolebindings";
                        e.namespace.clear();
                        e.name = format!("debug-{}", rng.below(100));
                        e.level = "RequestResponse";
                        e.code = 201;
                        e.request_object = Some(format!(
                            "{{\"kind\":\"ClusterRoleBinding\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"metadata\":{{\"name\":\"{}\"}},\"roleRef\":{{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"{}\"}},\"subjects\":[{{\"kind\":\"User\",\"apiGroup\":\"rbac.authorization.k8s.io\",\"name\":\"{}\"}}]}}",
                            e.name,
                            if rng.chance(300, 1000) {
                                "cluster-admin"
                            } else {
                                "view"
                            },
                            e.user
                        ));
                    }
                    3 => {
                        // A burst of denials from a script.
                        e.verb = "get";
                        e.resource = "secrets";
                        e.code = 403;
                        for _ in 0..25 {
                            now += rng.below(500_000);
                            e.name = format!("db-{}", rng.below(50));
                            let id = uuid(&mut rng);
                            write_event(&mut written, &e, &id, "ResponseComplete", now, now + 900)?;
                        }
                        continue;
                    }
                    4 => {
                        e.verb = "get";
                        e.resource = "pods";
                        e.namespace.clone_from(&ns);
                        e.impersonated =
                            Some(format!("system:serviceaccount:{ns}:app-{}", rng.below(20)));
                    }
                    _ => {
                        e.verb = "get";
                        e.resource = "nodes";
                        e.subresource = "proxy";
                        e.namespace.clear();
                        e.name.clone_from(&node);
                    }
                }
            }
        }
        let id = uuid(&mut rng);
        let done = now + 200 + rng.below(20_000);
        if rng.chance(300, 1000) {
            write_event(&mut written, &e, &id, "RequestReceived", now, now + 50)?;
        }
        write_event(&mut written, &e, &id, "ResponseComplete", now, done)?;
    }
    written.flush()
}

fn write_nonresource(
    out: &mut impl Write,
    rng: &mut Rng,
    e: &Event<'_>,
    now: u64,
) -> io::Result<()> {
    let path = rng.pick(&["/healthz", "/readyz", "/livez", "/version", "/openapi/v2"]);
    let code = if path == "/openapi/v2" { 403 } else { 200 };
    writeln!(
        out,
        "{{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"{}\",\"stage\":\"ResponseComplete\",\"requestURI\":\"{path}\",\"verb\":\"get\",\"user\":{{\"username\":\"{}\",\"groups\":[\"system:unauthenticated\"]}},\"sourceIPs\":[\"{}\"],\"userAgent\":\"{}\",\"responseStatus\":{{\"metadata\":{{}},\"code\":{code}}},\"requestReceivedTimestamp\":\"{}\",\"stageTimestamp\":\"{}\",\"annotations\":{{\"authorization.k8s.io/decision\":\"allow\",\"authorization.k8s.io/reason\":\"RBAC: allowed by ClusterRoleBinding \\\"system:public-info-viewer\\\" of ClusterRole \\\"system:public-info-viewer\\\" to Group \\\"system:unauthenticated\\\"\"}}}}",
        uuid(rng),
        e.user,
        e.ip,
        e.agent,
        timestamp(now),
        timestamp(now + 300)
    )
}

struct CountingWriter<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn main() -> ExitCode {
    let mut size_mb: u64 = 100;
    let mut seed: u64 = 7;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse().ok());
        match (arg.as_str(), value) {
            ("--size-mb", Some(v)) => size_mb = v,
            ("--seed", Some(v)) => seed = v,
            _ => {
                eprintln!("usage: gen-audit [--size-mb N] [--seed N] > audit.log");
                return ExitCode::from(2);
            }
        }
    }
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    match generate(&mut out, size_mb * 1_000_000, seed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-audit: {e}");
            ExitCode::from(1)
        }
    }
}
