use rampart_model::{Node, Object, PodTemplate, workload::template_paths};

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Evidence;
use crate::rule::Check;
use crate::secrets::{classify, known_format};

declare_rule! {
    /// ## What it does
    /// Checks for secret values written where they do not belong, beyond env values
    /// (`SEC001`): ConfigMap `data` (judged with the key as the name), annotations of
    /// any object (judged with the annotation key), and container `command`/`args`
    /// (known credential formats anywhere, and `--flag=value` / `--flag value` pairs
    /// judged with the flag as the name). The same detector as `SEC001`: no name-only
    /// findings; evidence is the kind, the length and a short salted hash, never the value.
    ///
    /// ## Why is this bad?
    /// ConfigMaps and annotations are read by far more subjects than Secrets (the
    /// built-in `view` role reads ConfigMaps, everyone with `get` sees annotations, and
    /// `kubectl apply` copies the whole object into an annotation); command lines show
    /// up in `ps`, in pod descriptions and in logs.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ConfigMap
    /// data:
    ///   DB_PASSWORD: "Xk9#mP2$vL8qR4"
    /// ```
    ///
    /// Use instead: a Secret, mounted as a file in the container that needs it.
    ///
    /// ## Remediation
    /// Move the value into a Secret or an external secret store, rotate it, and pass it
    /// as a mounted file (flags such as `--password-file`).
    ///
    /// ## References
    /// - [Kubernetes: Good practices for Secrets](https://kubernetes.io/docs/concepts/security/secrets-good-practices/)
    /// - [Kubernetes: ConfigMaps are not for confidential data](https://kubernetes.io/docs/concepts/configuration/configmap/)
    pub(crate) SECRET_LITERAL_ELSEWHERE {
        code: "SEC004",
        name: "secret-literal-outside-secret",
        practice: Secrets,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Object(&[], secret_literal_elsewhere),
    }
}

/// SEC004
fn secret_literal_elsewhere(ctx: &mut Context<'_>, object: &Object) {
    if object.kind() == "ConfigMap" {
        for e in object
            .root
            .get("data")
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
        {
            let Some(value) = e.value.as_str() else {
                continue;
            };
            if let Some(kind) = classify(&e.key, value) {
                let message = format!(
                    "ConfigMap `{}` key `{}` holds a literal secret ({kind})",
                    object.name(),
                    e.key
                );
                ctx.report(
                    &SECRET_LITERAL_ELSEWHERE,
                    object,
                    e.key_pos,
                    &format!("data.{}", e.key),
                    message,
                )
                .evidence(Evidence::redacted(kind, value));
            }
        }
    }
    let mut annotation_roots: Vec<(&Node, String)> = Vec::new();
    if let Some(a) = object.root.path("metadata.annotations") {
        annotation_roots.push((a, "metadata.annotations".to_string()));
    }
    if let Some((_, meta)) = template_paths(object.kind())
        && object.kind() != "Pod"
        && let Some(a) = object.root.path(&format!("{meta}.annotations"))
    {
        annotation_roots.push((a, format!("{meta}.annotations")));
    }
    for (annotations, base) in annotation_roots {
        for e in annotations.as_map().into_iter().flatten() {
            // kubectl's own copy of the applied object is judged field by field elsewhere.
            if &*e.key == "kubectl.kubernetes.io/last-applied-configuration" {
                continue;
            }
            let Some(value) = e.value.as_str() else {
                continue;
            };
            let name = e.key.rsplit('/').next().unwrap_or(&e.key);
            if let Some(kind) = classify(name, value) {
                let message = format!(
                    "annotation `{}` of {} `{}` holds a literal secret ({kind})",
                    e.key,
                    object.kind(),
                    object.name()
                );
                ctx.report(
                    &SECRET_LITERAL_ELSEWHERE,
                    object,
                    e.key_pos,
                    &format!("{base}.{}", e.key),
                    message,
                )
                .evidence(Evidence::redacted(kind, value));
            }
        }
    }
    let Some(pod) = PodTemplate::of(object) else {
        return;
    };
    for c in pod.containers() {
        for field in ["command", "args"] {
            let words = c.node.get(field).and_then(Node::as_seq).unwrap_or_default();
            let mut skip = None;
            for (i, word) in words.iter().enumerate() {
                let Some(text) = word.as_str() else { continue };
                if skip == Some(i) {
                    continue;
                }
                // `--flag=value`, `--flag value` (the value is reported), or a bare word.
                let next = words.get(i + 1).and_then(|n| Some((n, n.as_str()?)));
                let (at, index, verdict) =
                    match text.strip_prefix("--").and_then(|f| f.split_once('=')) {
                        Some((flag, value)) => (word, i, classify(flag, value).map(|k| (k, value))),
                        None => match (text.strip_prefix("--"), next) {
                            (Some(flag), Some((node, value))) if !value.starts_with('-') => {
                                skip = Some(i + 1);
                                (
                                    node,
                                    i + 1,
                                    classify(flag, value)
                                        .or_else(|| known_format(value))
                                        .map(|k| (k, value)),
                                )
                            }
                            _ => (word, i, known_format(text).map(|k| (k, text))),
                        },
                    };
                let Some((kind, value)) = verdict else {
                    continue;
                };
                let message = format!(
                    "`{field}[{index}]` of `{}` passes a literal secret on its command line ({kind})",
                    c.name()
                );
                ctx.report(
                    &SECRET_LITERAL_ELSEWHERE,
                    object,
                    at.pos,
                    &c.field_path(&format!("{field}[{index}]")),
                    message,
                )
                .evidence(Evidence::redacted(kind, value));
            }
        }
    }
}
