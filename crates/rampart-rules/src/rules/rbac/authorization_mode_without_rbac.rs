use rampart_model::Component;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks the kube-apiserver's `--authorization-mode` (from its static pod or mirror
    /// pod): it must include `RBAC` and must not include `AlwaysAllow`. An absent flag is
    /// the API server's default, `AlwaysAllow`. When `--authorization-config` names a
    /// structured authorization file instead, the rule says so and does not guess.
    ///
    /// ## Why is this bad?
    /// With `AlwaysAllow` every authenticated request is allowed, whatever RBAC says:
    /// any ServiceAccount token is cluster-admin. Without `RBAC`, Roles and bindings
    /// are decoration.
    ///
    /// ## Example
    /// ```yaml
    /// command: [kube-apiserver, --authorization-mode=AlwaysAllow]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// command: [kube-apiserver, --authorization-mode=Node,RBAC]
    /// ```
    ///
    /// ## Remediation
    /// Set `--authorization-mode=Node,RBAC` (and Webhook only if you run one).
    ///
    /// ## References
    /// - [Kubernetes: Authorization modes](https://kubernetes.io/docs/reference/access-authn-authz/authorization/#authorization-modules)
    /// - [CIS Kubernetes Benchmark 1.2.6–1.2.8](https://www.cisecurity.org/benchmark/kubernetes)
    pub(crate) AUTHORIZATION_MODE_WITHOUT_RBAC {
        code: "RBAC009",
        name: "authorization-mode-without-rbac",
        practice: Rbac,
        severity: Critical,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(authorization_mode_without_rbac),
    }
}

/// RBAC009
fn authorization_mode_without_rbac(ctx: &mut Context<'_>) {
    let inventory = ctx.inventory;
    for apiserver in inventory.facts.component(Component::KubeApiserver) {
        let Some(object) = inventory.objects.get(apiserver.object) else {
            continue;
        };
        if apiserver
            .get("authorization-config")
            .is_some_and(|v| !v.is_empty())
        {
            continue;
        }
        let flag = apiserver.flags.get("authorization-mode");
        let modes: Vec<&str> = flag.map_or(vec!["AlwaysAllow"], |f| {
            f.value.split(',').map(str::trim).collect()
        });
        let message = if modes.contains(&"AlwaysAllow") {
            let how = if flag.is_some() {
                "includes `AlwaysAllow`"
            } else {
                "is not set, so it defaults to `AlwaysAllow`"
            };
            format!(
                "kube-apiserver in Pod `{}`: `--authorization-mode` {how}: every authenticated request is allowed",
                object.name()
            )
        } else if !modes.contains(&"RBAC") {
            format!(
                "kube-apiserver in Pod `{}`: `--authorization-mode={}` does not include `RBAC`",
                object.name(),
                modes.join(",")
            )
        } else {
            continue;
        };
        let (pos, path) = flag.map_or(
            (
                apiserver.pos,
                format!("{}.command", apiserver.container_path),
            ),
            |f| (f.pos, f.path.clone()),
        );
        ctx.report(
            &AUTHORIZATION_MODE_WITHOUT_RBAC,
            object,
            pos,
            &path,
            message,
        );
    }
}
