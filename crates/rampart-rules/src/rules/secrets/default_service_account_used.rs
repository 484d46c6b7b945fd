use rampart_model::PodTemplate;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for workloads that run as their namespace's `default` ServiceAccount
    /// (no `serviceAccountName`, or `default`), outside the system namespaces.
    ///
    /// ## Why is this bad?
    /// Every workload that names no account shares `default`: rights granted to it for
    /// one workload go to all of them, and nothing in its name says who needs what. A
    /// dedicated account per workload makes RBAC reviewable and least privilege possible.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers: [{name: web, image: example/web:1.0}]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec:
    ///   serviceAccountName: web
    /// ```
    ///
    /// ## Remediation
    /// Create a ServiceAccount per workload and set `serviceAccountName`.
    ///
    /// ## References
    /// - [Kubernetes: Service accounts, use the default service account sparingly](https://kubernetes.io/docs/concepts/security/service-accounts/)
    pub(crate) DEFAULT_SERVICE_ACCOUNT_USED {
        code: "SEC008",
        name: "workload-on-default-service-account",
        practice: Secrets,
        severity: Low,
        status: Stable { since: "0.1.0" },
        check: Check::Template(default_service_account_used),
    }
}

/// SEC008
fn default_service_account_used(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    if pod.service_account_name() != "default"
        || crate::rules::pod::is_system_namespace(pod.object.namespace())
    {
        return;
    }
    let (pos, path) = match pod.spec.entry("serviceAccountName") {
        Some(e) => (e.value.pos, pod.spec_field_path("serviceAccountName")),
        None => (pod.spec_key_pos(), pod.spec_path.to_string()),
    };
    let message = format!(
        "{} `{}` runs as the namespace's `default` ServiceAccount",
        pod.object.kind(),
        pod.object.name()
    );
    ctx.report(
        &DEFAULT_SERVICE_ACCOUNT_USED,
        pod.object,
        pos,
        &path,
        message,
    );
}
