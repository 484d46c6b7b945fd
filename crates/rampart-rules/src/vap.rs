//! Native Kubernetes `ValidatingAdmissionPolicy` export (`rampart export vap`).
//!
//! For each rule whose logic is a pure function of the admitted object (plus, for the
//! Pod Security rules, the labels of its namespace, which a policy reads through
//! `namespaceObject`), this module writes one `ValidatingAdmissionPolicy` named
//! `rampart-<code>` and one `ValidatingAdmissionPolicyBinding`
//! (`admissionregistration.k8s.io/v1`). Each policy matches Pods and every workload
//! kind that carries a pod template, and reaches the pod spec through `variables`
//! wherever it lives (`object.spec`, `object.spec.template.spec`,
//! `object.spec.jobTemplate.spec.template.spec`, `object.template.spec`).
//!
//! Exported ([`EXPORTED`]): POD001, POD002, POD003, POD004, POD005, POD009, POD011,
//! POD013, POD014, POD016, POD017, POD025, UPD001. Every other rule is listed by
//! [`not_exported`] with the reason: cross-object analyses (RBAC graphs, network
//! reachability, namespaces judged by their pods), cluster configuration files, secret
//! detection by entropy, or checks not translated to CEL yet.
//!
//! The Pod Security rules (POD001…POD017) follow Rampart's (and upstream Pod Security
//! admission's) level and version gating: a check applies only at the namespace's
//! `pod-security.kubernetes.io/enforce` level and `enforce-version`, with the run's
//! default (`restricted:latest`) for namespaces without the label, and the revision of
//! the check in effect at that version. The CEL is generated from the same
//! [`pss::CHECKS`] table the rules use, so the gating cannot drift.
//!
//! Semantics are those of the rule on schema-valid objects (what the API server admits
//! after validation); CEL has no way to tell a quoted `"true"` from `true` once the API
//! server has rejected the former anyway.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::pss::{self, Level, LevelVersion, Version};
use crate::registry::RULES;
use crate::rule::{Practice, RuleMeta};

/// What the binding does with a denial (`validationActions`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Action {
    /// Reject the request.
    #[default]
    Deny,
    /// Admit it with a warning to the client.
    Warn,
    /// Admit it and record the failure in the audit log.
    Audit,
}

impl Action {
    /// The `validationActions` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Deny => "Deny",
            Action::Warn => "Warn",
            Action::Audit => "Audit",
        }
    }
}

/// Export options.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The binding's action.
    pub action: Action,
    /// The Pod Security level and version for namespaces without an enforce label
    /// (Rampart's `Settings::pss_default`).
    pub pss_default: LevelVersion,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            action: Action::Deny,
            pss_default: crate::Settings::default().pss_default,
        }
    }
}

/// How an exported rule decides.
enum Logic {
    /// A Pod Security check: the CEL of each revision (by its `since`), gated by level
    /// and version as [`pss::applies`] decides.
    Pss {
        check: &'static str,
        revision: fn(u32) -> Option<String>,
    },
    /// A plain violation expression.
    Plain(fn() -> String),
}

/// One exported rule.
struct Export {
    code: &'static str,
    logic: Logic,
    /// The message: a CEL string expression (after `CODE name: `).
    message: fn() -> String,
}

/// The codes exported, in registry order.
pub const EXPORTED: &[&str] = &[
    "POD001", "POD002", "POD003", "POD004", "POD005", "POD009", "POD011", "POD013", "POD014",
    "POD016", "POD017", "POD025", "UPD001",
];

// ---- CEL building blocks ---------------------------------------------------------

const SPEC: &str = "variables.podSpec";
const CONTAINER_LISTS: [&str; 3] = [
    "variables.initContainers",
    "variables.containers",
    "variables.ephemeralContainers",
];

/// `has(a.b) && has(a.b.c) ...` for a dotted path below `base`.
fn has_path(base: &str, path: &str) -> String {
    let mut parts = Vec::new();
    let mut prefix = base.to_string();
    for field in path.split('.') {
        prefix = format!("{prefix}.{field}");
        parts.push(format!("has({prefix})"));
    }
    parts.join(" && ")
}

/// `has(..) && base.path == value`.
fn field_is(base: &str, path: &str, value: &str) -> String {
    format!("({} && {base}.{path} == {value})", has_path(base, path))
}

