//! The checks of `k8s.io/pod-security-admission/policy`, one function per upstream
//! revision. Each cites its upstream file; strings are upstream's, byte for byte.

use std::collections::BTreeSet;

use rampart_model::{Container, Node, PodTemplate, Pos};

use super::{Check, Level, Offense, Revision, Violation, go_quote, join_quote, pluralize};

/// Every check, baseline IDs sorted then restricted IDs sorted: upstream's result order.
pub static CHECKS: &[Check] = &[
    Check {
        id: "appArmorProfile",
        level: Level::Baseline,
        revisions: &[rev(0, app_armor_profile)],
    },
    Check {
        id: "capabilities_baseline",
        level: Level::Baseline,
        revisions: &[rev(0, capabilities_baseline)],
    },
    Check {
        id: "hostNamespaces",
        level: Level::Baseline,
        revisions: &[rev(0, host_namespaces)],
    },
    Check {
        id: "hostPathVolumes",
        level: Level::Baseline,
        revisions: &[rev(0, host_path_volumes)],
    },
    Check {
        id: "hostPorts",
        level: Level::Baseline,
        revisions: &[rev(0, host_ports)],
    },
    Check {
        id: "hostProbesAndHostLifecycle",
        level: Level::Baseline,
        revisions: &[rev(34, host_probes_and_lifecycle)],
    },
    Check {
        id: "privileged",
        level: Level::Baseline,
        revisions: &[rev(0, privileged)],
    },
    Check {
        id: "procMount",
        level: Level::Baseline,
        revisions: &[rev(0, proc_mount), rev(35, proc_mount_1_35_baseline)],
    },
    Check {
        id: "seLinuxOptions",
        level: Level::Baseline,
        revisions: &[rev(0, se_linux_options_1_0), rev(31, se_linux_options_1_31)],
    },
    Check {
        id: "seccompProfile_baseline",
        level: Level::Baseline,
        revisions: &[
            rev(0, seccomp_baseline_annotations),
            rev(19, seccomp_baseline_fields),
        ],
    },
    Check {
        id: "sysctls",
        level: Level::Baseline,
        revisions: &[
            rev(0, sysctls_1_0),
            rev(27, sysctls_1_27),
            rev(29, sysctls_1_29),
            rev(32, sysctls_1_32),
        ],
    },
    Check {
        id: "windowsHostProcess",
        level: Level::Baseline,
        revisions: &[rev(0, windows_host_process)],
    },
    Check {
        id: "allowPrivilegeEscalation",
        level: Level::Restricted,
        revisions: &[
            rev(8, allow_privilege_escalation),
            rev(25, allow_privilege_escalation_1_25),
        ],
    },
    Check {
        id: "capabilities_restricted",
        level: Level::Restricted,
        revisions: &[
            Revision {
                since: 22,
                check: capabilities_restricted,
                overrides: &["capabilities_baseline"],
            },
            Revision {
                since: 25,
                check: capabilities_restricted_1_25,
                overrides: &["capabilities_baseline"],
            },
        ],
    },
    Check {
        id: "procMount_restricted",
        level: Level::Restricted,
        revisions: &[Revision {
            since: 35,
            check: proc_mount_restricted,
            overrides: &["procMount"],
        }],
    },
    Check {
        id: "restrictedVolumes",
        level: Level::Restricted,
        revisions: &[Revision {
            since: 0,
            check: restricted_volumes,
            overrides: &["hostPathVolumes"],
        }],
    },
    Check {
        id: "runAsNonRoot",
        level: Level::Restricted,
        revisions: &[rev(0, run_as_non_root), rev(35, run_as_non_root_1_35)],
    },
    Check {
        id: "runAsUser",
        level: Level::Restricted,
        revisions: &[rev(23, run_as_user), rev(35, run_as_user_1_35)],
    },
    Check {
        id: "seccompProfile_restricted",
        level: Level::Restricted,
        revisions: &[
            Revision {
                since: 19,
                check: seccomp_restricted,
                overrides: &["seccompProfile_baseline"],
            },
            Revision {
                since: 25,
                check: seccomp_restricted_1_25,
                overrides: &["seccompProfile_baseline"],
            },
        ],
    },
];

const fn rev(since: u32, check: super::CheckFn) -> Revision {
    Revision {
        since,
        check,
        overrides: &[],
    }
}

// ---- helpers ---------------------------------------------------------------------

fn security_context(node: &Node) -> Option<&Node> {
    node.get("securityContext").filter(|n| n.as_map().is_some())
}

/// The profile map (`appArmorProfile`, `seccompProfile`) of a security context, if set.
fn profile<'a>(security_context: &'a Node, key: &str) -> Option<&'a Node> {
    security_context.get(key).filter(|p| p.as_map().is_some())
}

/// The value when it is the integer 0.
fn zero(node: Option<&Node>) -> Option<&Node> {
    node.filter(|n| n.as_i64() == Some(0))
}

