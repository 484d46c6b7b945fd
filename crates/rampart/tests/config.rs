//! `rampart.yaml`, suppressions with reasons and expiry, baselines, completions and the
//! kubectl plugin name, end to end.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::validate;

/// Runs rampart in `dir` with a fixed "today".
fn run_in(dir: &Path, today: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("RAMPART_TODAY", today)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn json_in(dir: &Path, today: &str, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = run_in(dir, today, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    validate(&value);
    (out.status.code().unwrap(), value, stderr)
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["object"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn privileged_pod(name: &str, namespace: &str, annotations: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {namespace}
  annotations: {{{annotations}}}
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: true
"
    )
}

const TODAY: &str = "2026-06-01";

#[test]
fn the_config_is_found_upwards_and_the_command_line_can_replace_or_skip_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "rampart.yaml",
        "version: 1\nrules: {select: [POD001, POD002]}\n",
    );
    write(dir, "k8s/apps/pod.yaml", &privileged_pod("p", "shop", ""));
    let scan = ["scan", "k8s/apps", "-o", "json", "--fail-on", "none"];
    let (code, report, _) = json_in(dir, TODAY, &scan);
    assert_eq!(code, 0);
    assert_eq!(codes(&report), ["POD001 p"]);

    // A nearer `.rampart.yaml` wins over the one further up.
    write(
        dir,
        "k8s/.rampart.yaml",
        "version: 1\nrules: {select: [POD002]}\n",
    );
    let (_, report, _) = json_in(dir, TODAY, &scan);
    assert_eq!(codes(&report), Vec::<String>::new());

    // --config replaces discovery; --no-config turns it off.
    let (_, report, _) = json_in(
        dir,
        TODAY,
        &[&scan[..], &["--config", "rampart.yaml"]].concat(),
    );
    assert_eq!(codes(&report), ["POD001 p"]);
    let (_, report, _) = json_in(
        dir,
        TODAY,
        &[&scan[..], &["--no-config", "--select", "POD"]].concat(),
    );
    assert!(codes(&report).len() > 1, "{:?}", codes(&report));

    // --select replaces the config's select; --ignore adds to its ignore.
    std::fs::remove_file(dir.join("k8s/.rampart.yaml")).unwrap();
    write(
        dir,
        "rampart.yaml",
        "version: 1\nrules: {select: [POD001], ignore: [POD001]}\n",
    );
    let (_, report, _) = json_in(dir, TODAY, &scan);
    assert_eq!(codes(&report), Vec::<String>::new());
    let (_, report, _) = json_in(
        dir,
        TODAY,
        &[&scan[..], &["--select", "POD001,POD002"]].concat(),
    );
    assert_eq!(
        codes(&report),
        Vec::<String>::new(),
        "the config's ignore still applies"
    );
    write(
        dir,
        "rampart.yaml",
        "version: 1\nrules: {select: [POD001]}\n",
    );
    let (_, report, _) = json_in(dir, TODAY, &[&scan[..], &["--ignore", "POD001"]].concat());
    assert_eq!(codes(&report), Vec::<String>::new());
}

#[test]
fn config_errors_exit_2_with_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "pod.yaml", &privileged_pod("p", "shop", ""));
    let cases = [
        (
            "version: 1\nrule: {select: [POD001]}\n",
            "rampart.yaml:2:1: unknown key `rule` in the config; did you mean `rules`?",
        ),
        (
            "version: 1\nseverity: {POD001: urgent}\n",
            "rampart.yaml:2:20: `severity.POD001` is `urgent`, expected critical, high, medium, low or info",
        ),
        (
            "version: 1\nrbac: {builtinRoles: \"no\"}\n",
            "rampart.yaml:2:22: `rbac.builtinRoles` is a string, expected true or false",
        ),
        (
            "version: 1\nexceptions:\n  - rules: [POD001]\n    name: p\n",
            "rampart.yaml:3:5: `exceptions[0]` needs a `reason`",
        ),
        (
            "version: 1\nrules: {select: [POD001\n",
            "rampart.yaml:3:1: invalid YAML",
        ),
        (
            "version: 1\n---\nversion: 1\n",
            "a config file holds one YAML document",
        ),
        ("rules: {}\n", "rampart.yaml:1:1: `version` is missing"),
    ];
    for (config, expected) in cases {
        write(dir, "rampart.yaml", config);
        let out = run_in(dir, TODAY, &["scan", "pod.yaml", "-o", "json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{config}: {stderr}");
        assert!(stderr.contains("invalid config rampart.yaml"), "{stderr}");
        assert!(
            stderr.contains(expected),
            "{config}\nwant: {expected}\ngot: {stderr}"
        );
        assert!(out.stdout.is_empty(), "no report on a config error");
    }
    // The passing case next to them.
    write(
        dir,
        "rampart.yaml",
        "version: 1\nrules: {select: [POD001]}\n",
    );
    let out = run_in(dir, TODAY, &["scan", "pod.yaml", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    // A --config that does not exist is an error too.
    let out = run_in(dir, TODAY, &["scan", "pod.yaml", "--config", "nope.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("reading config nope.yaml"));
}

#[test]
fn severity_overrides_apply_before_fail_on() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "pod.yaml", &privileged_pod("p", "shop", ""));
    let scan = [
        "scan",
        "pod.yaml",
        "-o",
        "json",
        "--select",
        "POD001",
        "--fail-on",
        "high",
    ];
    let (code, report, _) = json_in(dir, TODAY, &scan);
    assert_eq!(
        (code, report["findings"][0]["severity"].as_str()),
        (1, Some("high"))
    );
    write(
        dir,
        "rampart.yaml",
        "version: 1\nseverity: {privileged-container: low}\n",
    );
    let (code, report, _) = json_in(dir, TODAY, &scan);
    assert_eq!(
        (code, report["findings"][0]["severity"].as_str()),
        (0, Some("low"))
    );
    assert_eq!(report["summary"]["bySeverity"]["low"], 1);
}

#[test]
fn excluded_paths_and_namespaces_are_counted_as_suppressed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "vendor/chart/pod.yaml",
        &privileged_pod("vendored", "shop", ""),
    );
    write(
        dir,
        "apps/system.yaml",
        &privileged_pod("sys", "kube-system", ""),
    );
    write(dir, "apps/shop.yaml", &privileged_pod("mine", "shop", ""));
    write(
        dir,
        "rampart.yaml",
        "version: 1\nexclude: {paths: [vendor], namespaces: [\"kube-*\"]}\n",
    );
    let (_, report, _) = json_in(
        dir,
        TODAY,
        &["scan", ".", "-o", "json", "--select", "POD001"],
    );
    assert_eq!(codes(&report), ["POD001 mine"]);
    assert_eq!(report["summary"]["suppressed"], 2);
    // Paths are relative to the config file, wherever Rampart runs from.
    let (_, report, _) = json_in(
        &dir.join("vendor"),
        TODAY,
        &["scan", "..", "-o", "json", "--select", "POD001"],
    );
    assert_eq!(codes(&report), ["POD001 mine"]);
}