/// Some container (init, regular, ephemeral) satisfies `pred` (over `c`).
fn any_container(pred: &str) -> String {
    let parts: Vec<String> = CONTAINER_LISTS
        .iter()
        .map(|l| format!("{l}.exists(c, {pred})"))
        .collect();
    format!("({})", parts.join(" || "))
}

/// The names of the containers that satisfy `pred`, joined with `, `.
fn container_names(pred: &str) -> String {
    let parts: Vec<String> = CONTAINER_LISTS
        .iter()
        .map(|l| format!("{l}.filter(c, {pred})"))
        .collect();
    format!("({}).map(c, c.name).join(', ')", parts.join(" + "))
}

fn is_windows() -> String {
    field_is(SPEC, "os.name", "'windows'")
}

fn in_user_namespace() -> String {
    field_is(SPEC, "hostUsers", "false")
}

// ---- the checks -------------------------------------------------------------------

fn privileged_c() -> String {
    field_is("c", "securityContext.privileged", "true")
}

fn host_namespaces_pod() -> String {
    let parts: Vec<String> = ["hostNetwork", "hostPID", "hostIPC"]
        .iter()
        .map(|k| field_is(SPEC, k, "true"))
        .collect();
    format!("({})", parts.join(" || "))
}

fn host_path_pod() -> String {
    format!(
        "(has({SPEC}.volumes) && {SPEC}.volumes.exists(v, has(v.hostPath) && v.hostPath != null))"
    )
}

fn host_port_c() -> String {
    "(has(c.ports) && c.ports.exists(p, has(p.hostPort) && p.hostPort != 0))".to_string()
}

const CAPABILITIES_ALLOWED_1_0: &str = "['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']";

fn capabilities_baseline_c() -> String {
    format!(
        "({} && c.securityContext.capabilities.add.exists(a, !(a in {CAPABILITIES_ALLOWED_1_0})))",
        has_path("c", "securityContext.capabilities.add")
    )
}

/// `seccompProfile` set to a map whose type is not RuntimeDefault or Localhost.
fn bad_seccomp_type(base: &str) -> String {
    format!(
        "({} && !({} && {base}.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost']))",
        has_path(base, "securityContext.seccompProfile"),
        has_path(base, "securityContext.seccompProfile.type"),
    )
}

fn seccomp_annotation_bad(key: &str) -> String {
    let v = format!("variables.podAnnotations[{key}]");
    format!(
        "({key} in variables.podAnnotations && !({v} == 'runtime/default' || {v} == 'docker/default' || {v}.startsWith('localhost/')))"
    )
}

fn seccomp_baseline(since: u32) -> Option<String> {
    match since {
        0 => {
            let pod = seccomp_annotation_bad("'seccomp.security.alpha.kubernetes.io/pod'");
            let c = seccomp_annotation_bad(
                "'container.seccomp.security.alpha.kubernetes.io/' + c.name",
            );
            Some(format!("({pod} || {})", any_container(&c)))
        }
        19 => Some(format!(
            "({} || {})",
            bad_seccomp_type(SPEC),
            any_container(&bad_seccomp_type("c"))
        )),
        _ => None,
    }
}

fn host_process(base: &str) -> String {
    field_is(base, "securityContext.windowsOptions.hostProcess", "true")
}

fn escalation_c() -> String {
    format!(
        "!{}",
        field_is("c", "securityContext.allowPrivilegeEscalation", "false")
    )
}

fn capabilities_restricted_c() -> String {
    let caps = "c.securityContext.capabilities";
    format!(
        "(!({}) || !(has({caps}.drop) && {caps}.drop.exists(d, d == 'ALL')) || (has({caps}.add) && {caps}.add.exists(a, a != 'NET_BIND_SERVICE')))",
        has_path("c", "securityContext.capabilities")
    )
}

fn run_as_non_root() -> String {
    let pod_false = field_is(SPEC, "securityContext.runAsNonRoot", "false");
    let pod_true = field_is(SPEC, "securityContext.runAsNonRoot", "true");
    let c_false = field_is("c", "securityContext.runAsNonRoot", "false");
    let c_unset = format!(
        "!({} && c.securityContext.runAsNonRoot != null)",
        has_path("c", "securityContext.runAsNonRoot")
    );
    format!(
        "({pod_false} || {} || (!{pod_true} && {}))",
        any_container(&c_false),
        any_container(&c_unset)
    )
}

/// Containers whose effective `runAsNonRoot` is not `true` (for messages).
fn not_non_root_c() -> String {
    format!(
        "!({} && c.securityContext.runAsNonRoot != null ? c.securityContext.runAsNonRoot == true : {})",
        has_path("c", "securityContext.runAsNonRoot"),
        field_is(SPEC, "securityContext.runAsNonRoot", "true")
    )
}

