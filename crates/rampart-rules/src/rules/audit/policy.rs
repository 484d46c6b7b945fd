//! Audit policies by meaning: AUD002–AUD006 and AUD008 simulate representative requests
//! through the policy exactly as the API server would (`rampart_analysis::audit`).

use std::collections::BTreeMap;

use rampart_analysis::audit::{Level, Policy, Request, ResourceAttributes};
use rampart_model::{Object, Pos};

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Simulates reads and writes of Secrets, ConfigMaps, TokenReviews and
    /// ServiceAccount tokens through the audit Policy, rule by rule as the API server
    /// does (first match wins), and reports the rules that log them at `Request` or
    /// `RequestResponse`.
    ///
    /// ## Why is this bad?
    /// At those levels the audit log stores request and response bodies: every Secret
    /// value read or written, every bearer token reviewed or issued. The audit log
    /// becomes the easiest place to steal credentials from, and it is usually shipped
    /// to systems with far weaker access control than etcd.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - level: RequestResponse
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// rules:
    /// - level: Metadata
    ///   resources:
    ///   - {group: "", resources: [secrets, configmaps, serviceaccounts/token]}
    ///   - {group: authentication.k8s.io, resources: [tokenreviews]}
    /// - level: RequestResponse
    /// ```
    ///
    /// ## Remediation
    /// Put a `Metadata` rule for these resources before any rule that records bodies.
    ///
    /// ## References
    /// - [Kubernetes: Auditing, audit policy](https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy)
    pub(crate) LOGS_SECRET_BODIES {
        code: "AUD002",
        name: "audit-policy-logs-secret-bodies",
        practice: Audit,
        severity: High,
        status: Stable { since: "0.2.0" },
        check: Check::Object(&["Policy"], logs_secret_bodies),
    }
}