#[test]
fn pss_and_rbac_defaults_come_from_the_config_and_the_command_line_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Runs as root: restricted objects, baseline allows.
    write(
        dir,
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: a, image: \"nginx:1.27\"}]\n",
    );
    let scan = [
        "scan",
        "pod.yaml",
        "-o",
        "json",
        "--select",
        "POD",
        "--fail-on",
        "none",
    ];
    let (_, restricted, _) = json_in(dir, TODAY, &scan);
    write(dir, "rampart.yaml", "version: 1\npss: {level: baseline}\n");
    let (_, baseline, _) = json_in(dir, TODAY, &scan);
    assert!(
        codes(&baseline).len() < codes(&restricted).len(),
        "{:?} vs {:?}",
        codes(&baseline),
        codes(&restricted)
    );
    let (_, cli, _) = json_in(
        dir,
        TODAY,
        &[&scan[..], &["--pss-level", "restricted"]].concat(),
    );
    assert_eq!(codes(&cli), codes(&restricted));
}

#[test]
fn suppression_annotations_hold_until_they_expire() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let annotation = r#"rampart.dev/suppress: '[{"rules": "POD001", "reason": "legacy agent, ticket OPS-12", "expires": "2026-03-31"}]'"#;
    write(dir, "pod.yaml", &privileged_pod("p", "shop", annotation));
    let scan = ["scan", "pod.yaml", "-o", "json", "--select", "POD001"];

    let (code, report, _) = json_in(dir, "2026-03-31", &scan);
    assert_eq!(code, 0, "suppressed through its last day");
    assert_eq!(codes(&report), Vec::<String>::new());
    assert_eq!(report["summary"]["suppressed"], 1);
    assert_eq!(
        report["suppressions"][0]["reason"],
        "legacy agent, ticket OPS-12"
    );
    assert_eq!(report["suppressions"][0]["suppressed"], 1);
    assert_eq!(report["suppressions"][0]["file"], "pod.yaml");
    assert_eq!(report["suppressions"][0]["line"], 6);

    let (code, report, _) = json_in(dir, "2026-04-01", &scan);
    assert_eq!(code, 1, "the finding is back and fails the run");
    assert_eq!(codes(&report), ["POD001 p"]);
    let f = &report["findings"][0];
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .ends_with("suppression expired on 2026-03-31 (reason: legacy agent, ticket OPS-12)"),
        "{f}"
    );
    assert_eq!(f["suppression"]["expired"], true);
    assert_eq!(f["suppression"]["expires"], "2026-03-31");
    let d = &report["diagnostics"][0];
    assert_eq!(d["level"], "warning");
    assert_eq!(
        (d["path"].as_str(), d["line"].as_i64()),
        (Some("pod.yaml"), Some(6))
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("expired on 2026-03-31"),
        "{d}"
    );

    // Text output says it too, on stdout (the finding) and stderr (the diagnostic).
    let out = run_in(
        dir,
        "2026-04-01",
        &["scan", "pod.yaml", "--select", "POD001"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("suppression expired on 2026-03-31"),
        "{stdout}"
    );
    assert!(stderr.contains("pod.yaml:6:"), "{stderr}");
}

