use rampart_model::Component;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks how the kube-apiserver talks to etcd and how etcd authenticates its
    /// clients and peers, from their flags (static pods or mirror pods):
    /// - kube-apiserver: every `--etcd-servers` URL is `https://`, and
    ///   `--etcd-cafile`, `--etcd-certfile` and `--etcd-keyfile` are set;
    /// - etcd: `--client-cert-auth=true` with `--cert-file`, `--key-file` and
    ///   `--trusted-ca-file`; `--peer-client-cert-auth=true` with `--peer-cert-file` and
    ///   `--peer-key-file`; `--auto-tls` and `--peer-auto-tls` not `true`; every
    ///   `--listen-client-urls` URL `https://` (loopback excepted).
    ///
    /// ## Why is this bad?
    /// etcd holds every Secret of the cluster (in plaintext unless encryption at rest is
    /// on). Plain HTTP lets anyone on the path read them; without client certificate
    /// authentication, anyone who reaches etcd's port reads and writes the whole cluster
    /// state, bypassing RBAC entirely. Self-signed `--auto-tls` authenticates no one.
    ///
    /// ## Example
    /// ```yaml
    /// command: [kube-apiserver, --etcd-servers=http://10.0.0.5:2379]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// command:
    ///   - kube-apiserver
    ///   - --etcd-servers=https://10.0.0.5:2379
    ///   - --etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt
    ///   - --etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt
    ///   - --etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key
    /// ```
    ///
    /// ## Remediation
    /// Serve etcd on HTTPS with client and peer certificate authentication from a
    /// dedicated CA, and give the API server its own etcd client certificate.
    ///
    /// ## References
    /// - [Kubernetes: Operating etcd clusters, securing communication](https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#securing-communication)
    /// - [etcd: Transport security model](https://etcd.io/docs/v3.5/op-guide/security/)
    /// - [CIS Kubernetes Benchmark 1.2.29, 2.1–2.6](https://www.cisecurity.org/benchmark/kubernetes)
    pub(crate) ETCD_TRANSPORT_INSECURE {
        code: "SEC003",
        name: "etcd-transport-insecure",
        practice: Secrets,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(etcd_transport_insecure),
    }
}

fn is_loopback(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "") || url.contains("://[::1]")
}

/// SEC003
fn etcd_transport_insecure(ctx: &mut Context<'_>) {
    let inventory = ctx.inventory;
    for component in &inventory.facts.components {
        let Some(object) = inventory.objects.get(component.object) else {
            continue;
        };
        let command_path = format!("{}.command", component.container_path);
        let mut problems: Vec<(rampart_model::Pos, String, String)> = Vec::new();
        let flag_at = |name: &str| {
            component
                .flags
                .get(name)
                .map_or((component.pos, command_path.clone()), |f| {
                    (f.pos, f.path.clone())
                })
        };
        match component.component {
            Component::KubeApiserver => {
                if let Some(servers) = component.flags.get("etcd-servers") {
                    let plain: Vec<&str> = servers
                        .value
                        .split(',')
                        .map(str::trim)
                        .filter(|u| u.starts_with("http://"))
                        .collect();
                    if !plain.is_empty() {
                        problems.push((
                            servers.pos,
                            servers.path.clone(),
                            format!(
                                "kube-apiserver talks to etcd over plain HTTP ({})",
                                plain.join(", ")
                            ),
                        ));
                    }
                }
                let missing: Vec<&str> = ["etcd-cafile", "etcd-certfile", "etcd-keyfile"]
                    .into_iter()
                    .filter(|f| component.get(f).is_none_or(str::is_empty))
                    .collect();
                if !missing.is_empty() {
                    let (pos, path) = (component.pos, command_path.clone());
                    let list: Vec<String> = missing.iter().map(|m| format!("`--{m}`")).collect();
                    problems.push((pos, path, format!("kube-apiserver does not authenticate to etcd with a client certificate: {} not set", list.join(", "))));
                }
            }
            Component::Etcd => {
                for (flag, files, what) in [
                    (
                        "client-cert-auth",
                        ["cert-file", "key-file", "trusted-ca-file"],
                        "clients",
                    ),
                    (
                        "peer-client-cert-auth",
                        ["peer-cert-file", "peer-key-file", "peer-trusted-ca-file"],
                        "peers",
                    ),
                ] {
                    if component.get(flag) != Some("true") {
                        let (pos, path) = flag_at(flag);
                        problems.push((pos, path, format!("etcd does not require certificates from its {what} (`--{flag}=true` missing)")));
                    }
                    let missing: Vec<String> = files
                        .iter()
                        .filter(|f| component.get(f).is_none_or(str::is_empty))
                        .map(|f| format!("`--{f}`"))
                        .collect();
                    // A single-member etcd has no peers to authenticate.
                    let single = component
                        .get("initial-cluster")
                        .is_none_or(|c| !c.contains(','));
                    if !missing.is_empty() && (what != "peers" || !single) {
                        problems.push((
                            component.pos,
                            command_path.clone(),
                            format!(
                                "etcd TLS for {what} is incomplete: {} not set",
                                missing.join(", ")
                            ),
                        ));
                    }
                }
                for flag in ["auto-tls", "peer-auto-tls"] {
                    if component.get(flag) == Some("true") {
                        let (pos, path) = flag_at(flag);
                        problems.push((pos, path, format!("etcd uses self-signed certificates (`--{flag}=true`), which authenticate no one")));
                    }
                }
                if let Some(urls) = component.flags.get("listen-client-urls") {
                    let plain: Vec<&str> = urls
                        .value
                        .split(',')
                        .map(str::trim)
                        .filter(|u| u.starts_with("http://") && !is_loopback(u))
                        .collect();
                    if !plain.is_empty() {
                        problems.push((
                            urls.pos,
                            urls.path.clone(),
                            format!(
                                "etcd serves clients over plain HTTP on {}",
                                plain.join(", ")
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
        for (pos, path, message) in problems {
            ctx.report(
                &ETCD_TRANSPORT_INSECURE,
                object,
                pos,
                &path,
                format!("{message} (Pod `{}`)", object.name()),
            );
        }
    }
}