declare_rule! {
    /// ## What it does
    /// Simulates security-relevant requests through the audit Policy and reports those
    /// it records below `Metadata` (not at all): Secret reads, `pods/exec`, `attach`
    /// and `portforward`, RBAC writes, impersonation, ServiceAccount token requests,
    /// CSR approval and node proxying. The finding names the rule that silences each
    /// request, or says that no rule matches.
    ///
    /// ## Why is this bad?
    /// These are the requests an intruder makes; without their audit events there is
    /// no trace of who read a Secret, opened a shell in a pod or granted themselves
    /// more rights.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - level: None            # silences everything after it
    /// - level: Metadata
    ///   resources: [{group: "", resources: [pods/exec]}]
    /// ```
    ///
    /// Use instead: the specific `Metadata` rules first, `None` rules only for named
    /// noisy requests (health checks, leader election), and a `Metadata` catch-all last.
    ///
    /// ## Remediation
    /// Move or narrow the rule the finding names so these requests reach a rule at
    /// `Metadata` or above.
    ///
    /// ## References
    /// - [Kubernetes: Auditing, audit policy](https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy)
    pub(crate) MISSES_SECURITY_REQUESTS {
        code: "AUD003",
        name: "audit-policy-misses-security-requests",
        practice: Audit,
        severity: High,
        status: Stable { since: "0.2.0" },
        check: Check::Object(&["Policy"], misses_security_requests),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks that the audit Policy ends with a catch-all: a rule with no `users`,
    /// `userGroups`, `verbs`, `resources`, `namespaces` or `nonResourceURLs`, at
    /// `Metadata` or above.
    ///
    /// ## Why is this bad?
    /// A request no rule matches is not logged. Without a catch-all, every resource the
    /// policy's author did not think of — new APIs, CRDs, subresources — goes
    /// unrecorded.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - level: Metadata
    ///   resources: [{group: ""}]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// rules:
    /// - level: Metadata
    ///   resources: [{group: ""}]
    /// - level: Metadata        # everything else
    /// ```
    ///
    /// ## Remediation
    /// End the rules with `- level: Metadata`.
    ///
    /// ## References
    /// - [Kubernetes: Auditing, audit policy](https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy)
    pub(crate) NO_CATCH_ALL {
        code: "AUD004",
        name: "audit-policy-without-catch-all",
        practice: Audit,
        severity: Low,
        status: Stable { since: "0.2.0" },
        check: Check::Object(&["Policy"], no_catch_all),
    }
}

declare_rule! {
    /// ## What it does
    /// Reports audit Policy rules that can never apply: an earlier rule matches every
    /// request they match, and the first match wins.
    ///
    /// ## Why is this bad?
    /// The author meant the rule to change how some requests are logged; it does not.
    /// A dead `Metadata` rule for `pods/exec` behind a `None` rule means exec is not
    /// logged at all.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - level: None
    ///   resources: [{group: ""}]
    /// - level: Metadata
    ///   resources: [{group: "", resources: [pods/exec]}]   # dead
    /// ```
    ///
    /// Use instead: put the specific rule first.
    ///
    /// ## Remediation
    /// Reorder the rules (most specific first) or delete the dead one.
    ///
    /// ## References
    /// - [Kubernetes: Auditing, audit policy](https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy)
    pub(crate) RULE_SHADOWED {
        code: "AUD005",
        name: "audit-policy-rule-shadowed",
        practice: Audit,
        severity: Medium,
        status: Stable { since: "0.2.0" },
        check: Check::Object(&["Policy"], rule_shadowed),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks that the audit Policy omits the `RequestReceived` stage (`omitStages` at
    /// the policy level).
    ///
    /// ## Why is this bad?
    /// Every request is then logged twice — when received and when answered — with the
    /// same metadata. The log doubles in size, rotates twice as fast and keeps half the
    /// history, which is what an investigation needs.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: audit.k8s.io/v1
    /// kind: Policy
    /// rules: [{level: Metadata}]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: audit.k8s.io/v1
    /// kind: Policy
    /// omitStages: [RequestReceived]
    /// rules: [{level: Metadata}]
    /// ```
    ///
    /// ## Remediation
    /// Add `omitStages: [RequestReceived]` to the policy.
    ///
    /// ## References
    /// - [Kubernetes: Auditing, stages](https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/)
    pub(crate) REQUEST_RECEIVED_LOGGED {
        code: "AUD006",
        name: "audit-policy-logs-request-received",
        practice: Audit,
        severity: Low,
        status: Stable { since: "0.2.0" },
        check: Check::Object(&["Policy"], request_received_logged),
    }
}

declare_rule! {
    /// ## What it does
    /// Reports audit Policies the API server refuses: a rule whose `level` is not
    /// `None`, `Metadata`, `Request` or `RequestResponse`.
    ///
    /// ## Why is this bad?
    /// kube-apiserver fails to start with an invalid `--audit-policy-file`; a policy
    /// rolled out with a typo takes the control plane down.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - level: metadata
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// rules:
    /// - level: Metadata
    /// ```
    ///
    /// ## Remediation
    /// Use one of the four levels, spelled as the API spells them.
    ///
    /// ## References
    /// - [Kubernetes API: audit.k8s.io/v1 Policy](https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/#audit-k8s-io-v1-Policy)
    pub(crate) INVALID_POLICY {
        code: "AUD008",
        name: "audit-policy-invalid",
        practice: Audit,
        severity: Medium,
        status: Stable { since: "0.2.0" },
        check: Check::Object(&["Policy"], invalid_policy),
    }
}

/// A representative request, described.
struct Probe {
    what: &'static str,
    request: Request,
}

fn probe(
    what: &'static str,
    verb: &str,
    group: &str,
    resource: &str,
    subresource: &str,
    namespace: &str,
) -> Probe {
    Probe {
        what,
        request: Request {
            user: "jane@example.com".into(),
            groups: vec!["system:authenticated".into()],
            verb: verb.into(),
            resource: Some(ResourceAttributes {
                group: group.into(),
                resource: resource.into(),
                subresource: subresource.into(),
                namespace: namespace.into(),
                name: String::new(),
            }),
            path: String::new(),
        },
    }
}

/// Requests whose bodies hold secret values.
fn secret_bodies() -> Vec<Probe> {
    let mut out = Vec::new();
    for verb in ["get", "list", "watch", "create", "update", "patch"] {
        out.push(probe("Secret bodies", verb, "", "secrets", "", "default"));
        out.push(probe(
            "ConfigMap bodies",
            verb,
            "",
            "configmaps",
            "",
            "default",
        ));
    }
    out.push(probe(
        "TokenReview bodies (bearer tokens)",
        "create",
        "authentication.k8s.io",
        "tokenreviews",
        "",
        "",
    ));
    out.push(probe(
        "issued ServiceAccount tokens",
        "create",
        "",
        "serviceaccounts",
        "token",
        "default",
    ));
    out
}

/// Requests an intruder makes.
fn security_requests() -> Vec<Probe> {
    let mut out = vec![
        probe("Secret reads", "get", "", "secrets", "", "default"),
        probe("Secret reads", "list", "", "secrets", "", ""),
        probe("Secret reads", "watch", "", "secrets", "", "default"),
        probe("pods/exec", "create", "", "pods", "exec", "default"),
        probe("pods/attach", "create", "", "pods", "attach", "default"),
        probe(
            "pods/portforward",
            "create",
            "",
            "pods",
            "portforward",
            "default",
        ),
        probe("impersonation", "impersonate", "", "users", "", ""),
        probe(
            "impersonation",
            "impersonate",
            "",
            "serviceaccounts",
            "",
            "default",
        ),
        probe(
            "ServiceAccount token requests",
            "create",
            "",
            "serviceaccounts",
            "token",
            "default",
        ),
        probe(
            "CSR approval",
            "update",
            "certificates.k8s.io",
            "certificatesigningrequests",
            "approval",
            "",
        ),
        probe("node proxy", "get", "", "nodes", "proxy", ""),
    ];
    for resource in ["roles", "rolebindings"] {
        for verb in ["create", "update", "patch"] {
            out.push(probe(
                "RBAC writes",
                verb,
                "rbac.authorization.k8s.io",
                resource,
                "",
                "default",
            ));
        }
    }
    for resource in ["clusterroles", "clusterrolebindings"] {
        for verb in ["create", "update", "patch"] {
            out.push(probe(
                "RBAC writes",
                verb,
                "rbac.authorization.k8s.io",
                resource,
                "",
                "",
            ));
        }
    }
    out
}

fn rule_pos(policy: &Policy, rule: Option<usize>, object: &Object) -> (Pos, String) {
    match rule.and_then(|r| policy.rules.get(r)) {
        Some(r) => (r.pos, format!("rules[{}]", r.index)),
        None => (
            object
                .root
                .entry("rules")
                .map_or(object.pos(), |e| e.key_pos),
            "rules".into(),
        ),
    }
}

/// Groups probe descriptions by the rule that decided them (`None`: no rule matched).
fn by_rule<'p>(
    policy: &Policy,
    probes: &'p [Probe],
    bad: impl Fn(Level) -> bool,
) -> BTreeMap<Option<usize>, (Vec<&'p str>, Level)> {
    let mut out: BTreeMap<Option<usize>, (Vec<&str>, Level)> = BTreeMap::new();
    for p in probes {
        let d = policy.decide(&p.request);
        if bad(d.level) {
            let entry = out.entry(d.rule).or_insert((Vec::new(), d.level));
            if !entry.0.contains(&p.what) {
                entry.0.push(p.what);
            }
        }
    }
    out
}

/// AUD002
fn logs_secret_bodies(ctx: &mut Context<'_>, object: &Object) {
    let Some(policy) = Policy::compile(object) else {
        return;
    };
    let probes = secret_bodies();
    for (rule, (what, level)) in by_rule(&policy, &probes, |l| l >= Level::Request) {
        let (pos, path) = rule_pos(&policy, rule, object);
        let which = rule.map_or_else(String::new, |r| format!("rule #{} ", r + 1));
        ctx.report(
            &LOGS_SECRET_BODIES,
            object,
            pos,
            &path,
            format!(
                "audit {which}logs {} at `{}`: secret values and tokens land in the audit log",
                what.join(", "),
                level.name()
            ),
        );
    }
}

/// AUD003
fn misses_security_requests(ctx: &mut Context<'_>, object: &Object) {
    let Some(policy) = Policy::compile(object) else {
        return;
    };
    let probes = security_requests();
    for (rule, (what, _)) in by_rule(&policy, &probes, |l| l == Level::None) {
        let (pos, path) = rule_pos(&policy, rule, object);
        let why = match rule {
            Some(r) => format!("rule #{} sets level `None` for them", r + 1),
            None => "no rule matches them".to_string(),
        };
        ctx.report(
            &MISSES_SECURITY_REQUESTS,
            object,
            pos,
            &path,
            format!("the audit policy does not log {}: {why}", what.join(", ")),
        );
    }
}

/// AUD004
fn no_catch_all(ctx: &mut Context<'_>, object: &Object) {
    let Some(policy) = Policy::compile(object) else {
        return;
    };
    let catch_all = policy.rules.iter().any(|r| {
        r.users.is_empty()
            && r.user_groups.is_empty()
            && r.verbs.is_empty()
            && r.resources.is_empty()
            && r.namespaces.is_empty()
            && r.non_resource_urls.is_empty()
    });
    if catch_all {
        return;
    }
    let (pos, path) = rule_pos(&policy, None, object);
    ctx.report(
        &NO_CATCH_ALL,
        object,
        pos,
        &path,
        "the audit policy has no catch-all rule: requests no rule matches are not logged",
    );
}

/// AUD005
fn rule_shadowed(ctx: &mut Context<'_>, object: &Object) {
    let Some(policy) = Policy::compile(object) else {
        return;
    };
    for (dead, by) in policy.shadowed() {
        let (pos, path) = rule_pos(&policy, Some(dead), object);
        let level = policy.rules.get(dead).map_or("", |r| r.level.name());
        let earlier = policy.rules.get(by).map_or("", |r| r.level.name());
        ctx.report(
            &RULE_SHADOWED,
            object,
            pos,
            &path,
            format!(
                "audit rule #{} (`{level}`) never applies: rule #{} (`{earlier}`) matches every request it matches and comes first",
                dead + 1,
                by + 1
            ),
        );
    }
}

/// AUD006
fn request_received_logged(ctx: &mut Context<'_>, object: &Object) {
    let Some(policy) = Policy::compile(object) else {
        return;
    };
    if policy.omit_stages.iter().any(|s| s == "RequestReceived") {
        return;
    }
    let pos = object
        .root
        .entry("omitStages")
        .map_or_else(|| object.pos(), |e| e.key_pos);
    ctx.report(
        &REQUEST_RECEIVED_LOGGED,
        object,
        pos,
        "omitStages",
        "the audit policy records the `RequestReceived` stage: every request is logged twice",
    );
}

/// AUD008
fn invalid_policy(ctx: &mut Context<'_>, object: &Object) {
    let Some(policy) = Policy::compile(object) else {
        return;
    };
    for (pos, message) in &policy.problems {
        ctx.report(&INVALID_POLICY, object, *pos, "rules", message.clone());
    }
}