#[test]
fn a_suppression_without_a_reason_is_an_input_error_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let annotation = r#"rampart.dev/suppress: '[{"rules": "POD001"}]'"#;
    write(dir, "pod.yaml", &privileged_pod("p", "shop", annotation));
    let (code, report, _) = json_in(
        dir,
        TODAY,
        &["scan", "pod.yaml", "-o", "json", "--select", "POD001"],
    );
    assert_eq!(code, 2);
    assert_eq!(codes(&report), ["POD001 p"], "it suppresses nothing");
    let d = &report["diagnostics"][0];
    assert_eq!(
        (d["level"].as_str(), d["line"].as_i64()),
        (Some("error"), Some(6))
    );
    assert!(
        d["message"].as_str().unwrap().contains("needs a `reason`"),
        "{d}"
    );
}

#[test]
fn config_exceptions_suppress_with_reasons_and_expire() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "pods.yaml",
        &format!(
            "{}---\n{}",
            privileged_pod("agent", "monitoring", ""),
            privileged_pod("web", "shop", "")
        ),
    );
    write(
        dir,
        "rampart.yaml",
        "version: 1
exceptions:
  - rules: [privileged-container]
    namespace: monitoring
    reason: node agent needs the host, ticket OPS-7
    expires: 2026-12-31
",
    );
    let scan = ["scan", "pods.yaml", "-o", "json", "--select", "POD001"];
    let (_, report, _) = json_in(dir, TODAY, &scan);
    assert_eq!(codes(&report), ["POD001 web"]);
    assert_eq!(report["suppressions"][0]["file"], "rampart.yaml");
    assert_eq!(report["suppressions"][0]["line"], 3);
    let (_, report, _) = json_in(dir, "2027-01-01", &scan);
    assert_eq!(codes(&report), ["POD001 agent", "POD001 web"]);
    assert_eq!(report["diagnostics"][0]["path"], "rampart.yaml");
    assert_eq!(report["diagnostics"][0]["line"], 3);
}

