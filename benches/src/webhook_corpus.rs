//! The AdmissionReviews of the webhook benchmarks: allowed and denied Pods and
//! Deployments, with a garbage and an oversized body every 100 requests. Shared by
//! `webhook-load` (over TLS) and `webhook-micro` (the decision alone, in process).

fn review(uid: u64, object: &serde_json::Value) -> Vec<u8> {
    let kind = object["kind"].as_str().unwrap_or("Pod");
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": format!("load-{uid}"),
            "kind": {"group": if kind == "Pod" { "" } else { "apps" }, "version": "v1", "kind": kind},
            "resource": {"group": if kind == "Pod" { "" } else { "apps" }, "version": "v1", "resource": if kind == "Pod" { "pods" } else { "deployments" }},
            "operation": "CREATE",
            "namespace": "shop",
            "userInfo": {"username": "jane@example.com", "groups": ["system:authenticated"]},
            "object": object,
        }
    }))
    .unwrap()
}

/// Requests, and whether each should be allowed (`None`: a bad request, 400/413).
pub(crate) fn corpus() -> Vec<(Vec<u8>, Option<bool>)> {
    let hardened = serde_json::json!({
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "automountServiceAccountToken": false,
        "containers": [{"name": "app", "image": "registry.example.com/shop/api:2.3.1@sha256:4c1d2bd0b3c1e4a4bd2a7d4b9cb0cb3b6a33b4a5f1d5e0c2b9a8f7e6d5c4b3a2",
            "imagePullPolicy": "Always",
            "ports": [{"name": "http", "containerPort": 8080}],
            "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
            "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}}}]
    });
    let privileged = serde_json::json!({
        "hostPID": true,
        "containers": [{"name": "debug", "image": "busybox:1.36", "securityContext": {"privileged": true}}]
    });
    let pod = |name: &str, spec: &serde_json::Value| {
        serde_json::json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop", "labels": {"app": name}}, "spec": spec})
    };
    let deployment = |name: &str, spec: &serde_json::Value| {
        serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}})
    };
    let mut out = Vec::new();
    for i in 0..50u64 {
        out.push((review(i, &pod(&format!("api-{i}"), &hardened)), Some(true)));
        out.push((
            review(i, &deployment(&format!("web-{i}"), &hardened)),
            Some(true),
        ));
        out.push((
            review(i, &pod(&format!("debug-{i}"), &privileged)),
            Some(false),
        ));
        out.push((
            review(i, &deployment(&format!("agent-{i}"), &privileged)),
            Some(false),
        ));
    }
    // One garbage and one oversized body per 100 requests.
    let mut mixed = Vec::new();
    for (i, item) in out.into_iter().enumerate() {
        mixed.push(item);
        if i % 100 == 50 {
            mixed.push((
                b"{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"Adm".to_vec(),
                None,
            ));
        }
        if i % 100 == 99 {
            mixed.push((vec![b'x'; 4 * 1024 * 1024], None));
        }
    }
    mixed
}
