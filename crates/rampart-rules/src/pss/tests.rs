//! Pod Security Standards against upstream's fixtures (re-created from
//! `pod-security-admission/test/fixtures_*.go`) and its message formats
//! (`policy/check_*_test.go`).

use rampart_model::{Inventory, PodTemplate};

use super::*;

fn lv(level: &str, version: &str) -> LevelVersion {
    LevelVersion {
        level: Level::parse(level).unwrap(),
        version: Version::parse(version).unwrap(),
    }
}

/// (check, reason, detail) for every violation of the pod in `yaml`.
fn eval(yaml: &str, level: &str, version: &str) -> Vec<(String, String, String)> {
    let loaded = rampart_source::load_str("pod.yaml", yaml);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let inventory = Inventory::new(loaded.files, loaded.objects, None);
    let pod = PodTemplate::of(&inventory.objects[0]).unwrap();
    evaluate(&pod, lv(level, version))
        .into_iter()
        .map(|v| (v.check.to_string(), v.reason, v.detail))
        .collect()
}

fn checks(yaml: &str, level: &str, version: &str) -> Vec<String> {
    eval(yaml, level, version)
        .into_iter()
        .map(|(c, _, _)| c)
        .collect()
}

/// upstream `fixtures.go`: the minimal valid pods.
const BASELINE: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: [{name: initcontainer1, image: registry.k8s.io/pause}]\n  containers: [{name: container1, image: registry.k8s.io/pause}]\n";

fn restricted_minimal() -> String {
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile: {type: RuntimeDefault}\n  initContainers:\n  - name: initcontainer1\n    image: registry.k8s.io/pause\n    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n  containers:\n  - name: container1\n    image: registry.k8s.io/pause\n    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n".to_string()
}

#[test]
fn minimal_pods_pass_at_every_version() {
    for minor in 0..=40 {
        let v = format!("v1.{minor}");
        assert!(eval(BASELINE, "baseline", &v).is_empty(), "baseline {v}");
        assert!(
            eval(&restricted_minimal(), "restricted", &v).is_empty(),
            "restricted {v}"
        );
    }
    assert!(eval(&restricted_minimal(), "restricted", "latest").is_empty());
}