#[test]
fn baselines_survive_line_shifts_and_report_only_new_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pod = |name: &str| {
        privileged_pod(name, "shop", "").replace("spec:\n", "spec:\n  hostPID: false\n")
    };
    let pods = format!("{}---\n{}", pod("a"), pod("b"));
    write(dir, "pods.yaml", &pods);
    let out = run_in(
        dir,
        TODAY,
        &[
            "scan",
            "pods.yaml",
            "--write-baseline",
            "baseline.json",
            "-o",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(dir.join("baseline.json")).unwrap();
    let baseline: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(baseline["schemaVersion"], 1);
    let entries = baseline["findings"].as_array().unwrap();
    assert!(entries.len() >= 2);
    assert!(
        entries
            .iter()
            .all(|e| e["fingerprint"].as_str().unwrap().len() == 32)
    );
    assert!(
        entries.iter().any(|e| e["code"] == "POD001"
            && e["object"] == "Pod shop/a"
            && e["file"] == "pods.yaml")
    );
    // Stable bytes: writing again gives the same file.
    run_in(
        dir,
        TODAY,
        &[
            "scan",
            "pods.yaml",
            "--write-baseline",
            "again.json",
            "-o",
            "json",
        ],
    );
    assert_eq!(
        written,
        std::fs::read_to_string(dir.join("again.json")).unwrap()
    );

    // Blank lines and comments at the top move every line; nothing is new.
    let moved = format!("# moved\n\n# down\n\n{pods}");
    write(dir, "pods.yaml", &moved);
    let scan = [
        "scan",
        "pods.yaml",
        "-o",
        "json",
        "--baseline",
        "baseline.json",
        "--fail-on",
        "low",
    ];
    let (code, report, _) = json_in(dir, TODAY, &scan);
    assert_eq!(codes(&report), Vec::<String>::new());
    assert_eq!(
        report["summary"]["baselined"].as_u64(),
        Some(entries.len() as u64)
    );
    assert_eq!(code, 0);

    // A new problem is exactly what is reported.
    let changed = moved.replacen("hostPID: false", "hostPID: true", 1);
    write(dir, "pods.yaml", &changed);
    let (code, report, _) = json_in(dir, TODAY, &scan);
    // One problem, every rule that sees it (host-namespaces, namespace-boundary-crossing),
    // all on that field of that object.
    let found = codes(&report);
    assert!(found.contains(&"POD002 a".to_string()), "{found:?}");
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["object"]["name"], "a", "{f}");
        assert_eq!(f["location"]["fieldPath"], "spec.hostPID", "{f}");
    }
    assert_eq!(code, 1);

    // A broken baseline is an error with its place.
    write(
        dir,
        "bad.json",
        "{\"schemaVersion\": 1,\n \"findings\": [{\"code\": \"POD001\"}]}",
    );
    let out = run_in(dir, TODAY, &["scan", "pods.yaml", "--baseline", "bad.json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid baseline bad.json:2:"), "{stderr}");
}

#[test]
fn completions_cover_the_subcommands() {
    let out = run_in(Path::new("."), TODAY, &["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(
        script.contains("scan") && script.contains("reach"),
        "{script}"
    );
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = run_in(Path::new("."), TODAY, &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("scan"),
            "{shell}"
        );
    }
    let out = run_in(Path::new("."), TODAY, &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn installed_as_kubectl_rampart_it_is_a_kubectl_plugin() {
    let tmp = tempfile::tempdir().unwrap();
    let link = tmp.path().join("kubectl-rampart");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_rampart"), &link).unwrap();
    let out = Command::new(&link).arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let version = String::from_utf8(out.stdout).unwrap();
    assert!(version.starts_with("rampart "), "{version}");
    // Usage names the plugin the way it is typed.
    let out = Command::new(&link)
        .args(["scan", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Usage: kubectl rampart scan"), "{help}");
}
