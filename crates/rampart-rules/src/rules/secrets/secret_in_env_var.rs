use rampart_model::{Node, PodTemplate};

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Evidence;
use crate::rule::Check;
use crate::secrets::classify;

declare_rule! {
    /// ## What it does
    /// Checks for secret values written literally in a container's `env[].value`: known
    /// credential formats (PEM private keys, AWS access keys, GitHub, GitLab and Slack
    /// tokens, JWTs, URLs with a password) anywhere, and high-entropy values under a
    /// secret-like name (`DB_PASSWORD`, `API_TOKEN`, ...).
    ///
    /// A name alone never makes a finding: `SECRET_PATH=/etc/x`, `valueFrom.secretKeyRef`
    /// and `$(VAR)` references are not secrets. The value is never printed: the
    /// evidence gives its kind, its length and a short salted hash.
    ///
    /// ## Why is this bad?
    /// A literal in a manifest lives in Git history, in every clone, in CI logs and in
    /// the object stored in etcd, readable by anyone who may `get` the workload — a far
    /// wider audience than those who may read the Secret it should have been.
    ///
    /// ## Example
    /// ```yaml
    /// env:
    ///   - name: DB_PASSWORD
    ///     value: "Xk9#mP2$vL8qR4"
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// volumeMounts:
    ///   - name: db-credentials
    ///     mountPath: /var/run/secrets/db
    ///     readOnly: true
    /// ```
    ///
    /// ## Remediation
    /// Move the value into a Secret (or an external secret store), rotate it since it
    /// has been exposed, and mount the Secret as a read-only file in the one container
    /// that needs it.
    ///
    /// ## References
    /// - [Kubernetes: Good practices for Secrets](https://kubernetes.io/docs/concepts/security/secrets-good-practices/)
    /// - [CWE-798: Use of Hard-coded Credentials](https://cwe.mitre.org/data/definitions/798.html)
    pub(crate) SECRET_IN_ENV_VAR {
        code: "SEC001",
        name: "secret-in-env-var",
        practice: Secrets,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Template(secret_in_env_var),
    }
}

/// SEC001
fn secret_in_env_var(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    for container in pod.containers() {
        for (i, env) in container.env() {
            let name = env.get("name").and_then(Node::as_str).unwrap_or("");
            let Some(entry) = env.entry("value") else {
                continue;
            };
            let Some(text) = entry.value.as_str() else {
                continue;
            };
            let Some(kind) = classify(name, text) else {
                continue;
            };
            // A block scalar starts on the line after its key; point at the key, so
            // the finding's line is the one a reader looks for.
            let pos = if entry.value.pos.line == entry.key_pos.line {
                entry.value.pos
            } else {
                entry.key_pos
            };
            ctx.report(
                &SECRET_IN_ENV_VAR,
                pod.object,
                pos,
                &container.field_path(&format!("env[{i}].value")),
                format!(
                    "environment variable `{name}` of `{}` holds a literal secret ({kind})",
                    container.name()
                ),
            )
            .evidence(Evidence::redacted(kind, text));
        }
    }
}
