//! What the version rules share: where the cluster's Kubernetes version was read, the
//! version a manifest is judged against, and the warnings for versions Rampart cannot
//! judge.

use rampart_model::facts::{VersionSource, image_version};
use rampart_model::{
    Component, InputDiagnostic, InputLevel, Inventory, KubeVersion, Node, Object, PodTemplate, Pos,
};

use crate::releases::{Date, Releases};

/// One place the cluster's version was read: the command line, a kube-apiserver
/// (static or mirror) pod's image, or a Node's kubelet.
pub(crate) struct VersionSite<'a> {
    /// The version read.
    pub(crate) version: KubeVersion,
    /// The object it was read from; `None` for `--k8s-version`.
    pub(crate) object: Option<&'a Object>,
    /// The position of the value.
    pub(crate) pos: Pos,
    /// The field path of the value.
    pub(crate) path: String,
}

/// The image node of the kube-apiserver container at `container_path` in `object`.
fn container_image<'a>(object: &'a Object, container_path: &str) -> Option<(&'a Node, String)> {
    let template = PodTemplate::of(object)?;
    let container = template.containers().find(|c| c.path() == container_path)?;
    Some((container.image()?, container.field_path("image")))
}

/// The kube-apiserver pods whose image tag names a version.
pub(crate) fn apiserver_sites(inventory: &Inventory) -> Vec<VersionSite<'_>> {
    inventory
        .facts
        .component(Component::KubeApiserver)
        .filter_map(|c| {
            let object = inventory.objects.get(c.object)?;
            let (node, path) = container_image(object, &c.container_path)?;
            Some(VersionSite {
                version: image_version(node.as_str()?)?,
                object: Some(object),
                pos: node.pos,
                path,
            })
        })
        .collect()
}

/// Nodes and the kubelet version they report.
pub(crate) fn kubelet_sites(inventory: &Inventory) -> Vec<VersionSite<'_>> {
    inventory
        .of_kind("Node")
        .filter_map(|(_, object)| {
            let node = object.root.path("status.nodeInfo.kubeletVersion")?;
            Some(VersionSite {
                version: KubeVersion::parse(node.as_str()?)?,
                object: Some(object),
                pos: node.pos,
                path: "status.nodeInfo.kubeletVersion".to_string(),
            })
        })
        .collect()
}

/// Where the cluster's control-plane version comes from, as the facts chose it:
/// `--k8s-version`, else the API server's `/version`, else every kube-apiserver pod,
/// else every Node's kubelet.
pub(crate) fn version_sites(inventory: &Inventory) -> Vec<VersionSite<'_>> {
    match inventory.facts.version {
        None => Vec::new(),
        // The API server's `/version` (a live cluster or its snapshot) is exact but names
        // no object, like the command line.
        Some((version, VersionSource::CommandLine | VersionSource::ApiServer)) => {
            vec![VersionSite {
                version,
                object: None,
                pos: Pos::UNKNOWN,
                path: String::new(),
            }]
        }
        Some((_, VersionSource::ApiserverImage)) => apiserver_sites(inventory),
        Some((_, VersionSource::Nodes)) => kubelet_sites(inventory),
    }
}

/// The kube-apiserver version kubelets are compared with: `--k8s-version`, else the
/// oldest kube-apiserver found (during an upgrade, kubelets must suit every one).
pub(crate) fn apiserver_version(inventory: &Inventory) -> Option<KubeVersion> {
    match inventory.facts.version? {
        (version, VersionSource::CommandLine | VersionSource::ApiServer) => Some(version),
        (_, VersionSource::ApiserverImage) => {
            apiserver_sites(inventory).iter().map(|s| s.version).min()
        }
        (_, VersionSource::Nodes) => None,
    }
}

/// The minor version manifests are judged against, and how it was chosen: the
/// cluster's, else the newest release in the embedded data (as of `today`).
pub(crate) fn target_minor(inventory: &Inventory, today: Date) -> Option<(u32, String)> {
    if let Some((version, _)) = inventory.facts.version {
        return (version.major == 1).then(|| (version.minor, version.to_string()));
    }
    let newest = Releases::embedded().newest_released(today)?;
    Some((
        newest.minor,
        format!(
            "v1.{}, the newest release (no cluster version known)",
            newest.minor
        ),
    ))
}

/// Warnings for versions Rampart cannot judge: a kube-apiserver image or kubelet
/// version that names no version, or a version outside the embedded release data.
pub(crate) fn version_diagnostics(inventory: &Inventory) -> Vec<InputDiagnostic> {
    let mut out = Vec::new();
    let warn = |out: &mut Vec<InputDiagnostic>, object: Option<&Object>, pos: Pos, message| {
        let (file, path) = match object {
            Some(o) => (
                o.file(),
                o.file().map_or_else(
                    || format!("{}/{}", o.kind(), o.name()),
                    |id| inventory.files.name(id).to_string(),
                ),
            ),
            None => (None, "--k8s-version".to_string()),
        };
        out.push(InputDiagnostic::new(
            InputLevel::Warning,
            file,
            &path,
            pos,
            message,
        ));
    };
    let explicit = matches!(
        inventory.facts.version,
        Some((_, VersionSource::CommandLine))
    );
    if !explicit {
        for c in inventory.facts.component(Component::KubeApiserver) {
            let Some(object) = inventory.objects.get(c.object) else {
                continue;
            };
            if let Some((node, _)) = container_image(object, &c.container_path)
                && let Some(image) = node.as_str()
                && image_version(image).is_none()
            {
                warn(
                    &mut out,
                    Some(object),
                    node.pos,
                    format!(
                        "cannot tell the Kubernetes version from kube-apiserver image `{image}`; pass `--k8s-version`"
                    ),
                );
            }
        }
    }
    for (_, object) in inventory.of_kind("Node") {
        if let Some(node) = object.root.path("status.nodeInfo.kubeletVersion")
            && node.as_str().and_then(KubeVersion::parse).is_none()
        {
            let text = node.scalar_string().unwrap_or_default();
            warn(
                &mut out,
                Some(object),
                node.pos,
                format!(
                    "cannot read kubelet version `{text}` of Node `{}`",
                    object.name()
                ),
            );
        }
    }
    let table = Releases::embedded();
    let Some((_, newest)) = table.range() else {
        return out;
    };
    for site in version_sites(inventory) {
        let v = site.version;
        let message = if v.major == 1 && v.minor <= newest {
            continue;
        } else if v.major == 1 {
            format!(
                "Kubernetes {v} is newer than Rampart's release data (current to {}); its support dates are unknown",
                table.as_of
            )
        } else {
            format!("Kubernetes {v} is not a 1.x release; its support dates are unknown")
        };
        warn(&mut out, site.object, site.pos, message);
    }
    out
}
