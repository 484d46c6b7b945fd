//! What is kept of an object read from a cluster.
//!
//! Objects are reduced as each page arrives, before they are turned into Rampart
//! objects, so memory grows with what the rules read rather than with what the API
//! server stores. A snapshot holds the reduced objects. What goes:
//!
//! - `metadata.managedFields` (often half of an object) and `metadata.selfLink`;
//! - the `kubectl.kubernetes.io/last-applied-configuration` annotation: a second copy
//!   of the object whose fields are judged where they are set (and, on a Secret
//!   created with `kubectl apply`, a copy of its values);
//! - `status`, except what rules read: a Pod's container statuses (name, image,
//!   imageID: the running image) and a Node's `nodeInfo` (kubelet version);
//! - a ConfigMap's `binaryData`, and every `data` value that the secret detectors
//!   (SEC004) do not flag: the key stays, its value becomes `""`. Flagged values stay
//!   whole, so findings and their redacted evidence hash are the same as from files;
//! - everything of a Secret but its metadata (Secrets are listed as metadata only;
//!   this is a second guard for a server that ignores that request).

use serde_json::{Map, Value};

/// The annotation `kubectl apply` writes.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Reduces one object in place. Objects that are not maps are left alone.
pub fn reduce(object: &mut Value) {
    let Some(map) = object.as_object_mut() else {
        return;
    };
    let kind = map
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        meta.remove("selfLink");
        if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            annotations.remove(LAST_APPLIED);
        }
    }
    match kind.as_str() {
        "Pod" => keep_status(map, |status| {
            let mut kept = Map::new();
            for key in [
                "containerStatuses",
                "initContainerStatuses",
                "ephemeralContainerStatuses",
            ] {
                if let Some(Value::Array(list)) = status.remove(key) {
                    let reduced: Vec<Value> = list
                        .into_iter()
                        .map(|mut s| {
                            let mut c = Map::new();
                            if let Some(s) = s.as_object_mut() {
                                for field in ["name", "image", "imageID"] {
                                    if let Some(v) = s.remove(field) {
                                        c.insert(field.to_string(), v);
                                    }
                                }
                            }
                            Value::Object(c)
                        })
                        .collect();
                    kept.insert(key.to_string(), Value::Array(reduced));
                }
            }
            kept
        }),
        "Node" => keep_status(map, |status| {
            let mut kept = Map::new();
            if let Some(info) = status.remove("nodeInfo") {
                kept.insert("nodeInfo".to_string(), info);
            }
            kept
        }),
        "ConfigMap" => {
            map.remove("binaryData");
            if let Some(data) = map.get_mut("data").and_then(Value::as_object_mut) {
                for (key, value) in data.iter_mut() {
                    let flagged = value
                        .as_str()
                        .is_some_and(|v| rampart_rules::secrets::classify(key, v).is_some());
                    if !flagged {
                        *value = Value::String(String::new());
                    }
                }
            }
            map.remove("status");
        }
        "Secret" => {
            map.retain(|k, _| matches!(k.as_str(), "apiVersion" | "kind" | "metadata"));
        }
        _ => {
            map.remove("status");
        }
    }
}

/// Replaces `status` with what `keep` takes out of it (nothing: no `status`).
fn keep_status(
    map: &mut Map<String, Value>,
    keep: impl FnOnce(&mut Map<String, Value>) -> Map<String, Value>,
) {
    let Some(Value::Object(mut status)) = map.remove("status") else {
        return;
    };
    let kept = keep(&mut status);
    if !kept.is_empty() {
        map.insert("status".to_string(), Value::Object(kept));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drops_what_rules_never_read() {
        let mut pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "managedFields": [{"manager": "kubectl"}],
                "annotations": {LAST_APPLIED: "{}", "team": "a"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            "status": {"phase": "Running", "podIP": "10.0.0.1",
                "containerStatuses": [{"name": "c", "image": "nginx:1", "imageID": "sha", "ready": true, "state": {}}]}
        });
        reduce(&mut pod);
        assert_eq!(
            pod,
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "annotations": {"team": "a"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                "status": {"containerStatuses": [{"name": "c", "image": "nginx:1", "imageID": "sha"}]}
            })
        );
    }

    #[test]
    fn configmaps_keep_only_flagged_values_and_secrets_only_metadata() {
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----";
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"app.conf": "listen 80", "tls.key": key}, "binaryData": {"b": "AAAA"}});
        reduce(&mut cm);
        assert_eq!(cm["data"], json!({"app.conf": "", "tls.key": key}));
        assert!(cm.get("binaryData").is_none());
        let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "s"}, "data": {"password": "aHVudGVyMg=="}});
        reduce(&mut secret);
        assert_eq!(
            secret,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})
        );
    }

    #[test]
    fn nodes_keep_node_info() {
        let mut node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
            "status": {"images": [{"names": ["a"]}], "nodeInfo": {"kubeletVersion": "v1.31.2"}}});
        reduce(&mut node);
        assert_eq!(
            node["status"],
            json!({"nodeInfo": {"kubeletVersion": "v1.31.2"}})
        );
    }
}