fn is_windows(pod: &PodTemplate<'_>) -> bool {
    pod.spec.path("os.name").and_then(Node::as_str) == Some("windows")
}

/// `hostUsers: false`, explicitly (upstream `relaxPolicyForUserNamespacePod`).
fn in_user_namespace(pod: &PodTemplate<'_>) -> bool {
    pod.spec.get("hostUsers").and_then(Node::as_bool) == Some(false)
}

/// `container "a"` / `containers "a", "b"`.
fn containers_phrase(names: &[&str]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names)
    )
}

fn describe(c: &Container<'_>) -> String {
    let kind = match c.kind {
        rampart_model::ContainerKind::Init => "init container",
        rampart_model::ContainerKind::Regular => "container",
        rampart_model::ContainerKind::Ephemeral => "ephemeral container",
    };
    format!("{kind} `{}`", c.name())
}

fn offense(pos: Pos, path: String, message: String) -> Offense {
    Offense { pos, path, message }
}

#[allow(clippy::unnecessary_wraps)] // checks end with `return violation(..)` or `None`
fn violation(
    check: &'static str,
    reason: &str,
    detail: String,
    offenses: Vec<Offense>,
) -> Option<Violation> {
    Some(Violation {
        check,
        reason: reason.to_string(),
        detail,
        offenses,
    })
}

/// A field of a container's security context, with its path.
fn c_field<'a>(c: &Container<'a>, key: &str) -> Option<&'a Node> {
    security_context(c.node).and_then(|sc| sc.get(key))
}

// ---- baseline --------------------------------------------------------------------

const APPARMOR_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

/// `check_appArmorProfile.go`, 1.0 (annotations and the `appArmorProfile` field).
fn app_armor_profile(pod: &PodTemplate<'_>) -> Option<Violation> {
    let allowed_type = |t: &str| t == "RuntimeDefault" || t == "Localhost";
    let allowed_annotation =
        |v: &str| v.is_empty() || v == "runtime/default" || v.starts_with("localhost/");
    let mut setters: Vec<String> = Vec::new();
    let mut bad_values: BTreeSet<String> = BTreeSet::new();
    let mut offenses = Vec::new();
    let profile_type = |node| profile(node, "appArmorProfile").map(|p| p.get("type"));
    if let Some(t) = pod.security_context().and_then(profile_type) {
        let text = t.and_then(Node::as_str).unwrap_or("");
        if !allowed_type(text) {
            setters.push("pod".into());
            bad_values.insert(text.to_string());
            offenses.push(offense(
                t.map_or(pod.pos(), |n| n.pos),
                pod.spec_field_path("securityContext.appArmorProfile.type"),
                format!("pod sets AppArmor profile type `{text}`"),
            ));
        }
    }
    let mut bad_containers = Vec::new();
    for c in pod.containers() {
        let Some(t) = security_context(c.node).and_then(profile_type) else {
            continue;
        };
        let text = t.and_then(Node::as_str).unwrap_or("");
        if !allowed_type(text) {
            bad_containers.push(c.name());
            bad_values.insert(text.to_string());
            offenses.push(offense(
                t.map_or(c.node.pos, |n| n.pos),
                c.field_path("securityContext.appArmorProfile.type"),
                format!("{} sets AppArmor profile type `{text}`", describe(&c)),
            ));
        }
    }
    if !bad_containers.is_empty() {
        setters.push(containers_phrase(&bad_containers));
    }
    let mut forbidden_annotations = Vec::new();
    if let Some(annotations) = pod
        .metadata
        .and_then(|m| m.get("annotations"))
        .and_then(Node::as_map)
    {
        for e in annotations {
            if !e.key.starts_with(APPARMOR_PREFIX) {
                continue;
            }
            let value = e.value.scalar_string().unwrap_or_default();
            if !allowed_annotation(&value) {
                forbidden_annotations.push(format!("{}={}", e.key, go_quote(&value)));
                offenses.push(offense(
                    e.value.pos,
                    format!("{}.annotations.{}", pod.metadata_path, e.key),
                    format!("annotation `{}` sets AppArmor profile `{value}`", e.key),
                ));
            }
        }
    }
    let mut values: Vec<String> = bad_values.into_iter().collect();
    if !forbidden_annotations.is_empty() {
        forbidden_annotations.sort();
        setters
            .push(pluralize("annotation", "annotations", forbidden_annotations.len()).to_string());
        values.extend(forbidden_annotations);
    }
    if setters.is_empty() {
        return None;
    }
    let reason = pluralize(
        "forbidden AppArmor profile",
        "forbidden AppArmor profiles",
        values.len(),
    );
    let detail = format!(
        "{} must not set AppArmor profile type to {}",
        setters.join(" and "),
        join_quote(&values)
    );
    violation("appArmorProfile", reason, detail, offenses)
}

