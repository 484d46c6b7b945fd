use rampart_model::{Component, Node, Object};

use crate::context::Context;
use crate::declare_rule;
use crate::rule::{Check, Severity};

declare_rule! {
    /// ## What it does
    /// Reads the kube-apiserver's `--encryption-provider-config` by meaning. For
    /// Secrets, the **first** `resources` entry that names them (`secrets`, `*.` for the
    /// core group, or `*.*`) decides, and in it the **first** provider decides how data
    /// is written: `identity` first means plaintext in etcd (critical), `aescbc` is
    /// weak against padding-oracle attacks (medium), KMS v1 is deprecated (medium);
    /// `secretbox`, `aesgcm` and KMS v2 are fine. No flag, no entry covering Secrets,
    /// or a configuration file missing from the input are findings too. Flags come from
    /// the static pod or mirror pod; the file is loaded with `--node-root`, or when it is
    /// among the inputs.
    ///
    /// ## Why is this bad?
    /// Without encryption at rest every Secret sits in plaintext in etcd, in its
    /// snapshots and on its disks: whoever reads a backup reads every credential.
    /// A configuration that lists an encrypting provider *after* `identity` looks
    /// encrypted and writes plaintext; simple presence checks pass it.
    ///
    /// ## Example
    /// ```yaml
    /// kind: EncryptionConfiguration
    /// resources:
    ///   - resources: [secrets]
    ///     providers:
    ///       - identity: {}
    ///       - aescbc: {keys: [{name: k1, secret: "<base64>"}]}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    ///     providers:
    ///       - kms: {apiVersion: v2, name: vault, endpoint: unix:///var/run/kms.sock}
    ///       - identity: {}
    /// ```
    ///
    /// ## Remediation
    /// Put a KMS v2 provider (or `secretbox`/`aesgcm` with key rotation) first for
    /// `secrets`, restart the API servers, then rewrite every Secret
    /// (`kubectl get secrets -A -o json | kubectl replace -f -`).
    ///
    /// ## References
    /// - [Kubernetes: Encrypting Confidential Data at Rest](https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/)
    /// - [Kubernetes: Using a KMS provider (v2)](https://kubernetes.io/docs/tasks/administer-cluster/kms-provider/)
    pub(crate) ENCRYPTION_AT_REST {
        code: "SEC002",
        name: "secrets-unencrypted-at-rest",
        practice: Secrets,
        severity: Critical,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(encryption_at_rest),
    }
}

/// The verdict on a configuration for Secrets: message and severity, or nothing.
fn judge(config: &Object) -> Option<(String, Severity, rampart_model::Pos)> {
    let entries = config
        .root
        .get("resources")
        .and_then(Node::as_seq)
        .unwrap_or_default();
    let covers = |r: &str| matches!(r, "secrets" | "*." | "*.*");
    let entry = entries.iter().find(|e| {
        e.get("resources")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .any(|r| r.as_str().is_some_and(covers))
    });
    let Some(entry) = entry else {
        return Some((
            "no `resources` entry covers `secrets`: they are stored in plaintext".into(),
            Severity::Critical,
            config.pos(),
        ));
    };
    let first = entry
        .get("providers")
        .and_then(Node::as_seq)
        .and_then(|p| p.first());
    let Some(provider) = first.and_then(Node::as_map).and_then(|m| m.iter().next()) else {
        return Some((
            "the entry for `secrets` lists no provider".into(),
            Severity::Critical,
            entry.pos,
        ));
    };
    let pos = provider.key_pos;
    match &*provider.key {
        "identity" => Some((
            "`identity` is the first provider for `secrets`: new and updated Secrets are written in plaintext".into(),
            Severity::Critical,
            pos,
        )),
        "aescbc" => Some((
            "`aescbc` is the first provider for `secrets`: it is weak (CBC padding oracles, no key rotation story); prefer KMS v2, `secretbox` or `aesgcm`".into(),
            Severity::Medium,
            pos,
        )),
        "kms" if provider.value.get("apiVersion").and_then(Node::as_str) != Some("v2") => Some((
            "the first provider for `secrets` is KMS v1, deprecated since v1.28 and disabled by default since v1.29; use KMS v2".into(),
            Severity::Medium,
            pos,
        )),
        _ => None,
    }
}

/// SEC002
fn encryption_at_rest(ctx: &mut Context<'_>) {
    let inventory = ctx.inventory;
    let configs: Vec<&Object> = inventory
        .of_kind("EncryptionConfiguration")
        .map(|(_, o)| o)
        .filter(|o| o.group() == "apiserver.config.k8s.io")
        .collect();
    for apiserver in inventory.facts.component(Component::KubeApiserver) {
        let Some(object) = inventory.objects.get(apiserver.object) else {
            continue;
        };
        match apiserver.flags.get("encryption-provider-config") {
            None => {
                let path = format!("{}.command", apiserver.container_path);
                let message = format!(
                    "kube-apiserver in Pod `{}` has no `--encryption-provider-config`: Secrets are stored in plaintext in etcd",
                    object.name()
                );
                ctx.report(&ENCRYPTION_AT_REST, object, apiserver.pos, &path, message);
            }
            Some(flag) => {
                // The configuration the flag names, matched by path; else the only one given.
                let named = configs.iter().find(|c| {
                    c.file().is_some_and(|f| {
                        inventory
                            .files
                            .name(f)
                            .ends_with(flag.value.trim_start_matches('/'))
                    })
                });
                let config = named.or(if configs.len() == 1 {
                    configs.first()
                } else {
                    None
                });
                match config {
                    None => {
                        let message = format!(
                            "`--encryption-provider-config={}` of Pod `{}` is not among the inputs (scan with `--node-root`), so its meaning cannot be checked",
                            flag.value,
                            object.name()
                        );
                        ctx.report(&ENCRYPTION_AT_REST, object, flag.pos, &flag.path, message)
                            .severity = Severity::Low;
                    }
                    Some(config) => {
                        if let Some((message, severity, pos)) = judge(config) {
                            ctx.report(&ENCRYPTION_AT_REST, config, pos, "resources", message)
                                .related(
                                    object.file(),
                                    flag.pos,
                                    "the API server reads this configuration",
                                )
                                .severity = severity;
                        }
                    }
                }
            }
        }
    }
}
