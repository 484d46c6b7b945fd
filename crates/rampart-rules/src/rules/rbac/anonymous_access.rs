use rampart_analysis::rbac::{Request, UserInfo};
use rampart_model::Component;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

/// What anonymous requests may do on every cluster (health, version, discovery).
const PUBLIC: &[&str] = &[
    "system:public-info-viewer",
    "system:discovery",
    "system:basic-user",
];

declare_rule! {
    /// ## What it does
    /// Checks kube-apiservers that accept anonymous requests (`--anonymous-auth` not
    /// `false`; it defaults to `true`) while RBAC gives `system:anonymous` or
    /// `system:unauthenticated` more than the public health, version and discovery
    /// endpoints: reading or changing any resource, or any other non-resource URL.
    ///
    /// ## Why is this bad?
    /// Anyone who can reach the API server's port, without a credential, gets those
    /// rights. Exposed API servers are scanned for exactly this.
    ///
    /// ## Example
    /// ```yaml
    /// subjects: [{kind: User, name: system:anonymous}]
    /// roleRef: {kind: ClusterRole, name: view}
    /// ```
    ///
    /// Use instead: `--anonymous-auth=false` (or, from v1.32, an authentication
    /// configuration that allows anonymous access only to `/healthz`, `/livez`, `/readyz`).
    ///
    /// ## Remediation
    /// Remove the bindings to `system:anonymous`/`system:unauthenticated`, and turn
    /// anonymous authentication off or limit it to health endpoints.
    ///
    /// ## References
    /// - [Kubernetes: Anonymous requests](https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests)
    /// - [CIS Kubernetes Benchmark 1.2.1](https://www.cisecurity.org/benchmark/kubernetes)
    pub(crate) ANONYMOUS_ACCESS {
        code: "RBAC017",
        name: "anonymous-access",
        practice: Rbac,
        severity: Critical,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(anonymous_access),
    }
}

/// RBAC017
fn anonymous_access(ctx: &mut Context<'_>) {
    let inventory = ctx.inventory;
    let rbac = ctx.rbac;
    let anonymous = UserInfo::authenticated("system:anonymous", &[]);
    let probes = [
        Request {
            verb: "get".into(),
            resource: "pods".into(),
            namespace: "default".into(),
            ..Request::default()
        },
        Request {
            verb: "list".into(),
            resource: "secrets".into(),
            ..Request::default()
        },
        Request {
            verb: "create".into(),
            resource: "pods".into(),
            namespace: "default".into(),
            ..Request::default()
        },
        Request {
            verb: "get".into(),
            path: Some("/metrics".into()),
            ..Request::default()
        },
    ];
    let mut granted: Vec<String> = Vec::new();
    for probe in &probes {
        for grant in rbac.authorize(&anonymous, probe) {
            let (Some(binding), Some(role)) =
                (rbac.bindings.get(grant.binding), rbac.roles.get(grant.role))
            else {
                continue;
            };
            if PUBLIC.contains(&role.name.as_str()) {
                continue;
            }
            let what = format!(
                "{} `{}` via {} `{}`",
                role.kind(),
                role.name,
                binding.kind(),
                binding.name
            );
            if !granted.contains(&what) {
                granted.push(what);
            }
        }
    }
    if granted.is_empty() {
        return;
    }
    for apiserver in inventory.facts.component(Component::KubeApiserver) {
        let Some(object) = inventory.objects.get(apiserver.object) else {
            continue;
        };
        let flag = apiserver.flags.get("anonymous-auth");
        if flag.is_some_and(|f| f.value == "false") {
            continue;
        }
        let (pos, path) = flag.map_or(
            (
                apiserver.pos,
                format!("{}.command", apiserver.container_path),
            ),
            |f| (f.pos, f.path.clone()),
        );
        let message = format!(
            "kube-apiserver in Pod `{}` accepts anonymous requests, and anonymous users hold {}",
            object.name(),
            granted.join(", ")
        );
        ctx.report(&ANONYMOUS_ACCESS, object, pos, &path, message);
    }
}