const CAPABILITIES_ALLOWED_1_0: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// `check_capabilities_baseline.go`, 1.0.
fn capabilities_baseline(pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut bad_containers = Vec::new();
    let mut caps: BTreeSet<String> = BTreeSet::new();
    let mut offenses = Vec::new();
    for c in pod.containers() {
        let Some(add) = c_field(&c, "capabilities")
            .and_then(|caps| caps.get("add"))
            .and_then(Node::as_seq)
        else {
            continue;
        };
        let mut bad = false;
        for (i, cap) in add.iter().enumerate() {
            let name = cap.scalar_string().unwrap_or_default();
            if !CAPABILITIES_ALLOWED_1_0.contains(&name.as_str()) {
                bad = true;
                offenses.push(offense(
                    cap.pos,
                    c.field_path(&format!("securityContext.capabilities.add[{i}]")),
                    format!("{} adds capability `{name}`", describe(&c)),
                ));
                caps.insert(name);
            }
        }
        if bad {
            bad_containers.push(c.name());
        }
    }
    if bad_containers.is_empty() {
        return None;
    }
    let caps: Vec<String> = caps.into_iter().collect();
    let detail = format!(
        "{} must not include {} in securityContext.capabilities.add",
        containers_phrase(&bad_containers),
        join_quote(&caps)
    );
    violation(
        "capabilities_baseline",
        "non-default capabilities",
        detail,
        offenses,
    )
}

/// `check_hostNamespaces.go`, 1.0.
fn host_namespaces(pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut set = Vec::new();
    let mut offenses = Vec::new();
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if let Some(n) = pod.field(key).filter(|n| n.as_bool() == Some(true)) {
            set.push(format!("{key}=true"));
            offenses.push(offense(
                n.pos,
                pod.spec_field_path(key),
                format!("pod shares the host's namespace: `{key}: true`"),
            ));
        }
    }
    if set.is_empty() {
        return None;
    }
    violation(
        "hostNamespaces",
        "host namespaces",
        set.join(", "),
        offenses,
    )
}

/// `check_hostPathVolumes.go`, 1.0.
fn host_path_volumes(pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut names = Vec::new();
    let mut offenses = Vec::new();
    for (i, v) in pod.volumes() {
        if let Some(hp) = v.get("hostPath").filter(|n| !n.is_null()) {
            let name = v.get("name").and_then(Node::as_str).unwrap_or("");
            let path = hp.get("path").and_then(Node::as_str).unwrap_or("");
            names.push(name);
            offenses.push(offense(
                hp.pos,
                pod.spec_field_path(&format!("volumes[{i}].hostPath")),
                format!("volume `{name}` mounts host path `{path}`"),
            ));
        }
    }
    if names.is_empty() {
        return None;
    }
    let detail = format!(
        "{} {}",
        pluralize("volume", "volumes", names.len()),
        join_quote(&names)
    );
    violation("hostPathVolumes", "hostPath volumes", detail, offenses)
}

/// `check_hostPorts.go`, 1.0.
fn host_ports(pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut bad_containers = Vec::new();
    let mut ports: BTreeSet<String> = BTreeSet::new();
    let mut offenses = Vec::new();
    for c in pod.containers() {
        let mut bad = false;
        for (i, p) in c
            .node
            .get("ports")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let Some(hp) = p
                .get("hostPort")
                .filter(|h| h.as_i64().is_some_and(|v| v != 0))
            else {
                continue;
            };
            bad = true;
            let port = hp.as_i64().unwrap_or_default().to_string();
            offenses.push(offense(
                hp.pos,
                c.field_path(&format!("ports[{i}].hostPort")),
                format!("{} binds host port {port}", describe(&c)),
            ));
            ports.insert(port);
        }
        if bad {
            bad_containers.push(c.name());
        }
    }
    if bad_containers.is_empty() {
        return None;
    }
    let ports: Vec<String> = ports.into_iter().collect();
    let detail = format!(
        "{} {} {} {}",
        containers_phrase(&bad_containers),
        pluralize("uses", "use", bad_containers.len()),
        pluralize("hostPort", "hostPorts", ports.len()),
        ports.join(", ")
    );
    violation("hostPorts", "hostPort", detail, offenses)
}

