//! Image drift: what runs against what was declared, and tags that let it happen.

use std::collections::BTreeMap;

use rampart_model::{Node, Object, PodTemplate};

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

use super::latest_image_tag::image_tag;
use super::workloads::controller;

declare_rule! {
    /// ## What it does
    /// Checks Pods that carry status (a snapshot or a live cluster) for containers that
    /// run another image than their spec declares: a digest in `image` that differs
    /// from the digest in `status.containerStatuses[].imageID`, or a tag that differs
    /// from `status.containerStatuses[].image`.
    ///
    /// ## Why is this bad?
    /// What runs is not what was reviewed and scanned. The usual causes are a pod that
    /// was never restarted after its spec changed, a node that kept an old copy of a
    /// moved tag, or a registry or node that served something else; each means the
    /// manifests no longer describe the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: web
    ///       image: nginx:1.27.3
    /// status:
    ///   containerStatuses:
    ///     - name: web
    ///       image: docker.io/library/nginx:1.25.0
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// status:
    ///   containerStatuses:
    ///     - name: web
    ///       image: docker.io/library/nginx:1.27.3
    /// ```
    ///
    /// ## Remediation
    /// Find why the pod runs another image (an old pod, a node cache, a mirror), restart
    /// it from its controller, and pin images by digest so the kubelet verifies them.
    ///
    /// ## References
    /// - [Kubernetes: Images, image pull policy](https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy)
    /// - [Kubernetes API: ContainerStatus](https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#PodStatus)
    pub(crate) RUNNING_IMAGE_DRIFT {
        code: "UPD015",
        name: "running-image-drift",
        practice: Updates,
        severity: Medium,
        status: Preview { since: "NEXT" },
        check: Check::Object(&["Pod"], running_image_drift),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks Pods with the same controlling owner (the replicas of one ReplicaSet,
    /// StatefulSet, DaemonSet or Job) for a container that runs different image
    /// digests (`status.containerStatuses[].imageID`) in different pods.
    ///
    /// ## Why is this bad?
    /// One pod template, several programs: a mutable tag was resolved at different
    /// times on different nodes. Behaviour differs between replicas, a fix reaches only
    /// some of them, and a vulnerability scan of "the image" describes only part of the
    /// workload.
    ///
    /// ## Example
    /// ```yaml
    /// # two pods of ReplicaSet web-5d8f
    /// imageID: docker.io/library/nginx@sha256:aaaa…
    /// imageID: docker.io/library/nginx@sha256:bbbb…
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// image: nginx:1.27.3@sha256:aaaa…
    /// ```
    ///
    /// ## Remediation
    /// Pin the image by digest in the template and roll the workload out again, so
    /// every replica runs the same bytes.
    ///
    /// ## References
    /// - [Kubernetes: Images, image names and digests](https://kubernetes.io/docs/concepts/containers/images/#image-names)
    pub(crate) REPLICA_IMAGE_MISMATCH {
        code: "UPD016",
        name: "replica-image-mismatch",
        practice: Updates,
        severity: Medium,
        status: Preview { since: "NEXT" },
        check: Check::Inventory(replica_image_mismatch),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks containers whose image has a version tag and no digest, with an
    /// `imagePullPolicy` other than `Always` (written as `IfNotPresent` or `Never`, or
    /// unset, which means `IfNotPresent` for a tag other than `latest`). Images with no
    /// tag or `latest` are UPD001's.
    ///
    /// ## Why is this bad?
    /// Tags move. With `IfNotPresent` each node keeps whatever the tag meant when it
    /// first pulled it, so replicas on different nodes run different images under one
    /// name, and a re-pushed fix never reaches nodes that already have the tag.
    ///
    /// ## Example
    /// ```yaml
    /// image: registry.example.com/shop/api:2.4
    /// imagePullPolicy: IfNotPresent
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// image: registry.example.com/shop/api:2.4.1@sha256:3f1c7c2b9d0e4a6f8b2d5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e3a5c7b
    /// ```
    ///
    /// ## Remediation
    /// Pin the image by digest (`name:tag@sha256:…`), which makes the pull policy
    /// irrelevant; otherwise set `imagePullPolicy: Always` so every start resolves the
    /// tag again.
    ///
    /// ## References
    /// - [Kubernetes: Image pull policy](https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy)
    /// - [Kubernetes: Configuration best practices, container images](https://kubernetes.io/docs/concepts/configuration/overview/#container-images)
    pub(crate) MUTABLE_TAG_PULL_POLICY {
        code: "UPD017",
        name: "mutable-tag-pull-policy",
        practice: Updates,
        severity: Low,
        status: Preview { since: "NEXT" },
        check: Check::Template(mutable_tag_pull_policy),
    }
}

/// An image reference taken apart: repository (with registry, as runtimes report it),
/// tag and digest.
#[derive(Debug, PartialEq, Eq)]
struct ImageRef<'a> {
    repository: String,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

fn parse_image(image: &str) -> ImageRef<'_> {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match name.get(last_slash..).and_then(|l| l.rfind(':')) {
        Some(colon) => {
            let at = last_slash + colon;
            (name.get(..at).unwrap_or(name), name.get(at + 1..))
        }
        None => (name, None),
    };
    let first = repository.split('/').next().unwrap_or_default();
    let has_registry = repository.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost");
    let repository = if has_registry {
        repository.to_string()
    } else if repository.contains('/') {
        format!("docker.io/{repository}")
    } else {
        format!("docker.io/library/{repository}")
    };
    ImageRef {
        repository,
        tag,
        digest,
    }
}

/// The digest in an `imageID` (`docker.io/library/nginx@sha256:…`, or the image id
/// itself, `sha256:…`).
fn image_id_digest(image_id: &str) -> &str {
    let id = image_id.rsplit('@').next().unwrap_or(image_id);
    id.strip_prefix("docker-pullable://").unwrap_or(id)
}

/// A short form of a digest for messages.
fn short(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}

/// The container statuses of a Pod: (field path, status node), for regular, init and
/// ephemeral containers.
fn statuses(pod: &Object) -> impl Iterator<Item = (String, &Node)> {
    [
        ("initContainerStatuses", "initContainers"),
        ("containerStatuses", "containers"),
        ("ephemeralContainerStatuses", "ephemeralContainers"),
    ]
    .into_iter()
    .flat_map(move |(field, _)| {
        pod.root
            .path(&format!("status.{field}"))
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(move |(i, n)| (format!("status.{field}[{i}]"), n))
    })
}

/// UPD015
fn running_image_drift(ctx: &mut Context<'_>, pod: &Object) {
    let Some(template) = PodTemplate::of(pod) else {
        return;
    };
    let declared: BTreeMap<&str, &str> = template
        .containers()
        .filter_map(|c| Some((c.name(), c.image()?.as_str()?.trim())))
        .collect();
    for (path, status) in statuses(pod) {
        let Some(name) = status.get("name").and_then(Node::as_str) else {
            continue;
        };
        let Some(spec) = declared.get(name).map(|i| parse_image(i)) else {
            continue;
        };
        let finding = if let Some(want) = spec.digest {
            let Some(node) = status.get("imageID") else {
                continue;
            };
            let id = node.as_str().unwrap_or_default();
            let got = image_id_digest(id);
            // An imageID without a repository digest is the local image id: not comparable.
            if !id.contains('@') || got == want {
                continue;
            }
            (
                node,
                format!("{path}.imageID"),
                format!(
                    "container `{name}` of Pod `{}` declares digest `{}` but runs `{}`",
                    pod.name(),
                    short(want),
                    short(got)
                ),
            )
        } else {
            let Some(node) = status.get("image") else {
                continue;
            };
            let Some(running) = node.as_str().filter(|i| !i.starts_with("sha256:")) else {
                continue;
            };
            let got = parse_image(running);
            let want_tag = spec.tag.unwrap_or("latest");
            if got.tag.is_none() || (got.repository == spec.repository && got.tag == Some(want_tag))
            {
                continue;
            }
            let declared_image = declared.get(name).copied().unwrap_or_default();
            (
                node,
                format!("{path}.image"),
                format!(
                    "container `{name}` of Pod `{}` declares `{declared_image}` but runs `{running}`",
                    pod.name()
                ),
            )
        };
        let (node, path, message) = finding;
        ctx.report(&RUNNING_IMAGE_DRIFT, pod, node.pos, &path, message)
            .help("restart the pod from its controller and pin the image by digest");
    }
}

/// UPD016
fn replica_image_mismatch(ctx: &mut Context<'_>) {
    // (namespace, owner kind, owner name, owner uid, container) -> pods and digests.
    type Key<'a> = (Option<&'a str>, &'a str, &'a str, &'a str, &'a str);
    let mut groups: BTreeMap<Key<'_>, Vec<(&Object, &Node, &str, String)>> = BTreeMap::new();
    let inventory = ctx.inventory;
    for (_, pod) in inventory.of_kind("Pod") {
        let Some((kind, owner, uid)) = controller(pod) else {
            continue;
        };
        for (path, status) in statuses(pod) {
            let (Some(name), Some(node)) = (
                status.get("name").and_then(Node::as_str),
                status.get("imageID"),
            ) else {
                continue;
            };
            let Some(id) = node.as_str().filter(|i| !i.is_empty()) else {
                continue;
            };
            groups
                .entry((pod.namespace(), kind, owner, uid, name))
                .or_default()
                .push((pod, node, image_id_digest(id), format!("{path}.imageID")));
        }
    }
    for ((_, kind, owner, _, container), pods) in &groups {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, _, digest, _) in pods {
            *counts.entry(digest).or_default() += 1;
        }
        if counts.len() < 2 {
            continue;
        }
        // The digest most replicas run (the smallest on a tie) is the reference.
        let Some((reference, most)) = counts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(d, n)| (*d, *n))
        else {
            continue;
        };
        for (pod, node, digest, path) in pods {
            if *digest == reference {
                continue;
            }
            let others = if most == 1 { "replica" } else { "replicas" };
            ctx.report(
                &REPLICA_IMAGE_MISMATCH,
                pod,
                node.pos,
                path,
                format!(
                    "container `{container}` of Pod `{}` runs `{}` while {most} other {others} of {kind} `{owner}` run `{}`",
                    pod.name(),
                    short(digest),
                    short(reference)
                ),
            )
            .help("pin the image by digest in the template and roll the workload out again");
        }
    }
}