#[test]
fn bare_pod_against_restricted_lists_checks_in_upstream_order() {
    let got = eval(BASELINE, "restricted", "latest");
    assert_eq!(
        got,
        vec![
            ("allowPrivilegeEscalation".into(), "allowPrivilegeEscalation != false".into(),
             "containers \"initcontainer1\", \"container1\" must set securityContext.allowPrivilegeEscalation=false".into()),
            ("capabilities_restricted".into(), "unrestricted capabilities".into(),
             "containers \"initcontainer1\", \"container1\" must set securityContext.capabilities.drop=[\"ALL\"]".into()),
            ("runAsNonRoot".into(), "runAsNonRoot != true".into(),
             "pod or containers \"initcontainer1\", \"container1\" must set securityContext.runAsNonRoot=true".into()),
            ("seccompProfile_restricted".into(), "seccompProfile".into(),
             "pod or containers \"initcontainer1\", \"container1\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"".into()),
        ]
    );
}

#[test]
fn checks_appear_at_their_minimum_version() {
    // allowPrivilegeEscalation from 1.8, runAsUser from 1.23, seccomp fields from 1.19,
    // capabilities_restricted from 1.22 (capabilities_baseline before).
    let bare = BASELINE;
    assert_eq!(checks(bare, "restricted", "v1.7"), ["runAsNonRoot"]);
    assert_eq!(
        checks(bare, "restricted", "v1.8"),
        ["allowPrivilegeEscalation", "runAsNonRoot"]
    );
    assert_eq!(
        checks(bare, "restricted", "v1.19"),
        [
            "allowPrivilegeEscalation",
            "runAsNonRoot",
            "seccompProfile_restricted"
        ]
    );
    assert_eq!(
        checks(bare, "restricted", "v1.22"),
        [
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "runAsNonRoot",
            "seccompProfile_restricted"
        ]
    );
    let root = restricted_minimal().replace(
        "runAsNonRoot: true\n",
        "runAsNonRoot: true\n    runAsUser: 0\n",
    );
    assert!(eval(&root, "restricted", "v1.22").is_empty());
    assert_eq!(
        eval(&root, "restricted", "v1.23"),
        [(
            "runAsUser".into(),
            "runAsUser=0".into(),
            "pod must not set runAsUser=0".into()
        )]
    );
    let add = restricted_minimal().replacen("drop: [ALL]}", "drop: [ALL], add: [NET_RAW]}", 1);
    assert_eq!(
        checks(&add, "restricted", "v1.21"),
        ["capabilities_baseline"]
    );
    assert_eq!(
        eval(&add, "restricted", "v1.22"),
        [(
            "capabilities_restricted".into(),
            "unrestricted capabilities".into(),
            "container \"initcontainer1\" must not include \"NET_RAW\" in securityContext.capabilities.add".into()
        )]
    );
}

#[test]
fn seccomp_annotations_before_1_19_fields_after() {
    let annotated = BASELINE.replace(
        "metadata: {name: p}",
        "metadata:\n  name: p\n  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: unconfined\n    container.seccomp.security.alpha.kubernetes.io/container1: unconfined",
    );
    assert_eq!(
        eval(&annotated, "baseline", "v1.18"),
        [(
            "seccompProfile_baseline".into(),
            "seccompProfile".into(),
            "forbidden annotations container.seccomp.security.alpha.kubernetes.io/container1=\"unconfined\", seccomp.security.alpha.kubernetes.io/pod=\"unconfined\"".into()
        )]
    );
    assert!(
        eval(&annotated, "baseline", "v1.19").is_empty(),
        "annotations are ignored from 1.19"
    );
    let field = BASELINE.replace(
        "spec:\n",
        "spec:\n  securityContext: {seccompProfile: {type: Unconfined}}\n",
    );
    assert!(
        eval(&field, "baseline", "v1.18").is_empty(),
        "fields are ignored before 1.19"
    );
    assert_eq!(
        eval(&field, "baseline", "v1.19")[0].2,
        "pod must not set securityContext.seccompProfile.type to \"Unconfined\""
    );
}

#[test]
fn sysctls_grow_by_version() {
    let with = |name: &str| {
        BASELINE.replace(
            "spec:\n",
            &format!("spec:\n  securityContext:\n    sysctls: [{{name: {name}, value: \"1\"}}]\n"),
        )
    };
    for (name, since) in [
        ("net.ipv4.ip_local_reserved_ports", 27),
        ("net.ipv4.tcp_keepalive_time", 29),
        ("net.ipv4.tcp_rmem", 32),
    ] {
        let pod = with(name);
        assert_eq!(
            eval(&pod, "baseline", &format!("v1.{}", since - 1)),
            [(
                "sysctls".into(),
                "forbidden sysctls".into(),
                name.to_string()
            )]
        );
        assert!(
            eval(&pod, "baseline", &format!("v1.{since}")).is_empty(),
            "{name} allowed from 1.{since}"
        );
    }
    assert_eq!(
        checks(&with("kernel.msgmax"), "baseline", "latest"),
        ["sysctls"]
    );
}

#[test]
fn windows_pods_from_1_25() {
    let windows = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  os: {name: windows}\n  securityContext: {runAsNonRoot: true}\n  containers: [{name: c, image: x}]\n";
    assert_eq!(
        checks(windows, "restricted", "v1.24"),
        [
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "seccompProfile_restricted"
        ]
    );
    assert!(eval(windows, "restricted", "v1.25").is_empty());
    let no_nonroot = windows.replace("  securityContext: {runAsNonRoot: true}\n", "");
    assert_eq!(
        checks(&no_nonroot, "restricted", "v1.25"),
        ["runAsNonRoot"],
        "runAsNonRoot still applies"
    );
}

#[test]
fn user_namespaces_relax_from_1_35() {
    let unmasked = restricted_minimal()
        .replace("runAsNonRoot: true\n", "runAsUser: 0\n")
        .replace("spec:\n", "spec:\n  hostUsers: false\n")
        .replacen("drop: [ALL]}", "drop: [ALL]}, procMount: Unmasked", 1);
    assert_eq!(checks(&unmasked, "baseline", "v1.34"), ["procMount"]);
    assert!(
        eval(&unmasked, "baseline", "v1.35").is_empty(),
        "baseline procMount relaxed for hostUsers: false"
    );
    assert_eq!(
        checks(&unmasked, "restricted", "v1.34"),
        ["procMount", "runAsNonRoot", "runAsUser"]
    );
    assert_eq!(
        checks(&unmasked, "restricted", "v1.35"),
        ["procMount_restricted"]
    );
}

#[test]
fn restricted_overrides_baseline_checks() {
    let host_path = restricted_minimal().replace(
        "  containers:\n",
        "  volumes: [{name: v, hostPath: {path: /etc}}, {name: w}, {name: img, image: {reference: x}}]\n  containers:\n",
    );
    assert_eq!(
        checks(&host_path, "baseline", "latest"),
        ["hostPathVolumes"]
    );
    assert_eq!(
        eval(&host_path, "restricted", "latest"),
        [(
            "restrictedVolumes".into(),
            "restricted volume types".into(),
            "volume \"v\" uses restricted volume type \"hostPath\"".into()
        )],
        "hostPathVolumes is replaced; a source-less volume is an emptyDir; image volumes are allowed"
    );
}

#[test]
fn host_probes_from_1_34() {
    let probe = BASELINE.replace(
        "containers: [{name: container1, image: registry.k8s.io/pause}]",
        "containers: [{name: container1, image: registry.k8s.io/pause, livenessProbe: {httpGet: {host: bad.host, port: 80}}, lifecycle: {preStop: {tcpSocket: {host: \"127.0.0.1\", port: 1}}}}]",
    );
    assert!(eval(&probe, "baseline", "v1.33").is_empty());
    assert_eq!(
        eval(&probe, "baseline", "v1.34"),
        [(
            "hostProbesAndHostLifecycle".into(),
            "probe or lifecycle host".into(),
            "container \"container1\" uses probe or lifecycle hosts \"127.0.0.1\", \"bad.host\""
                .into()
        )]
    );
}

#[test]
fn baseline_messages_match_upstream() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/a: unconfined\nspec:\n  hostNetwork: true\n  hostIPC: true\n  securityContext:\n    seLinuxOptions: {type: foo, user: u}\n    windowsOptions: {hostProcess: true}\n  containers:\n  - name: a\n    image: x\n    ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 81, hostPort: 10000}]\n    securityContext:\n      privileged: true\n      capabilities: {add: [NET_RAW, CAP_CHOWN, CHOWN]}\n      seLinuxOptions: {type: bar, role: r}\n      procMount: Unmasked\n  - name: b\n    image: x\n    securityContext: {privileged: true, appArmorProfile: {type: Unconfined}}\n";
    let got = eval(pod, "baseline", "latest");
    let want: Vec<(String, String, String)> = [
        ("appArmorProfile", "forbidden AppArmor profiles", "container \"b\" and annotation must not set AppArmor profile type to \"Unconfined\", \"container.apparmor.security.beta.kubernetes.io/a=\"unconfined\"\""),
        ("capabilities_baseline", "non-default capabilities", "container \"a\" must not include \"CAP_CHOWN\", \"NET_RAW\" in securityContext.capabilities.add"),
        ("hostNamespaces", "host namespaces", "hostNetwork=true, hostIPC=true"),
        ("hostPorts", "hostPort", "container \"a\" uses hostPorts 10000, 8080"),
        ("privileged", "privileged", "containers \"a\", \"b\" must not set securityContext.privileged=true"),
        ("procMount", "procMount", "container \"a\" must not set securityContext.procMount to \"Unmasked\""),
        ("seLinuxOptions", "seLinuxOptions", "pod and container \"a\" set forbidden securityContext.seLinuxOptions: types \"bar\", \"foo\"; user may not be set; role may not be set"),
        ("windowsHostProcess", "hostProcess", "pod must not set securityContext.windowsOptions.hostProcess=true"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want);
    assert!(eval(pod, "privileged", "latest").is_empty());
}

