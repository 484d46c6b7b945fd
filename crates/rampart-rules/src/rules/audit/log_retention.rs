use rampart_model::Component;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks a kube-apiserver that writes its audit log to a file
    /// (`--audit-log-path`, other than `-` for standard output) for the rotation and
    /// retention flags: `--audit-log-maxage` (days), `--audit-log-maxbackup` (files)
    /// and `--audit-log-maxsize` (megabytes).
    ///
    /// ## Why is this bad?
    /// Without `maxsize` the log grows until the control-plane disk is full, which
    /// stops etcd or the API server; without `maxage` and `maxbackup`, how much history
    /// survives is left to chance rather than to the retention an investigation needs.
    ///
    /// ## Example
    /// ```yaml
    /// command:
    ///   - kube-apiserver
    ///   - --audit-policy-file=/etc/kubernetes/audit-policy.yaml
    ///   - --audit-log-path=/var/log/kubernetes/audit.log
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    ///   - --audit-log-path=/var/log/kubernetes/audit.log
    ///   - --audit-log-maxage=30
    ///   - --audit-log-maxbackup=10
    ///   - --audit-log-maxsize=100
    /// ```
    ///
    /// ## Remediation
    /// Set the three flags to the retention your incident response needs (CIS
    /// Kubernetes Benchmark 1.2.17–1.2.19 suggest 30 days, 10 files, 100 MB).
    ///
    /// ## References
    /// - [Kubernetes: Auditing, log backend](https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#log-backend)
    pub(crate) LOG_RETENTION_UNSET {
        code: "AUD007",
        name: "audit-log-retention-unset",
        practice: Audit,
        severity: Low,
        status: Stable { since: "0.2.0" },
        check: Check::Inventory(log_retention_unset),
    }
}

/// AUD007
fn log_retention_unset(ctx: &mut Context<'_>) {
    let inventory = ctx.inventory;
    for apiserver in inventory.facts.component(Component::KubeApiserver) {
        let Some(path) = apiserver
            .get("audit-log-path")
            .filter(|p| !p.is_empty() && *p != "-")
        else {
            continue;
        };
        let missing: Vec<String> = [
            "audit-log-maxage",
            "audit-log-maxbackup",
            "audit-log-maxsize",
        ]
        .iter()
        .filter(|f| {
            apiserver
                .get(f)
                .is_none_or(|v| v.trim().is_empty() || v.trim() == "0")
        })
        .map(|f| format!("`--{f}`"))
        .collect();
        if missing.is_empty() {
            continue;
        }
        let Some(object) = inventory.objects.get(apiserver.object) else {
            continue;
        };
        let pos = apiserver
            .flags
            .get("audit-log-path")
            .map_or(apiserver.pos, |f| f.pos);
        let field = apiserver.flags.get("audit-log-path").map_or_else(
            || format!("{}.command", apiserver.container_path),
            |f| f.path.clone(),
        );
        ctx.report(
            &LOG_RETENTION_UNSET,
            object,
            pos,
            &field,
            format!(
                "kube-apiserver writes its audit log to `{path}` without {}: the log is not rotated or kept as long as needed",
                missing.join(", ")
            ),
        );
    }
}