/// `check_hostProbesAndhostLifecycle.go`, 1.34.
fn host_probes_and_lifecycle(pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut bad_containers: BTreeSet<String> = BTreeSet::new();
    let mut hosts: BTreeSet<String> = BTreeSet::new();
    let mut offenses = Vec::new();
    for c in pod.containers() {
        let handlers = [
            ("livenessProbe", c.node.get("livenessProbe")),
            ("readinessProbe", c.node.get("readinessProbe")),
            ("startupProbe", c.node.get("startupProbe")),
            ("lifecycle.postStart", c.node.path("lifecycle.postStart")),
            ("lifecycle.preStop", c.node.path("lifecycle.preStop")),
        ];
        for (field, handler) in handlers {
            for kind in ["httpGet", "tcpSocket"] {
                let Some(host) = handler
                    .and_then(|h| h.get(kind))
                    .and_then(|k| k.get("host"))
                else {
                    continue;
                };
                let text = host.scalar_string().unwrap_or_default();
                if text.is_empty() {
                    continue;
                }
                bad_containers.insert(c.name().to_string());
                offenses.push(offense(
                    host.pos,
                    c.field_path(&format!("{field}.{kind}.host")),
                    format!("{} {field} targets host `{text}`", describe(&c)),
                ));
                hosts.insert(text);
            }
        }
    }
    if bad_containers.is_empty() {
        return None;
    }
    let names: Vec<String> = bad_containers.into_iter().collect();
    let hosts: Vec<String> = hosts.into_iter().collect();
    let detail = format!(
        "{} {} {} {} {}",
        pluralize("container", "containers", names.len()),
        join_quote(&names),
        pluralize("uses", "use", names.len()),
        pluralize(
            "probe or lifecycle host",
            "probe or lifecycle hosts",
            hosts.len()
        ),
        join_quote(&hosts)
    );
    violation(
        "hostProbesAndHostLifecycle",
        "probe or lifecycle host",
        detail,
        offenses,
    )
}

/// `check_privileged.go`, 1.0.
fn privileged(pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut offenses = Vec::new();
    for c in pod.containers() {
        if let Some(n) = c_field(&c, "privileged").filter(|n| n.as_bool() == Some(true)) {
            bad.push(c.name());
            offenses.push(offense(
                n.pos,
                c.field_path("securityContext.privileged"),
                format!("{} runs privileged", describe(&c)),
            ));
        }
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} must not set securityContext.privileged=true",
        containers_phrase(&bad)
    );
    violation("privileged", "privileged", detail, offenses)
}