fn run_as_user_zero() -> String {
    format!(
        "({} || {})",
        field_is(SPEC, "securityContext.runAsUser", "0"),
        any_container(&field_is("c", "securityContext.runAsUser", "0"))
    )
}

fn control_plane_toleration() -> String {
    format!(
        "(!(request.namespace in ['kube-system', 'kube-public', 'kube-node-lease']) && has({SPEC}.tolerations) && {SPEC}.tolerations.exists(t, has(t.key) && t.key in ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master']))"
    )
}

/// The image trimmed, its last path segment, and whether it has no tag or `latest`.
fn latest_tag_c() -> String {
    let img = "c.image.trim()";
    let last = format!("{img}.substring({img}.lastIndexOf('/') + 1)");
    format!(
        "(has(c.image) && !{img}.contains('@') && ({last}.contains(':') ? {last}.substring({last}.lastIndexOf(':') + 1) == 'latest' : {img} != ''))"
    )
}

fn exports() -> Vec<Export> {
    vec![
        Export {
            code: "POD001",
            logic: Logic::Pss {
                check: "privileged",
                revision: |_| Some(any_container(&privileged_c())),
            },
            message: || {
                format!(
                    "'privileged containers: ' + {}",
                    container_names(&privileged_c())
                )
            },
        },
        Export {
            code: "POD002",
            logic: Logic::Pss {
                check: "hostNamespaces",
                revision: |_| Some(host_namespaces_pod()),
            },
            message: || {
                "'the pod shares a host namespace (hostNetwork, hostPID or hostIPC is true)'"
                    .to_string()
            },
        },
        Export {
            code: "POD003",
            logic: Logic::Pss {
                check: "hostPathVolumes",
                revision: |_| Some(host_path_pod()),
            },
            message: || {
                format!(
                    "'hostPath volumes: ' + {SPEC}.volumes.filter(v, has(v.hostPath) && v.hostPath != null).map(v, v.name).join(', ')"
                )
            },
        },
        Export {
            code: "POD004",
            logic: Logic::Pss {
                check: "hostPorts",
                revision: |_| Some(any_container(&host_port_c())),
            },
            message: || {
                format!(
                    "'containers binding host ports: ' + {}",
                    container_names(&host_port_c())
                )
            },
        },
        Export {
            code: "POD005",
            logic: Logic::Pss {
                check: "capabilities_baseline",
                revision: |_| Some(any_container(&capabilities_baseline_c())),
            },
            message: || {
                format!(
                    "'containers adding non-default capabilities: ' + {}",
                    container_names(&capabilities_baseline_c())
                )
            },
        },
        Export {
            code: "POD009",
            logic: Logic::Pss {
                check: "seccompProfile_baseline",
                revision: seccomp_baseline,
            },
            message: || {
                format!(
                    "'seccomp profile must be RuntimeDefault or Localhost; containers: ' + {}",
                    container_names(&bad_seccomp_type("c"))
                )
            },
        },
        Export {
            code: "POD011",
            logic: Logic::Pss {
                check: "windowsHostProcess",
                revision: |_| {
                    Some(format!(
                        "({} || {})",
                        host_process(SPEC),
                        any_container(&host_process("c"))
                    ))
                },
            },
            message: || {
                format!(
                    "'Windows HostProcess (pod or containers): ' + {}",
                    container_names(&host_process("c"))
                )
            },
        },
        Export {
            code: "POD013",
            logic: Logic::Pss {
                check: "allowPrivilegeEscalation",
                revision: |since| match since {
                    8 => Some(any_container(&escalation_c())),
                    25 => Some(format!(
                        "(!{} && {})",
                        is_windows(),
                        any_container(&escalation_c())
                    )),
                    _ => None,
                },
            },
            message: || {
                format!(
                    "'containers must set securityContext.allowPrivilegeEscalation=false: ' + {}",
                    container_names(&escalation_c())
                )
            },
        },
        Export {
            code: "POD014",
            logic: Logic::Pss {
                check: "capabilities_restricted",
                revision: |since| match since {
                    22 => Some(any_container(&capabilities_restricted_c())),
                    25 => Some(format!(
                        "(!{} && {})",
                        is_windows(),
                        any_container(&capabilities_restricted_c())
                    )),
                    _ => None,
                },
            },
            message: || {
                format!(
                    "'containers must drop ALL capabilities and add none but NET_BIND_SERVICE: ' + {}",
                    container_names(&capabilities_restricted_c())
                )
            },
        },
        Export {
            code: "POD016",
            logic: Logic::Pss {
                check: "runAsNonRoot",
                revision: |since| match since {
                    0 => Some(run_as_non_root()),
                    35 => Some(format!(
                        "(!{} && {})",
                        in_user_namespace(),
                        run_as_non_root()
                    )),
                    _ => None,
                },
            },
            message: || {
                format!(
                    "'pod or containers must set securityContext.runAsNonRoot=true: ' + {}",
                    container_names(&not_non_root_c())
                )
            },
        },
        Export {
            code: "POD017",
            logic: Logic::Pss {
                check: "runAsUser",
                revision: |since| match since {
                    23 => Some(run_as_user_zero()),
                    35 => Some(format!(
                        "(!{} && {})",
                        in_user_namespace(),
                        run_as_user_zero()
                    )),
                    _ => None,
                },
            },
            message: || {
                format!(
                    "'pod or containers run as UID 0; containers: ' + {}",
                    container_names(&field_is("c", "securityContext.runAsUser", "0"))
                )
            },
        },
        Export {
            code: "POD025",
            logic: Logic::Plain(control_plane_toleration),
            message: || {
                "'the pod tolerates the control-plane taint outside the system namespaces'"
                    .to_string()
            },
        },
        Export {
            code: "UPD001",
            logic: Logic::Plain(|| any_container(&latest_tag_c())),
            message: || {
                format!(
                    "'images with no tag or the latest tag, in containers: ' + {}",
                    container_names(&latest_tag_c())
                )
            },
        },
    ]
}

