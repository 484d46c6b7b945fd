//! deploy/ checked by Rampart itself: the ServiceAccounts' rights, decided by Rampart's
//! RBAC engine over the manifests plus the API server's built-in roles and bindings, are
//! exactly what they need and no more: the scan's, list on the kinds it reads and write
//! on PolicyReports; the webhook's (deploy/webhook/), list and watch on the kinds of its
//! cluster context, no Secrets, no writes. And the manifests pass
//! `rampart scan --fail-on low`.

mod common;

use rampart_analysis::rbac::{Rbac, Request, UserInfo};
use rampart_cluster::resources::{RESOURCES, SECRETS};
use rampart_cluster::watch::context_resources;
use rampart_model::Inventory;

const SA: &str = "system:serviceaccount:rampart-system:rampart";
const WEBHOOK_SA: &str = "system:serviceaccount:rampart-system:rampart-webhook";

fn rbac() -> Rbac {
    let loaded = rampart_source::load(
        &[rampart_source::Input::Path(common::root().join("deploy"))],
        &rampart_source::LoadOptions::default(),
    );
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    Rbac::build(&Inventory::new(loaded.files, loaded.objects, None), true)
}

fn request(verb: &str, group: &str, resource: &str, sub: &str, namespace: &str) -> Request {
    Request {
        verb: verb.into(),
        api_group: group.into(),
        resource: resource.into(),
        subresource: sub.into(),
        namespace: namespace.into(),
        ..Request::default()
    }
}

/// Every resource an API server of the recorded kind serves, plus the sensitive ones
/// and `*`: (group, resource, subresource).
fn universe() -> Vec<(String, String, String)> {
    let dir = common::root().join("crates/rampart/tests/recorded");
    let mut all = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if doc["kind"] != "APIResourceList" {
            continue;
        }
        let gv = doc["groupVersion"].as_str().unwrap();
        let group = gv.rsplit_once('/').map_or("", |(g, _)| g);
        for r in doc["resources"].as_array().unwrap() {
            let name = r["name"].as_str().unwrap();
            let (res, sub) = name.split_once('/').unwrap_or((name, ""));
            all.push((group.to_string(), res.to_string(), sub.to_string()));
        }
    }
    for (g, r, s) in [
        ("", "secrets", ""),
        ("", "serviceaccounts", "token"),
        ("", "pods", "exec"),
        ("", "nodes", "proxy"),
        ("", "persistentvolumes", ""),
        (
            "certificates.k8s.io",
            "certificatesigningrequests",
            "approval",
        ),
        (
            "admissionregistration.k8s.io",
            "validatingwebhookconfigurations",
            "",
        ),
        (
            "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations",
            "",
        ),
        ("apiextensions.k8s.io", "customresourcedefinitions", ""),
        ("rbac.authorization.k8s.io", "clusterroles", ""),
        ("authentication.k8s.io", "tokenreviews", ""),
        ("wgpolicyk8s.io", "policyreports", ""),
        ("wgpolicyk8s.io", "clusterpolicyreports", ""),
        ("*", "*", ""),
    ] {
        all.push((g.into(), r.into(), s.into()));
    }
    all.sort();
    all.dedup();
    assert!(all.len() > 40);
    all
}

const NAMESPACES: [&str; 4] = ["", "rampart-system", "kube-system", "shop"];

