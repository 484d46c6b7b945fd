use rampart_model::{Node, PodTemplate};

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for Secrets delivered as environment variables: `env[].valueFrom.secretKeyRef`
    /// and `envFrom[].secretRef`.
    ///
    /// ## Why is this bad?
    /// Environment variables leak: child processes inherit them, crash reports and debug
    /// endpoints dump them, `/proc/<pid>/environ` exposes them to anyone sharing the PID
    /// namespace, and they cannot change without a restart. A mounted file can be
    /// limited to one container, given `0400` permissions, and rotated in place.
    ///
    /// ## Example
    /// ```yaml
    /// env:
    ///   - name: DB_PASSWORD
    ///     valueFrom: {secretKeyRef: {name: db, key: password}}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// volumeMounts: [{name: db, mountPath: /var/run/secrets/db, readOnly: true}]
    /// volumes: [{name: db, secret: {secretName: db, defaultMode: 0400}}]
    /// ```
    ///
    /// ## Remediation
    /// Mount the Secret as a read-only volume in the container that needs it and read
    /// the file (most libraries accept `*_FILE` variables for this).
    ///
    /// ## References
    /// - [Kubernetes: Good practices for Secrets, use volumes](https://kubernetes.io/docs/concepts/security/secrets-good-practices/)
    /// - [Kubernetes: Distribute credentials securely using Secrets](https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/)
    pub(crate) SECRET_VIA_ENVIRONMENT {
        code: "SEC006",
        name: "secret-via-environment",
        practice: Secrets,
        severity: Low,
        status: Stable { since: "0.1.0" },
        check: Check::Template(secret_via_environment),
    }
}

/// SEC006
fn secret_via_environment(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    for c in pod.containers() {
        for (i, env) in c.env() {
            let Some(r) = env.path("valueFrom.secretKeyRef") else {
                continue;
            };
            let var = env.get("name").and_then(Node::as_str).unwrap_or("?");
            let secret = r.get("name").and_then(Node::as_str).unwrap_or("?");
            let message = format!(
                "environment variable `{var}` of `{}` receives Secret `{secret}`",
                c.name()
            );
            ctx.report(
                &SECRET_VIA_ENVIRONMENT,
                pod.object,
                r.pos,
                &c.field_path(&format!("env[{i}].valueFrom.secretKeyRef")),
                message,
            );
        }
        for (i, from) in c.env_from() {
            let Some(r) = from.get("secretRef") else {
                continue;
            };
            let secret = r.get("name").and_then(Node::as_str).unwrap_or("?");
            let message = format!(
                "`{}` receives every key of Secret `{secret}` as environment variables",
                c.name()
            );
            ctx.report(
                &SECRET_VIA_ENVIRONMENT,
                pod.object,
                r.pos,
                &c.field_path(&format!("envFrom[{i}].secretRef")),
                message,
            );
        }
    }
}