// ---- Pod Security gating ----------------------------------------------------------

/// The violation expression of a Pod Security check, gated by level and version:
/// true exactly when the check applies at the namespace's policy and the revision in
/// effect there finds a violation.
fn pss_violation(check_id: &str, revision: fn(u32) -> Option<String>) -> Result<String, String> {
    let check = pss::CHECKS
        .iter()
        .find(|c| c.id == check_id)
        .ok_or_else(|| format!("no Pod Security check `{check_id}`"))?;
    let mut arms = Vec::new();
    for level in [Level::Baseline, Level::Restricted] {
        // Consecutive minor versions with the same revision, as (from, to, since).
        let mut ranges: Vec<(u32, u32, u32)> = Vec::new();
        for minor in 0..=pss::LATEST_MINOR {
            let lv = LevelVersion {
                level,
                version: Version::Minor(minor),
            };
            let Some(rev) = pss::applies(check, lv) else {
                continue;
            };
            match ranges.last_mut() {
                Some(last) if last.2 == rev.since && last.1 + 1 == minor => last.1 = minor,
                _ => ranges.push((minor, minor, rev.since)),
            }
        }
        for (from, to, since) in ranges {
            let body = revision(since)
                .ok_or_else(|| format!("no CEL for `{check_id}` revision {since}"))?;
            let mut gate = format!("variables.pssLevel == '{}'", level.as_str());
            if from > 0 {
                let _ = write!(gate, " && variables.pssMinor >= {from}");
            }
            if to < pss::LATEST_MINOR {
                let _ = write!(gate, " && variables.pssMinor <= {to}");
            }
            arms.push(format!("({gate} && {body})"));
        }
    }
    if arms.is_empty() {
        return Ok("false".to_string());
    }
    Ok(arms.join(" || "))
}

// ---- the objects ------------------------------------------------------------------

const ENFORCE: &str = "'pod-security.kubernetes.io/enforce'";
const ENFORCE_VERSION: &str = "'pod-security.kubernetes.io/enforce-version'";

/// Where the pod template's field `rest` lives, per kind; `empty` if it is absent.
fn template_field(rest: &str, empty: &str) -> String {
    let at =
        |base: &str, path: &str| format!("({} ? {base}.{path} : {empty})", has_path(base, path));
    format!(
        "object.kind == 'Pod' ? {} : object.kind == 'CronJob' ? {} : object.kind == 'PodTemplate' ? {} : {}",
        at("object", &format!("metadata.{rest}")),
        at(
            "object.spec.jobTemplate.spec.template",
            &format!("metadata.{rest}")
        ),
        at("object.template", &format!("metadata.{rest}")),
        at("object.spec.template", &format!("metadata.{rest}")),
    )
}