#[test]
fn the_service_account_reads_what_a_scan_lists_and_no_secrets() {
    let rbac = rbac();
    let sa = UserInfo::authenticated(SA, &[]);
    for ns in NAMESPACES {
        for verb in ["get", "list", "watch"] {
            let r = request(verb, "", "secrets", "", ns);
            assert!(
                rbac.authorize(&sa, &r).is_empty(),
                "{verb} secrets in `{ns}` is allowed"
            );
        }
        // Everything the scan lists, in every namespace and cluster-wide.
        for res in RESOURCES {
            let r = request("list", res.group, res.resource, "", ns);
            assert!(
                !rbac.authorize(&sa, &r).is_empty(),
                "cannot list {}",
                res.qualified()
            );
        }
        let r = request("list", SECRETS.group, SECRETS.resource, "", ns);
        assert!(rbac.authorize(&sa, &r).is_empty());
    }
    // Nothing else is read: `get` and `watch` on the scanned kinds add nothing a
    // scan uses, and no other kind is listed.
    let nobody = UserInfo::authenticated("system:serviceaccount:other:nobody", &[]);
    for (group, resource, sub) in universe() {
        for ns in NAMESPACES {
            for verb in ["get", "list", "watch"] {
                let r = request(verb, &group, &resource, &sub, ns);
                let extra =
                    !rbac.authorize(&sa, &r).is_empty() && rbac.authorize(&nobody, &r).is_empty();
                let scanned = verb == "list"
                    && sub.is_empty()
                    && RESOURCES
                        .iter()
                        .any(|x| x.group == group && x.resource == resource);
                let report = group == "wgpolicyk8s.io" && verb == "get";
                assert!(
                    !extra || scanned || report,
                    "{verb} {resource}/{sub}.{group} in `{ns}` is allowed"
                );
            }
        }
    }
}

#[test]
fn the_service_account_writes_policy_reports_only() {
    let rbac = rbac();
    let sa = UserInfo::authenticated(SA, &[]);
    // What every authenticated ServiceAccount may do anyway (self-reviews).
    let nobody = UserInfo::authenticated("system:serviceaccount:other:nobody", &[]);
    let mut allowed = Vec::new();
    for (group, resource, sub) in universe() {
        for ns in NAMESPACES {
            for &verb in WRITE_VERBS {
                let r = request(verb, &group, &resource, &sub, ns);
                if !rbac.authorize(&sa, &r).is_empty() && rbac.authorize(&nobody, &r).is_empty() {
                    allowed.push(format!("{verb} {resource}.{group}"));
                }
            }
        }
    }
    allowed.sort();
    allowed.dedup();
    assert_eq!(
        allowed,
        [
            "create clusterpolicyreports.wgpolicyk8s.io",
            "create policyreports.wgpolicyk8s.io",
            "patch clusterpolicyreports.wgpolicyk8s.io",
            "patch policyreports.wgpolicyk8s.io",
        ]
    );
    // The CLI says the same.
    let deploy = common::root().join("deploy");
    let deploy = deploy.to_str().unwrap();
    for (args, answer) in [
        (vec!["can-i", "list", "secrets", "-n", "shop"], "no"),
        (vec!["can-i", "watch", "secrets"], "no"),
        (vec!["can-i", "create", "pods", "-n", "shop"], "no"),
        (
            vec![
                "can-i",
                "delete",
                "policyreports.wgpolicyk8s.io",
                "-n",
                "shop",
            ],
            "no",
        ),
        (
            vec![
                "can-i",
                "patch",
                "policyreports.wgpolicyk8s.io",
                "-n",
                "shop",
            ],
            "yes",
        ),
        (vec!["can-i", "list", "pods"], "yes"),
    ] {
        let mut all = args.clone();
        all.extend(["--as", SA, "-f", deploy]);
        let out = common::rampart(&all);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout.lines().next(),
            Some(answer),
            "rampart {}",
            args.join(" ")
        );
    }
}

#[test]
fn deploy_passes_its_own_scan() {
    let (code, report) = common::json(&["scan", "deploy", "--fail-on", "low", "-o", "json"]);
    let findings: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| {
            format!(
                "{} {} {}: {}",
                f["code"], f["severity"], f["object"]["name"], f["message"]
            )
        })
        .collect();
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(code, 0);
}

