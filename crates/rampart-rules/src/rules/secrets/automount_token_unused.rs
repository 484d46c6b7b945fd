use rampart_analysis::rbac::UserInfo;
use rampart_model::{Node, PodTemplate};

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

/// Bootstrap roles every authenticated identity holds: no reason to mount a token.
const PUBLIC_ROLES: &[&str] = &[
    "system:basic-user",
    "system:discovery",
    "system:public-info-viewer",
    "system:service-account-issuer-discovery",
];

declare_rule! {
    /// ## What it does
    /// Checks for pods that get a ServiceAccount token mounted although their
    /// ServiceAccount holds no RBAC rights beyond what every authenticated identity has
    /// (discovery, self-review). The token is mounted unless
    /// `automountServiceAccountToken: false` is set on the pod or, when the pod does
    /// not say, on the ServiceAccount (when the input defines it). Rights come from the
    /// RBAC engine, bootstrap bindings and group bindings included. Static pods
    /// (control-plane manifests and their mirror pods) are skipped: the kubelet never
    /// mounts tokens into them.
    ///
    /// ## Why is this bad?
    /// An unused token is pure risk: whoever gets code execution in the container reads
    /// it from `/var/run/secrets/kubernetes.io/serviceaccount/token` and talks to the
    /// API server as the pod, today with little, tomorrow with whatever someone binds
    /// to that account.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   serviceAccountName: web   # bound to nothing
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// spec:
    ///   serviceAccountName: web
    ///   automountServiceAccountToken: false
    /// ```
    ///
    /// ## Remediation
    /// Set `automountServiceAccountToken: false` on the pod (or the ServiceAccount);
    /// mount a projected token only in pods that call the API.
    ///
    /// ## References
    /// - [Kubernetes: Configure Service Accounts for Pods, opt out of API credential automounting](https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting)
    pub(crate) AUTOMOUNT_TOKEN_UNUSED {
        code: "SEC007",
        name: "automount-token-unused",
        practice: Secrets,
        severity: Low,
        status: Stable { since: "0.1.0" },
        check: Check::Template(automount_token_unused),
    }
}

/// SEC007
fn automount_token_unused(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    let Some(ns) = pod.object.namespace() else {
        return;
    };
    // Static pods (control-plane manifests, mirror pods) never get a token mounted.
    let object = pod.object;
    let is_static = object.annotation("kubernetes.io/config.mirror").is_some()
        || object.annotation("kubernetes.io/config.source") == Some("file")
        || object.label("tier") == Some("control-plane")
        || ctx
            .inventory
            .facts
            .components
            .iter()
            .any(|c| c.object == object.index);
    if is_static {
        return;
    }
    let sa_name = pod.service_account_name();
    let sa = ctx.inventory.get("ServiceAccount", Some(ns), sa_name);
    let automount = pod
        .automount_service_account_token()
        .or_else(|| {
            sa.and_then(|s| s.root.get("automountServiceAccountToken"))
                .and_then(Node::as_bool)
        })
        .unwrap_or(true);
    if !automount {
        return;
    }
    let rbac = ctx.rbac;
    let user = UserInfo::authenticated(&format!("system:serviceaccount:{ns}:{sa_name}"), &[]);
    let has_rights = rbac.bindings.iter().any(|b| {
        b.subjects
            .iter()
            .any(|s| s.applies_to(&user, b.namespace.as_deref()))
            && rbac
                .resolve(b)
                .and_then(|r| rbac.roles.get(r))
                .is_some_and(|role| !PUBLIC_ROLES.contains(&role.name.as_str()))
    });
    if has_rights {
        return;
    }
    let pos = pod
        .spec
        .entry("serviceAccountName")
        .map_or(pod.pos(), |e| e.key_pos);
    let message = format!(
        "{} `{}` mounts a token of ServiceAccount `{ns}/{sa_name}`, which holds no RBAC rights to use it for",
        pod.object.kind(),
        pod.object.name()
    );
    ctx.report(
        &AUTOMOUNT_TOKEN_UNUSED,
        pod.object,
        pos,
        &pod.spec_field_path("automountServiceAccountToken"),
        message,
    );
}