fn proc_mount_check(id: &'static str, pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut types: BTreeSet<String> = BTreeSet::new();
    let mut offenses = Vec::new();
    for c in pod.containers() {
        let Some(n) = c_field(&c, "procMount").filter(|n| !n.is_null()) else {
            continue;
        };
        let value = n.scalar_string().unwrap_or_default();
        if value != "Default" {
            bad.push(c.name());
            offenses.push(offense(
                n.pos,
                c.field_path("securityContext.procMount"),
                format!("{} sets procMount `{value}`", describe(&c)),
            ));
            types.insert(value);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let types: Vec<String> = types.into_iter().collect();
    let detail = format!(
        "{} must not set securityContext.procMount to {}",
        containers_phrase(&bad),
        join_quote(&types)
    );
    violation(id, "procMount", detail, offenses)
}

/// `check_procMount_baseline.go`, 1.0.
fn proc_mount(pod: &PodTemplate<'_>) -> Option<Violation> {
    proc_mount_check("procMount", pod)
}

/// `check_procMount_baseline.go`, 1.35: relaxed for pods in a user namespace.
fn proc_mount_1_35_baseline(pod: &PodTemplate<'_>) -> Option<Violation> {
    if in_user_namespace(pod) {
        None
    } else {
        proc_mount(pod)
    }
}

/// `check_procMount_restricted.go`, 1.35: the unconditional check.
fn proc_mount_restricted(pod: &PodTemplate<'_>) -> Option<Violation> {
    proc_mount_check("procMount_restricted", pod)
}

const SELINUX_TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const SELINUX_TYPES_1_31: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// `check_seLinuxOptions.go`, 1.0.
fn se_linux_options_1_0(pod: &PodTemplate<'_>) -> Option<Violation> {
    se_linux_options(pod, SELINUX_TYPES_1_0)
}

/// `check_seLinuxOptions.go`, 1.31: `container_engine_t` allowed.
fn se_linux_options_1_31(pod: &PodTemplate<'_>) -> Option<Violation> {
    se_linux_options(pod, SELINUX_TYPES_1_31)
}

fn se_linux_options(pod: &PodTemplate<'_>, allowed: &[&str]) -> Option<Violation> {
    let mut bad_types: BTreeSet<String> = BTreeSet::new();
    let (mut set_user, mut set_role) = (false, false);
    let mut offenses = Vec::new();
    let mut inspect = |opts: &Node, path: String, who: String| -> bool {
        let mut valid = true;
        let field = |k: &str| {
            opts.get(k)
                .and_then(Node::scalar_string)
                .unwrap_or_default()
        };
        let t = field("type");
        if !allowed.contains(&t.as_str()) {
            valid = false;
            offenses.push(offense(
                opts.get("type").map_or(opts.pos, |n| n.pos),
                format!("{path}.type"),
                format!("{who} sets SELinux type `{t}`"),
            ));
            bad_types.insert(t);
        }
        for (key, flag) in [("user", &mut set_user), ("role", &mut set_role)] {
            if !field(key).is_empty() {
                valid = false;
                *flag = true;
                let pos = opts.get(key).map_or(opts.pos, |n| n.pos);
                offenses.push(offense(
                    pos,
                    format!("{path}.{key}"),
                    format!("{who} sets SELinux {key}"),
                ));
            }
        }
        valid
    };
    let mut setters = Vec::new();
    let pod_options = pod
        .security_context()
        .and_then(|sc| sc.get("seLinuxOptions"));
    if let Some(opts) = pod_options.filter(|o| o.as_map().is_some())
        && !inspect(
            opts,
            pod.spec_field_path("securityContext.seLinuxOptions"),
            "pod".into(),
        )
    {
        setters.push("pod".to_string());
    }
    let mut bad_containers = Vec::new();
    for c in pod.containers() {
        let Some(opts) = c_field(&c, "seLinuxOptions").filter(|o| o.as_map().is_some()) else {
            continue;
        };
        if !inspect(
            opts,
            c.field_path("securityContext.seLinuxOptions"),
            describe(&c),
        ) {
            bad_containers.push(c.name());
        }
    }
    if !bad_containers.is_empty() {
        setters.push(containers_phrase(&bad_containers));
    }
    if setters.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    if !bad_types.is_empty() {
        let types: Vec<String> = bad_types.into_iter().collect();
        data.push(format!(
            "{} {}",
            pluralize("type", "types", types.len()),
            join_quote(&types)
        ));
    }
    if set_user {
        data.push("user may not be set".to_string());
    }
    if set_role {
        data.push("role may not be set".to_string());
    }
    let detail = format!(
        "{} set forbidden securityContext.seLinuxOptions: {}",
        setters.join(" and "),
        data.join("; ")
    );
    violation("seLinuxOptions", "seLinuxOptions", detail, offenses)
}

fn valid_seccomp_type(t: &str) -> bool {
    t == "Localhost" || t == "RuntimeDefault"
}

/// `check_seccompProfile_baseline.go`, 1.0: the alpha annotations (fields ignored).
fn seccomp_baseline_annotations(pod: &PodTemplate<'_>) -> Option<Violation> {
    let valid =
        |v: &str| v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/");
    let annotations = pod.metadata.and_then(|m| m.get("annotations"));
    let mut forbidden: BTreeSet<String> = BTreeSet::new();
    let mut offenses = Vec::new();
    let mut check_key = |key: String| {
        let Some(n) = annotations.and_then(|a| a.get(&key)) else {
            return;
        };
        let value = n.scalar_string().unwrap_or_default();
        if !valid(&value) {
            offenses.push(offense(
                n.pos,
                format!("{}.annotations.{key}", pod.metadata_path),
                format!("annotation `{key}` sets seccomp profile `{value}`"),
            ));
            forbidden.insert(format!("{key}={}", go_quote(&value)));
        }
    };
    check_key("seccomp.security.alpha.kubernetes.io/pod".to_string());
    for c in pod.containers() {
        check_key(format!(
            "container.seccomp.security.alpha.kubernetes.io/{}",
            c.name()
        ));
    }
    if forbidden.is_empty() {
        return None;
    }
    let list: Vec<String> = forbidden.into_iter().collect();
    let detail = format!(
        "forbidden {} {}",
        pluralize("annotation", "annotations", list.len()),
        list.join(", ")
    );
    violation(
        "seccompProfile_baseline",
        "seccompProfile",
        detail,
        offenses,
    )
}

/// Explicitly forbidden seccomp profile types: pod and containers.
fn seccomp_explicit(pod: &PodTemplate<'_>) -> (Vec<String>, BTreeSet<String>, Vec<Offense>, bool) {
    let mut setters = Vec::new();
    let mut values: BTreeSet<String> = BTreeSet::new();
    let mut offenses = Vec::new();
    let profile_type = |node| profile(node, "seccompProfile").map(|p| p.get("type"));
    let mut pod_set = false;
    if let Some(t) = pod.security_context().and_then(profile_type) {
        let text = t.and_then(Node::scalar_string).unwrap_or_default();
        if valid_seccomp_type(&text) {
            pod_set = true;
        } else {
            setters.push("pod".to_string());
            offenses.push(offense(
                t.map_or(pod.pos(), |n| n.pos),
                pod.spec_field_path("securityContext.seccompProfile.type"),
                format!("pod sets seccomp profile type `{text}`"),
            ));
            values.insert(text);
        }
    }
    let mut bad = Vec::new();
    for c in pod.containers() {
        let Some(t) = security_context(c.node).and_then(profile_type) else {
            continue;
        };
        let text = t.and_then(Node::scalar_string).unwrap_or_default();
        if !valid_seccomp_type(&text) {
            bad.push(c.name());
            offenses.push(offense(
                t.map_or(c.node.pos, |n| n.pos),
                c.field_path("securityContext.seccompProfile.type"),
                format!("{} sets seccomp profile type `{text}`", describe(&c)),
            ));
            values.insert(text);
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    (setters, values, offenses, pod_set)
}

/// `check_seccompProfile_baseline.go`, 1.19: the fields (annotations ignored).
fn seccomp_baseline_fields(pod: &PodTemplate<'_>) -> Option<Violation> {
    let (setters, values, offenses, _) = seccomp_explicit(pod);
    if setters.is_empty() {
        return None;
    }
    let values: Vec<String> = values.into_iter().collect();
    let detail = format!(
        "{} must not set securityContext.seccompProfile.type to {}",
        setters.join(" and "),
        join_quote(&values)
    );
    violation(
        "seccompProfile_baseline",
        "seccompProfile",
        detail,
        offenses,
    )
}

const SYSCTLS_1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];

/// `check_sysctls.go`: pod-level sysctl names against the allowed set of a version.
fn sysctls(pod: &PodTemplate<'_>, allowed: &[&[&str]]) -> Option<Violation> {
    let mut names = Vec::new();
    let mut offenses = Vec::new();
    let list = pod
        .security_context()
        .and_then(|sc| sc.get("sysctls"))
        .and_then(Node::as_seq)
        .unwrap_or_default();
    for (i, s) in list.iter().enumerate() {
        let name = s
            .get("name")
            .and_then(Node::scalar_string)
            .unwrap_or_default();
        if !allowed.iter().any(|set| set.contains(&name.as_str())) {
            offenses.push(offense(
                s.get("name").map_or(s.pos, |n| n.pos),
                pod.spec_field_path(&format!("securityContext.sysctls[{i}].name")),
                format!("pod sets unsafe sysctl `{name}`"),
            ));
            names.push(name);
        }
    }
    if names.is_empty() {
        return None;
    }
    violation("sysctls", "forbidden sysctls", names.join(", "), offenses)
}

fn sysctls_1_0(pod: &PodTemplate<'_>) -> Option<Violation> {
    sysctls(pod, &[SYSCTLS_1_0])
}

fn sysctls_1_27(pod: &PodTemplate<'_>) -> Option<Violation> {
    sysctls(pod, &[SYSCTLS_1_0, SYSCTLS_1_27])
}

fn sysctls_1_29(pod: &PodTemplate<'_>) -> Option<Violation> {
    sysctls(pod, &[SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29])
}

fn sysctls_1_32(pod: &PodTemplate<'_>) -> Option<Violation> {
    sysctls(
        pod,
        &[SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29, SYSCTLS_1_32],
    )
}

/// `check_windowsHostProcess.go`, 1.0.
fn windows_host_process(pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut setters = Vec::new();
    let mut offenses = Vec::new();
    let host_process = |sc: &Node| {
        sc.path("windowsOptions.hostProcess")
            .filter(|n| n.as_bool() == Some(true))
            .map(|n| n.pos)
    };
    if let Some(pos) = pod.security_context().and_then(host_process) {
        setters.push("pod".to_string());
        offenses.push(offense(
            pos,
            pod.spec_field_path("securityContext.windowsOptions.hostProcess"),
            "pod runs as a Windows HostProcess".into(),
        ));
    }
    let mut bad = Vec::new();
    for c in pod.containers() {
        if let Some(pos) = security_context(c.node).and_then(host_process) {
            bad.push(c.name());
            offenses.push(offense(
                pos,
                c.field_path("securityContext.windowsOptions.hostProcess"),
                format!("{} runs as a Windows HostProcess", describe(&c)),
            ));
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let detail = format!(
        "{} must not set securityContext.windowsOptions.hostProcess=true",
        setters.join(" and ")
    );
    violation("windowsHostProcess", "hostProcess", detail, offenses)
}

// ---- restricted ------------------------------------------------------------------

/// Where to point when a required container field is missing: the security context
/// if there is one, else the container.
fn missing_at(c: &Container<'_>) -> Pos {
    c.node
        .entry("securityContext")
        .map_or(c.node.pos, |e| e.key_pos)
}

/// `check_allowPrivilegeEscalation.go`, 1.8.
fn allow_privilege_escalation(pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut offenses = Vec::new();
    for c in pod.containers() {
        let field = c_field(&c, "allowPrivilegeEscalation").filter(|n| !n.is_null());
        if field.and_then(Node::as_bool) == Some(false) {
            continue;
        }
        bad.push(c.name());
        let (pos, message) = match field {
            Some(n) => (
                n.pos,
                format!("{} allows privilege escalation", describe(&c)),
            ),
            None => (
                missing_at(&c),
                format!(
                    "{} does not set `allowPrivilegeEscalation: false`",
                    describe(&c)
                ),
            ),
        };
        offenses.push(offense(
            pos,
            c.field_path("securityContext.allowPrivilegeEscalation"),
            message,
        ));
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} must set securityContext.allowPrivilegeEscalation=false",
        containers_phrase(&bad)
    );
    violation(
        "allowPrivilegeEscalation",
        "allowPrivilegeEscalation != false",
        detail,
        offenses,
    )
}

/// `check_allowPrivilegeEscalation.go`, 1.25: Windows pods exempt.
fn allow_privilege_escalation_1_25(pod: &PodTemplate<'_>) -> Option<Violation> {
    if is_windows(pod) {
        None
    } else {
        allow_privilege_escalation(pod)
    }
}

/// `check_capabilities_restricted.go`, 1.22.
fn capabilities_restricted(pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut missing_drop = Vec::new();
    let mut adding = Vec::new();
    let mut caps: BTreeSet<String> = BTreeSet::new();
    let mut offenses = Vec::new();
    for c in pod.containers() {
        let Some(capabilities) = c_field(&c, "capabilities").filter(|n| n.as_map().is_some())
        else {
            missing_drop.push(c.name());
            offenses.push(offense(
                missing_at(&c),
                c.field_path("securityContext.capabilities.drop"),
                format!("{} does not drop ALL capabilities", describe(&c)),
            ));
            continue;
        };
        let drops_all = capabilities
            .get("drop")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .any(|d| d.as_str() == Some("ALL"));
        if !drops_all {
            missing_drop.push(c.name());
            let pos = capabilities
                .entry("drop")
                .map_or(capabilities.pos, |e| e.key_pos);
            offenses.push(offense(
                pos,
                c.field_path("securityContext.capabilities.drop"),
                format!("{} does not drop ALL capabilities", describe(&c)),
            ));
        }
        let mut adds_forbidden = false;
        for (i, cap) in capabilities
            .get("add")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let name = cap.scalar_string().unwrap_or_default();
            if name != "NET_BIND_SERVICE" {
                adds_forbidden = true;
                offenses.push(offense(
                    cap.pos,
                    c.field_path(&format!("securityContext.capabilities.add[{i}]")),
                    format!("{} adds capability `{name}`", describe(&c)),
                ));
                caps.insert(name);
            }
        }
        if adds_forbidden {
            adding.push(c.name());
        }
    }
    let mut details = Vec::new();
    if !missing_drop.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop)
        ));
    }
    if !adding.is_empty() {
        let caps: Vec<String> = caps.into_iter().collect();
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding),
            join_quote(&caps)
        ));
    }
    if details.is_empty() {
        return None;
    }
    violation(
        "capabilities_restricted",
        "unrestricted capabilities",
        details.join("; "),
        offenses,
    )
}