/// What `sa` may do beyond what every authenticated ServiceAccount may, over every
/// resource and namespace: `verb resource.group` (`/sub` for subresources).
fn extra_rights(rbac: &Rbac, sa: &str, verbs: &[&str]) -> Vec<String> {
    let sa = UserInfo::authenticated(sa, &[]);
    let nobody = UserInfo::authenticated("system:serviceaccount:other:nobody", &[]);
    let mut allowed = Vec::new();
    for (group, resource, sub) in universe() {
        for ns in NAMESPACES {
            for verb in verbs {
                let r = request(verb, &group, &resource, &sub, ns);
                if !rbac.authorize(&sa, &r).is_empty() && rbac.authorize(&nobody, &r).is_empty() {
                    let sub = if sub.is_empty() {
                        String::new()
                    } else {
                        format!("/{sub}")
                    };
                    allowed.push(format!("{verb} {resource}{sub}.{group}"));
                }
            }
        }
    }
    allowed.sort();
    allowed.dedup();
    allowed
}

const WRITE_VERBS: &[&str] = &[
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "escalate",
    "bind",
    "impersonate",
    "approve",
    "*",
];

#[test]
fn the_webhook_lists_and_watches_its_context_and_nothing_else() {
    let rbac = rbac();
    let sa = UserInfo::authenticated(WEBHOOK_SA, &[]);
    let context = context_resources();
    // Every kind it watches, in every namespace and cluster-wide.
    for ns in NAMESPACES {
        for res in &context {
            for verb in ["list", "watch"] {
                let r = request(verb, res.group, res.resource, "", ns);
                assert!(
                    !rbac.authorize(&sa, &r).is_empty(),
                    "cannot {verb} {} in `{ns}`",
                    res.qualified()
                );
            }
        }
    }
    // No Secrets, no ConfigMaps, no `get`, no other kind.
    let mut expected: Vec<String> = context
        .iter()
        .flat_map(|r| ["list", "watch"].map(|verb| format!("{verb} {}.{}", r.resource, r.group)))
        .collect();
    expected.sort();
    assert_eq!(
        extra_rights(&rbac, WEBHOOK_SA, &["get", "list", "watch"]),
        expected
    );
    for ns in NAMESPACES {
        for verb in ["get", "list", "watch"] {
            for resource in ["secrets", "configmaps"] {
                let r = request(verb, "", resource, "", ns);
                assert!(
                    rbac.authorize(&sa, &r).is_empty(),
                    "{verb} {resource} in `{ns}` is allowed"
                );
            }
        }
    }
}

#[test]
fn the_webhook_writes_nothing() {
    let rbac = rbac();
    assert_eq!(
        extra_rights(&rbac, WEBHOOK_SA, WRITE_VERBS),
        Vec::<String>::new()
    );
    // The CLI says the same.
    let deploy = common::root().join("deploy");
    let deploy = deploy.to_str().unwrap();
    for (args, answer) in [
        (vec!["can-i", "get", "secrets", "-n", "shop"], "no"),
        (vec!["can-i", "watch", "secrets"], "no"),
        (vec!["can-i", "list", "configmaps"], "no"),
        (vec!["can-i", "create", "pods", "-n", "shop"], "no"),
        (
            vec!["can-i", "patch", "clusterroles.rbac.authorization.k8s.io"],
            "no",
        ),
        (
            vec![
                "can-i",
                "create",
                "policyreports.wgpolicyk8s.io",
                "-n",
                "shop",
            ],
            "no",
        ),
        (
            vec![
                "can-i",
                "watch",
                "clusterrolebindings.rbac.authorization.k8s.io",
            ],
            "yes",
        ),
        (vec!["can-i", "list", "pods", "-n", "shop"], "yes"),
    ] {
        let mut all = args.clone();
        all.extend(["--as", WEBHOOK_SA, "-f", deploy]);
        let out = common::rampart(&all);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout.lines().next(),
            Some(answer),
            "rampart {} (webhook)",
            args.join(" ")
        );
    }
}