/// `variables.ignored`: the object or its pod template carries `rampart.dev/ignore`
/// with a pattern naming the rule, as the scanner honours it (a code, a code prefix,
/// the rule name or `ALL`, comma-separated, case-insensitive).
fn ignored(rule: &RuleMeta) -> String {
    let key = "'rampart.dev/ignore'";
    let on_object = format!(
        "has(object.metadata.annotations) && {key} in object.metadata.annotations ? object.metadata.annotations[{key}] : ''"
    );
    let on_template =
        format!("{key} in variables.podAnnotations ? variables.podAnnotations[{key}] : ''");
    format!(
        "[{on_object}, {on_template}].exists(l, l.split(',').exists(p, p.trim() != '' && (p.trim().lowerAscii() == 'all' || p.trim().lowerAscii() == '{}' || '{}'.startsWith(p.trim().lowerAscii()))))",
        rule.name.to_ascii_lowercase(),
        rule.code.to_ascii_lowercase()
    )
}

fn variables(default: LevelVersion, rule: &RuleMeta) -> Value {
    let spec = "object.kind == 'Pod' ? object.spec : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.kind == 'PodTemplate' ? object.template.spec : object.spec.template.spec";
    let list = |field: &str| format!("has({SPEC}.{field}) ? {SPEC}.{field} : []");
    let labels = "namespaceObject != null && has(namespaceObject.metadata) && has(namespaceObject.metadata.labels) ? namespaceObject.metadata.labels : {}";
    let level = format!(
        "!({ENFORCE} in variables.nsLabels) ? '{}' : variables.nsLabels[{ENFORCE}] in ['privileged', 'baseline', 'restricted'] ? variables.nsLabels[{ENFORCE}] : 'restricted'",
        default.level.as_str()
    );
    let version = format!("variables.nsLabels[{ENFORCE_VERSION}]");
    let minor_of = format!("int({version}.substring(3))");
    let latest = pss::LATEST_MINOR;
    let minor = format!(
        "!({ENFORCE} in variables.nsLabels) || !({ENFORCE_VERSION} in variables.nsLabels) ? {} : {version}.matches('^v1[.](0|[1-9][0-9]{{0,8}})$') ? ({minor_of} > {latest} ? {latest} : {minor_of}) : {latest}",
        default.version.effective_minor()
    );
    let vars = [
        ("podSpec", spec.to_string()),
        ("podAnnotations", template_field("annotations", "{}")),
        ("initContainers", list("initContainers")),
        ("containers", list("containers")),
        ("ephemeralContainers", list("ephemeralContainers")),
        ("nsLabels", labels.to_string()),
        ("pssLevel", level),
        ("pssMinor", minor),
        ("ignored", ignored(rule)),
    ];
    Value::Array(
        vars.into_iter()
            .map(|(name, expression)| json!({"name": name, "expression": expression}))
            .collect(),
    )
}

fn match_constraints() -> Value {
    json!({
        "resourceRules": [
            {
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates"],
            },
            {
                "apiGroups": ["apps"],
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"],
            },
            {
                "apiGroups": ["batch"],
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["jobs", "cronjobs"],
            },
        ]
    })
}

fn rule_meta(code: &str) -> Result<&'static RuleMeta, String> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code == code)
        .ok_or_else(|| format!("no rule `{code}`"))
}

/// One exported rule, ready to write.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The rule.
    pub rule: &'static RuleMeta,
    /// The `ValidatingAdmissionPolicy`.
    pub policy: Value,
    /// Its `ValidatingAdmissionPolicyBinding`.
    pub binding: Value,
}

/// Every exported rule's policy and binding, in registry order.
///
/// Errors only if the export table and the rule registry disagree (a bug).
pub fn policies(options: &Options) -> Result<Vec<Policy>, String> {
    exports()
        .into_iter()
        .map(|e| {
            let rule = rule_meta(e.code)?;
            let violation = match e.logic {
                Logic::Pss { check, revision } => pss_violation(check, revision)?,
                Logic::Plain(f) => f(),
            };
            let name = format!("rampart-{}", e.code.to_ascii_lowercase());
            let labels = json!({
                "app.kubernetes.io/managed-by": "rampart",
                "rampart.dev/rule": e.code,
            });
            let policy = json!({
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingAdmissionPolicy",
                "metadata": {
                    "name": name,
                    "labels": labels,
                    "annotations": {"rampart.dev/summary": rule.summary()},
                },
                "spec": {
                    "failurePolicy": "Fail",
                    "matchConstraints": match_constraints(),
                    "variables": variables(options.pss_default, rule),
                    "validations": [{
                        "expression": format!("variables.ignored || !({violation})"),
                        "messageExpression": format!("'{} {}: ' + {}", e.code, rule.name, (e.message)()),
                        "reason": "Forbidden",
                    }],
                },
            });
            let binding = json!({
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingAdmissionPolicyBinding",
                "metadata": {"name": name, "labels": labels},
                "spec": {
                    "policyName": name,
                    "validationActions": [options.action.as_str()],
                },
            });
            Ok(Policy {
                rule,
                policy,
                binding,
            })
        })
        .collect()
}