/// `check_capabilities_restricted.go`, 1.25: Windows pods exempt.
fn capabilities_restricted_1_25(pod: &PodTemplate<'_>) -> Option<Violation> {
    if is_windows(pod) {
        None
    } else {
        capabilities_restricted(pod)
    }
}

const ALLOWED_VOLUME_SOURCES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
    "image",
];
const RESTRICTED_VOLUME_TYPES: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

/// `check_restrictedVolumes.go`, 1.0 (image volumes allowed, as upstream since 1.33).
/// A volume with no source is an `emptyDir` after API server defaulting, so it passes.
fn restricted_volumes(pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut names = Vec::new();
    let mut types: BTreeSet<String> = BTreeSet::new();
    let mut offenses = Vec::new();
    for (i, v) in pod.volumes() {
        let sources: Vec<&str> = v
            .as_map()
            .map(|m| {
                m.iter()
                    .filter(|e| &*e.key != "name" && !e.value.is_null())
                    .map(|e| &*e.key)
                    .collect()
            })
            .unwrap_or_default();
        if sources.is_empty() || sources.iter().any(|s| ALLOWED_VOLUME_SOURCES.contains(s)) {
            continue;
        }
        let kind = RESTRICTED_VOLUME_TYPES
            .iter()
            .find(|t| sources.contains(t))
            .copied()
            .unwrap_or("unknown");
        let name = v.get("name").and_then(Node::as_str).unwrap_or("");
        names.push(name);
        let pos = v.entry(kind).map_or(v.pos, |e| e.key_pos);
        offenses.push(offense(
            pos,
            pod.spec_field_path(&format!("volumes[{i}]")),
            format!("volume `{name}` uses restricted volume type `{kind}`"),
        ));
        types.insert(kind.to_string());
    }
    if names.is_empty() {
        return None;
    }
    let types: Vec<String> = types.into_iter().collect();
    let detail = format!(
        "{} {} {} {} {}",
        pluralize("volume", "volumes", names.len()),
        join_quote(&names),
        pluralize("uses", "use", names.len()),
        pluralize(
            "restricted volume type",
            "restricted volume types",
            types.len()
        ),
        join_quote(&types)
    );
    violation(
        "restrictedVolumes",
        "restricted volume types",
        detail,
        offenses,
    )
}