/// UPD017
fn mutable_tag_pull_policy(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    for container in pod.containers() {
        let Some(image_node) = container.image() else {
            continue;
        };
        let image = image_node.as_str().map(str::trim).unwrap_or_default();
        let Ok(Some(tag)) = image_tag(image) else {
            continue; // pinned by digest, or no tag (UPD001)
        };
        if tag == "latest" {
            continue; // UPD001
        }
        let policy = container.node.get("imagePullPolicy");
        let (pos, path, how) = match policy.and_then(Node::as_str) {
            Some("Always") => continue,
            Some(p) => (
                policy.map_or(image_node.pos, |n| n.pos),
                container.field_path("imagePullPolicy"),
                format!("`imagePullPolicy: {p}`"),
            ),
            None => (
                image_node.pos,
                container.field_path("image"),
                "the default `imagePullPolicy: IfNotPresent`".to_string(),
            ),
        };
        ctx.report(
            &MUTABLE_TAG_PULL_POLICY,
            pod.object,
            pos,
            &path,
            format!(
                "container `{}` runs mutable tag `{image}` with {how}, so nodes may keep different images for it",
                container.name()
            ),
        )
        .help("pin the image by digest (`name:tag@sha256:…`), or set `imagePullPolicy: Always`");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_normalized_as_runtimes_report_them() {
        let i = parse_image("nginx:1.27");
        assert_eq!(i.repository, "docker.io/library/nginx");
        assert_eq!(i.tag, Some("1.27"));
        assert_eq!(parse_image("team/app").repository, "docker.io/team/app");
        let r = parse_image("registry.example.com:5000/team/app:2@sha256:abc");
        assert_eq!(r.repository, "registry.example.com:5000/team/app");
        assert_eq!((r.tag, r.digest), (Some("2"), Some("sha256:abc")));
        assert_eq!(parse_image("localhost/app").repository, "localhost/app");
        assert_eq!(
            image_id_digest("docker-pullable://nginx@sha256:abc"),
            "sha256:abc"
        );
        assert_eq!(image_id_digest("sha256:def"), "sha256:def");
    }
}
