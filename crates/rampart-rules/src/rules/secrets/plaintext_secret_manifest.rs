use rampart_model::{Node, Object};

use crate::context::Context;
use crate::declare_rule;
use crate::rule::{Check, Severity};

declare_rule! {
    /// ## What it does
    /// Checks for Secret objects whose values are written in the manifest (`data` or
    /// `stringData` with at least one key): base64 is an encoding, not encryption.
    /// Legacy ServiceAccount token Secrets (`type: kubernetes.io/service-account-token`)
    /// are reported at `low` whatever they hold: the token controller fills them with
    /// a token that never expires. The values are never printed; the finding lists the keys.
    ///
    /// ## Why is this bad?
    /// A Secret in a manifest is a secret in Git: in every clone, every fork, every CI
    /// log that prints the diff, forever, even after rotation is forgotten.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Secret
    /// data:
    ///   password: aHVudGVyMg==
    /// ```
    ///
    /// Use instead: Sealed Secrets, SOPS-encrypted files, or an External Secrets
    /// operator reading from a vault; short-lived projected tokens instead of token Secrets.
    ///
    /// ## Remediation
    /// Remove the values from the repository (and its history), rotate them, and deliver
    /// them through an encrypted or external mechanism.
    ///
    /// ## References
    /// - [Kubernetes: Good practices for Secrets](https://kubernetes.io/docs/concepts/security/secrets-good-practices/)
    /// - [Kubernetes: Service account token Secrets](https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets)
    pub(crate) PLAINTEXT_SECRET_MANIFEST {
        code: "SEC005",
        name: "plaintext-secret-manifest",
        practice: Secrets,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Object(&["Secret"], plaintext_secret_manifest),
    }
}

/// SEC005
fn plaintext_secret_manifest(ctx: &mut Context<'_>, secret: &Object) {
    if secret.id.api_version != "v1" {
        return;
    }
    let token = secret.root.get("type").and_then(Node::as_str)
        == Some("kubernetes.io/service-account-token");
    if token {
        let sa = secret
            .annotation("kubernetes.io/service-account.name")
            .unwrap_or("?");
        let pos = secret.root.get("type").map_or(secret.pos(), |n| n.pos);
        let message = format!(
            "Secret `{}` is a legacy token for ServiceAccount `{sa}`: a token that never expires",
            secret.name()
        );
        ctx.report(&PLAINTEXT_SECRET_MANIFEST, secret, pos, "type", message)
            .help("use projected, expiring tokens (TokenRequest) instead of token Secrets")
            .severity = Severity::Low;
        return;
    }
    for field in ["data", "stringData"] {
        let Some(entry) = secret.root.entry(field) else {
            continue;
        };
        let keys: Vec<String> = entry
            .value
            .as_map()
            .into_iter()
            .flatten()
            .map(|e| format!("`{}`", e.key))
            .collect();
        if keys.is_empty() {
            continue;
        }
        let message = format!(
            "Secret `{}` carries its values in the manifest ({field}: {})",
            secret.name(),
            keys.join(", ")
        );
        ctx.report(
            &PLAINTEXT_SECRET_MANIFEST,
            secret,
            entry.key_pos,
            field,
            message,
        );
    }
}