/// `check_runAsNonRoot.go`, 1.0.
fn run_as_non_root(pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut setters = Vec::new();
    let mut offenses = Vec::new();
    let pod_field = pod
        .security_context()
        .and_then(|sc| sc.get("runAsNonRoot"))
        .filter(|n| !n.is_null());
    let mut pod_non_root = false;
    match pod_field.and_then(Node::as_bool) {
        Some(false) => {
            setters.push("pod".to_string());
            if let Some(n) = pod_field {
                offenses.push(offense(
                    n.pos,
                    pod.spec_field_path("securityContext.runAsNonRoot"),
                    "pod sets `runAsNonRoot: false`".into(),
                ));
            }
        }
        Some(true) => pod_non_root = true,
        None => {}
    }
    let (mut explicit, mut implicit) = (Vec::new(), Vec::new());
    let mut implicit_offenses = Vec::new();
    for c in pod.containers() {
        match c_field(&c, "runAsNonRoot").filter(|n| !n.is_null()) {
            Some(n) if n.as_bool() == Some(false) => {
                explicit.push(c.name());
                offenses.push(offense(
                    n.pos,
                    c.field_path("securityContext.runAsNonRoot"),
                    format!("{} sets `runAsNonRoot: false`", describe(&c)),
                ));
            }
            None if !pod_non_root => {
                implicit.push(c.name());
                implicit_offenses.push(offense(
                    missing_at(&c),
                    c.field_path("securityContext.runAsNonRoot"),
                    format!(
                        "neither the pod nor {} sets `runAsNonRoot: true`",
                        describe(&c)
                    ),
                ));
            }
            Some(_) | None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    if !setters.is_empty() {
        let detail = format!(
            "{} must not set securityContext.runAsNonRoot=false",
            setters.join(" and ")
        );
        return violation("runAsNonRoot", "runAsNonRoot != true", detail, offenses);
    }
    if !implicit.is_empty() {
        let detail = format!(
            "pod or {} must set securityContext.runAsNonRoot=true",
            containers_phrase(&implicit)
        );
        return violation(
            "runAsNonRoot",
            "runAsNonRoot != true",
            detail,
            implicit_offenses,
        );
    }
    None
}

/// `check_runAsNonRoot.go`, 1.35: relaxed for pods in a user namespace.
fn run_as_non_root_1_35(pod: &PodTemplate<'_>) -> Option<Violation> {
    if in_user_namespace(pod) {
        None
    } else {
        run_as_non_root(pod)
    }
}

/// `check_runAsUser.go`, 1.23.
fn run_as_user(pod: &PodTemplate<'_>) -> Option<Violation> {
    let mut setters = Vec::new();
    let mut offenses = Vec::new();
    if let Some(n) = zero(pod.security_context().and_then(|sc| sc.get("runAsUser"))) {
        setters.push("pod".to_string());
        offenses.push(offense(
            n.pos,
            pod.spec_field_path("securityContext.runAsUser"),
            "pod runs as UID 0 (`runAsUser: 0`)".into(),
        ));
    }
    let mut bad = Vec::new();
    for c in pod.containers() {
        if let Some(n) = zero(c_field(&c, "runAsUser")) {
            bad.push(c.name());
            offenses.push(offense(
                n.pos,
                c.field_path("securityContext.runAsUser"),
                format!("{} runs as UID 0 (`runAsUser: 0`)", describe(&c)),
            ));
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let detail = format!("{} must not set runAsUser=0", setters.join(" and "));
    violation("runAsUser", "runAsUser=0", detail, offenses)
}

/// `check_runAsUser.go`, 1.35: relaxed for pods in a user namespace.
fn run_as_user_1_35(pod: &PodTemplate<'_>) -> Option<Violation> {
    if in_user_namespace(pod) {
        None
    } else {
        run_as_user(pod)
    }
}

/// `check_seccompProfile_restricted.go`, 1.19.
fn seccomp_restricted(pod: &PodTemplate<'_>) -> Option<Violation> {
    let (setters, values, offenses, pod_set) = seccomp_explicit(pod);
    if !setters.is_empty() {
        let values: Vec<String> = values.into_iter().collect();
        let detail = format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters.join(" and "),
            join_quote(&values)
        );
        return violation(
            "seccompProfile_restricted",
            "seccompProfile",
            detail,
            offenses,
        );
    }
    if pod_set {
        return None;
    }
    let mut unset = Vec::new();
    let mut offenses = Vec::new();
    for c in pod.containers() {
        let set = security_context(c.node)
            .and_then(|sc| sc.get("seccompProfile"))
            .is_some_and(|p| p.as_map().is_some());
        if !set {
            unset.push(c.name());
            offenses.push(offense(
                missing_at(&c),
                c.field_path("securityContext.seccompProfile.type"),
                format!(
                    "neither the pod nor {} sets a seccomp profile",
                    describe(&c)
                ),
            ));
        }
    }
    if unset.is_empty() {
        return None;
    }
    let detail = format!(
        "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
        containers_phrase(&unset)
    );
    violation(
        "seccompProfile_restricted",
        "seccompProfile",
        detail,
        offenses,
    )
}

/// `check_seccompProfile_restricted.go`, 1.25: Windows pods exempt.
fn seccomp_restricted_1_25(pod: &PodTemplate<'_>) -> Option<Violation> {
    if is_windows(pod) {
        None
    } else {
        seccomp_restricted(pod)
    }
}