#[test]
fn selinux_engine_type_from_1_31() {
    let pod = BASELINE.replace(
        "spec:\n",
        "spec:\n  securityContext: {seLinuxOptions: {type: container_engine_t}}\n",
    );
    assert_eq!(checks(&pod, "baseline", "v1.30"), ["seLinuxOptions"]);
    assert!(eval(&pod, "baseline", "v1.31").is_empty());
}

#[test]
fn versions_and_levels_parse_like_the_api_package() {
    assert_eq!(Version::parse("v1.0"), Some(Version::Minor(0)));
    assert_eq!(Version::parse("v1.31"), Some(Version::Minor(31)));
    assert_eq!(Version::parse("latest"), Some(Version::Latest));
    for bad in ["1.25", "v1.05", "v2.0", "v1.", "v1.x", ""] {
        assert_eq!(Version::parse(bad), None, "{bad}");
    }
    assert_eq!(Version::Minor(99).effective_minor(), LATEST_MINOR);
    assert_eq!(Level::parse("Restricted"), None);
}

#[test]
fn check_table_is_in_upstream_order() {
    let baseline: Vec<&str> = CHECKS
        .iter()
        .filter(|c| c.level == Level::Baseline)
        .map(|c| c.id)
        .collect();
    let restricted: Vec<&str> = CHECKS
        .iter()
        .filter(|c| c.level == Level::Restricted)
        .map(|c| c.id)
        .collect();
    let mut sorted_b = baseline.clone();
    sorted_b.sort_unstable();
    let mut sorted_r = restricted.clone();
    sorted_r.sort_unstable();
    assert_eq!(baseline, sorted_b);
    assert_eq!(restricted, sorted_r);
    let all: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
    assert_eq!(all, [baseline, restricted].concat());
}