/// Every rule that is not exported, with the reason.
pub fn not_exported() -> Vec<(&'static RuleMeta, &'static str)> {
    RULES
        .iter()
        .copied()
        .filter(|r| !EXPORTED.contains(&r.code))
        .map(|r| (r, reason(r)))
        .collect()
}

fn reason(rule: &RuleMeta) -> &'static str {
    match rule.code {
        "POD019" | "POD020" => {
            "cross-object: judged against the nodes' and namespaces' configuration in the inventory"
        }
        "POD022" => "needs the image's default user, which is not in the object",
        "POD024" | "POD028" | "POD031" | "POD032" | "POD033" => {
            "placement advice graded by namespace and workload role (not a yes/no admission decision)"
        }
        "POD027" => "judges Node objects (taints), not pods",
        "POD029" | "POD030" => {
            "judges namespaces by their labels and the pods they hold (cross-object)"
        }
        "POD006" | "POD007" | "POD008" | "POD010" | "POD012" | "POD015" | "POD018" | "POD021"
        | "POD023" | "POD026" => {
            "a pure function of the pod, but its CEL is not written yet (planned)"
        }
        "SEC001" | "SEC004" | "SEC005" | "SEC006" | "SEC009" => {
            "secret detection by key names and entropy (not expressible in CEL without false positives)"
        }
        "SEC007" | "SEC008" => {
            "cross-object: depends on the ServiceAccounts and RBAC bindings in the inventory"
        }
        _ => match rule.practice {
            Practice::Rbac => {
                "RBAC: judged on the graph of roles, bindings and subjects (escalation paths), not one object"
            }
            Practice::Network => {
                "network reachability across NetworkPolicies, Services, namespaces and pods (cross-object)"
            }
            Practice::Audit => "API server and audit-policy configuration, not an admitted object",
            _ => "cluster configuration or cross-object analysis, not one admitted object",
        },
    }
}

// ---- writing ----------------------------------------------------------------------

/// The objects in order: each policy followed by its binding.
pub fn objects(policies: &[Policy]) -> Vec<Value> {
    policies
        .iter()
        .flat_map(|p| [p.policy.clone(), p.binding.clone()])
        .collect()
}

/// A multi-document YAML stream (strings double-quoted, so no YAML 1.1 surprises).
pub fn to_yaml(objects: &[Value]) -> String {
    let mut out = String::from(
        "# Generated by `rampart export vap`: ValidatingAdmissionPolicies for Rampart rules.\n",
    );
    for (i, object) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        write_block(&mut out, object, 0, false);
    }
    out
}

/// A `v1` `List` of the objects, as JSON.
pub fn to_json(objects: &[Value]) -> String {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
    let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
    text.push('\n');
    text
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Object(_) => "{}".to_string(),
        Value::Array(_) => "[]".to_string(),
        other => other.to_string(),
    }
}

fn plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'-' | b'_'))
        && key.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
}

fn write_block(out: &mut String, v: &Value, indent: usize, inline_first: bool) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) => {
            for (i, (key, value)) in map.iter().enumerate() {
                if !(inline_first && i == 0) {
                    out.push_str(&pad);
                }
                if plain_key(key) {
                    out.push_str(key);
                } else {
                    out.push_str(&scalar(&Value::String(key.clone())));
                }
                out.push(':');
                if is_block(value) {
                    out.push('\n');
                    write_block(out, value, indent + 2, false);
                } else {
                    out.push(' ');
                    out.push_str(&scalar(value));
                    out.push('\n');
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if !(inline_first && i == 0) {
                    out.push_str(&pad);
                }
                out.push('-');
                match item {
                    Value::Object(_) | Value::Array(_) if is_block(item) => {
                        out.push(' ');
                        write_block(out, item, indent + 2, true);
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&scalar(item));
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}
