use std::collections::{BTreeMap, BTreeSet};

use rampart_model::{Container, Node, PodTemplate, Pos};

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

/// The annotation naming the containers meant to receive the pod's Secrets.
pub(crate) const CONSUMERS_ANNOTATION: &str = "rampart.dev/secret-consumers";

declare_rule! {
    /// ## What it does
    /// Checks that a pod's Secrets reach only the containers meant to hold them — the
    /// partitioning practice: the container that faces users should not hold the
    /// signing key; a signer sidecar should.
    ///
    /// With the pod-template annotation `rampart.dev/secret-consumers: "signer,..."`,
    /// every other container that mounts a Secret volume, or receives a Secret through
    /// `env`/`envFrom`, is reported. Without it, the heuristic: in a pod with several
    /// containers, a container that serves traffic (declares `ports`) and receives a
    /// Secret that a sibling also receives is reported, since the Secret is evidently
    /// needed by the sibling and reaches the exposed container too.
    ///
    /// ## Why is this bad?
    /// The container that parses requests from the Internet is the one most likely to
    /// be compromised. If it can read the key, one bug discloses it; split properly, the
    /// attacker can at most ask the signer to sign.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: web            # serves traffic
    ///     ports: [{containerPort: 8443}]
    ///     volumeMounts: [{name: signing-key, mountPath: /keys}]
    ///   - name: signer
    ///     volumeMounts: [{name: signing-key, mountPath: /keys}]
    /// ```
    ///
    /// Use instead: mount `signing-key` in `signer` only, and let `web` call it over
    /// localhost.
    ///
    /// ## Remediation
    /// Remove the Secret's mount (or env) from the serving container; declare the
    /// intended consumers with `rampart.dev/secret-consumers`.
    ///
    /// ## References
    /// - [Kubernetes: Good practices for Secrets, limit access per container](https://kubernetes.io/docs/concepts/security/secrets-good-practices/)
    /// - [Kubernetes: Secrets, use case: Secret visible to one container in a Pod](https://kubernetes.io/docs/concepts/configuration/secret/#use-case-secret-visible-to-one-container-in-a-pod)
    pub(crate) SECRET_PARTITIONING {
        code: "SEC009",
        name: "secret-shared-with-serving-container",
        practice: Secrets,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(secret_partitioning),
    }
}

/// The Secrets a container receives: name -> where.
fn received<'a>(
    c: &Container<'a>,
    secret_volumes: &BTreeMap<&'a str, &'a str>,
) -> BTreeMap<&'a str, (Pos, String)> {
    let mut out = BTreeMap::new();
    for (i, m) in c.volume_mounts() {
        let Some(volume) = m.get("name").and_then(Node::as_str) else {
            continue;
        };
        if let Some(secret) = secret_volumes.get(volume) {
            out.entry(*secret)
                .or_insert((m.pos, c.field_path(&format!("volumeMounts[{i}]"))));
        }
    }
    for (i, env) in c.env() {
        if let Some(secret) = env
            .path("valueFrom.secretKeyRef.name")
            .and_then(Node::as_str)
        {
            out.entry(secret)
                .or_insert((env.pos, c.field_path(&format!("env[{i}]"))));
        }
    }
    for (i, from) in c.env_from() {
        if let Some(secret) = from.path("secretRef.name").and_then(Node::as_str) {
            out.entry(secret)
                .or_insert((from.pos, c.field_path(&format!("envFrom[{i}]"))));
        }
    }
    out
}

/// SEC009
fn secret_partitioning(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    // Volume name -> Secret name (plain secret volumes and projected sources).
    let mut secret_volumes: BTreeMap<&str, &str> = BTreeMap::new();
    for (_, v) in pod.volumes() {
        let Some(name) = v.get("name").and_then(Node::as_str) else {
            continue;
        };
        if let Some(secret) = v.path("secret.secretName").and_then(Node::as_str) {
            secret_volumes.insert(name, secret);
        }
        for source in v
            .path("projected.sources")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            if let Some(secret) = source.path("secret.name").and_then(Node::as_str) {
                secret_volumes.insert(name, secret);
            }
        }
    }
    let containers: Vec<Container<'_>> = pod.containers().collect();
    if containers.len() < 2 {
        return;
    }
    let holdings: Vec<BTreeMap<&str, (Pos, String)>> = containers
        .iter()
        .map(|c| received(c, &secret_volumes))
        .collect();
    let declared: Option<BTreeSet<&str>> = pod.annotation(CONSUMERS_ANNOTATION).map(|list| {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    });
    for (i, c) in containers.iter().enumerate() {
        let Some(mine) = holdings.get(i) else {
            continue;
        };
        for (secret, (pos, path)) in mine {
            let message = match &declared {
                Some(consumers) if !consumers.contains(c.name()) => format!(
                    "`{}` receives Secret `{secret}` but is not among the declared consumers ({})",
                    c.name(),
                    consumers.iter().copied().collect::<Vec<_>>().join(", ")
                ),
                Some(_) => continue,
                None => {
                    let serves = c
                        .node
                        .get("ports")
                        .and_then(Node::as_seq)
                        .is_some_and(|p| !p.is_empty());
                    let siblings: Vec<&str> = containers
                        .iter()
                        .zip(&holdings)
                        .enumerate()
                        .filter(|(j, (_, h))| *j != i && h.contains_key(secret))
                        .map(|(_, (s, _))| s.name())
                        .collect();
                    if !serves || siblings.is_empty() {
                        continue;
                    }
                    format!(
                        "`{}` serves traffic and holds Secret `{secret}`, which `{}` also receives: a compromise of the exposed container discloses it",
                        c.name(),
                        siblings.join("`, `")
                    )
                }
            };
            ctx.report(&SECRET_PARTITIONING, pod.object, *pos, path, message);
        }
    }
}
