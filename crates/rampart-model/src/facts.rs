//! Cluster facts: the Kubernetes version and the flags of the control-plane components.
//!
//! Flags come from static pod manifests (files under `/etc/kubernetes/manifests`) or the
//! mirror pods a live cluster shows for them: whichever Pod runs a container whose
//! command is a known component. `--a=b`, `--a b` and a bare `--a` (true) are read as
//! the components' own flag parser (spf13/pflag) reads them.

use std::collections::BTreeMap;
use std::fmt;

use crate::node::{Node, Pos};
use crate::object::Object;
use crate::workload::PodTemplate;

/// A control-plane or node component whose flags matter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    /// `kube-apiserver`.
    KubeApiserver,
    /// `etcd`.
    Etcd,
    /// `kube-controller-manager`.
    KubeControllerManager,
    /// `kube-scheduler`.
    KubeScheduler,
    /// `kubelet`.
    Kubelet,
}

impl Component {
    /// Every component, in a fixed order.
    pub const ALL: [Component; 5] = [
        Component::KubeApiserver,
        Component::Etcd,
        Component::KubeControllerManager,
        Component::KubeScheduler,
        Component::Kubelet,
    ];

    /// The binary name.
    pub fn binary(self) -> &'static str {
        match self {
            Component::KubeApiserver => "kube-apiserver",
            Component::Etcd => "etcd",
            Component::KubeControllerManager => "kube-controller-manager",
            Component::KubeScheduler => "kube-scheduler",
            Component::Kubelet => "kubelet",
        }
    }

    fn from_binary(path: &str) -> Option<Self> {
        let base = path.rsplit('/').next().unwrap_or(path);
        Component::ALL.into_iter().find(|c| c.binary() == base)
    }
}

/// One flag as written: its value and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The value (`true` for a bare boolean flag).
    pub value: String,
    /// The position of the command or argument string holding it.
    pub pos: Pos,
    /// The field path of that string (`spec.containers[0].command[3]`).
    pub path: String,
}

/// The flags of one running component, and where they were read.
#[derive(Clone, Debug)]
pub struct ComponentFlags {
    /// Which component.
    pub component: Component,
    /// Index of the Pod object in the inventory.
    pub object: usize,
    /// The container's field path.
    pub container_path: String,
    /// The position of the container's command (or of the container).
    pub pos: Pos,
    /// Flags by name without the dashes; the last occurrence wins, as in pflag.
    pub flags: BTreeMap<String, Flag>,
    /// The container image, for the version.
    pub image: Option<String>,
}

impl ComponentFlags {
    /// The value of a flag.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.flags.get(name).map(|f| f.value.as_str())
    }
}

/// Finds the component flags of a Pod object.
pub fn component_flags(index: usize, object: &Object) -> Vec<ComponentFlags> {
    if object.kind() != "Pod" {
        return Vec::new();
    }
    let Some(template) = PodTemplate::of(object) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for container in template.containers() {
        let words: Vec<(String, &Node)> = ["command", "args"]
            .into_iter()
            .flat_map(|field| {
                let path = container.field_path(field);
                container
                    .node
                    .get(field)
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .map(move |(i, n)| (format!("{path}[{i}]"), n))
            })
            .collect();
        let Some(component) = words
            .first()
            .and_then(|(_, n)| n.as_str())
            .and_then(Component::from_binary)
        else {
            continue;
        };
        let mut flags = BTreeMap::new();
        let mut i = 1;
        while i < words.len() {
            let (path, node) = &words[i];
            i += 1;
            let Some(word) = node.as_str() else { continue };
            let Some(flag) = word.strip_prefix("--") else {
                continue;
            };
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n, v.to_string()),
                None => match words.get(i).and_then(|(_, n)| n.as_str()) {
                    Some(next) if !next.starts_with('-') => {
                        i += 1;
                        (flag, next.to_string())
                    }
                    _ => (flag, "true".to_string()),
                },
            };
            flags.insert(
                name.to_string(),
                Flag {
                    value,
                    pos: node.pos,
                    path: path.clone(),
                },
            );
        }
        found.push(ComponentFlags {
            component,
            object: index,
            container_path: container.path(),
            pos: container
                .node
                .entry("command")
                .map_or(container.node.pos, |e| e.key_pos),
            flags,
            image: container.image().and_then(Node::as_str).map(str::to_string),
        });
    }
    found
}

/// A Kubernetes version, `v1.MINOR.PATCH`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    /// Major version (1).
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch version, when known.
    pub patch: Option<u32>,
}

impl KubeVersion {
    /// Parses `v1.30`, `1.30.2`, `v1.30.2-eks-1234`, `v1.30.2+k3s1`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().trim_start_matches('v');
        let core = text.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            Some(p) => Some(p.parse().ok()?),
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(KubeVersion {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            Some(p) => write!(f, "v{}.{}.{p}", self.major, self.minor),
            None => write!(f, "v{}.{}", self.major, self.minor),
        }
    }
}

/// The version in an image's tag (`registry.k8s.io/kube-apiserver:v1.30.2`, also with
/// a `@sha256:` digest after the tag); `None` without a tag or when the tag is no version.
pub fn image_version(image: &str) -> Option<KubeVersion> {
    let named = image.split('@').next().unwrap_or(image);
    let last = named.rsplit('/').next().unwrap_or(named);
    let (_, tag) = last.rsplit_once(':')?;
    KubeVersion::parse(tag)
}

/// Where the cluster's version was learned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionSource {
    /// `--k8s-version` on the command line.
    CommandLine,
    /// The API server's `/version`, when scanning a live cluster or its snapshot.
    ApiServer,
    /// The kube-apiserver image tag of a static or mirror pod.
    ApiserverImage,
    /// The newest kubelet version reported by Node objects.
    Nodes,
}

/// What is known about the cluster beyond its objects.
#[derive(Clone, Debug, Default)]
pub struct ClusterFacts {
    /// The Kubernetes version and where it came from.
    pub version: Option<(KubeVersion, VersionSource)>,
    /// Flags of every component instance found.
    pub components: Vec<ComponentFlags>,
}

impl ClusterFacts {
    /// Every instance of a component.
    pub fn component(&self, component: Component) -> impl Iterator<Item = &ComponentFlags> {
        self.components
            .iter()
            .filter(move |c| c.component == component)
    }

    /// Works the facts out from the objects; `explicit` (from the command line) wins.
    pub fn gather(objects: &[Object], explicit: Option<KubeVersion>) -> Self {
        let components: Vec<ComponentFlags> = objects
            .iter()
            .enumerate()
            .flat_map(|(i, o)| component_flags(i, o))
            .collect();
        let from_image = || {
            components
                .iter()
                .filter(|c| c.component == Component::KubeApiserver)
                .filter_map(|c| image_version(c.image.as_deref()?))
                .max()
                .map(|v| (v, VersionSource::ApiserverImage))
        };
        let from_nodes = || {
            objects
                .iter()
                .filter(|o| o.kind() == "Node")
                .filter_map(|o| {
                    o.root
                        .path("status.nodeInfo.kubeletVersion")?
                        .as_str()
                        .and_then(KubeVersion::parse)
                })
                .max()
                .map(|v| (v, VersionSource::Nodes))
        };
        let version = explicit
            .map(|v| (v, VersionSource::CommandLine))
            .or_else(from_image)
            .or_else(from_nodes);
        ClusterFacts {
            version,
            components,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Entry, Map, Value};
    use crate::object::Origin;

    fn s(text: &str) -> Node {
        Node::new(Value::Str(text.into()))
    }

    fn map(entries: Vec<(&str, Node)>) -> Node {
        Node::new(Value::Map(Map::from_entries(
            entries
                .into_iter()
                .map(|(k, v)| Entry {
                    key: k.into(),
                    key_pos: Pos::UNKNOWN,
                    value: v,
                })
                .collect(),
        )))
    }

    fn seq(items: &[&str]) -> Node {
        Node::new(Value::Seq(items.iter().map(|i| s(i)).collect()))
    }

    #[test]
    fn flags_are_read_as_pflag_reads_them() {
        let container = map(vec![
            ("name", s("kube-apiserver")),
            ("image", s("registry.k8s.io/kube-apiserver:v1.30.2")),
            (
                "command",
                seq(&["/usr/local/bin/kube-apiserver", "--a=1", "--b", "2", "--c"]),
            ),
            ("args", seq(&["--d=x=y", "--a=override", "--e", "-v=2"])),
        ]);
        let pod = map(vec![
            ("apiVersion", s("v1")),
            ("kind", s("Pod")),
            (
                "metadata",
                map(vec![
                    ("name", s("kube-apiserver-cp")),
                    ("namespace", s("kube-system")),
                ]),
            ),
            (
                "spec",
                map(vec![(
                    "containers",
                    Node::new(Value::Seq(vec![container].into())),
                )]),
            ),
        ]);
        let objects = vec![Object::new(pod, Origin::Memory, String::new())];
        let facts = ClusterFacts::gather(&objects, None);
        let api = facts.component(Component::KubeApiserver).next().unwrap();
        assert_eq!(api.get("a"), Some("override"), "the last occurrence wins");
        assert_eq!(api.get("b"), Some("2"), "`--flag value`");
        assert_eq!(api.get("c"), Some("true"), "a bare flag is true");
        assert_eq!(api.get("d"), Some("x=y"));
        assert_eq!(
            api.get("e"),
            Some("true"),
            "a flag followed by another flag is bare"
        );
        assert_eq!(api.flags["a"].path, "spec.containers[0].args[1]");
        assert_eq!(
            facts.version,
            Some((
                KubeVersion::parse("v1.30.2").unwrap(),
                VersionSource::ApiserverImage
            ))
        );
        let explicit = ClusterFacts::gather(&objects, KubeVersion::parse("1.29"));
        assert_eq!(
            explicit.version.map(|(v, s)| (v.to_string(), s)),
            Some(("v1.29".into(), VersionSource::CommandLine))
        );
    }

    #[test]
    fn versions() {
        let v = |t: &str| KubeVersion::parse(t).map(|v| v.to_string());
        assert_eq!(v("v1.30.2-eks-1234"), Some("v1.30.2".into()));
        assert_eq!(v("1.31"), Some("v1.31".into()));
        assert_eq!(v("v1.28.3+k3s1"), Some("v1.28.3".into()));
        assert_eq!(v("latest"), None);
        assert_eq!(v("v1.2.3.4"), None);
        let i = |t: &str| image_version(t).map(|v| v.to_string());
        assert_eq!(
            i("registry.k8s.io/kube-apiserver:v1.30.2@sha256:abc"),
            Some("v1.30.2".into())
        );
        assert_eq!(i("registry:5000/kube-apiserver"), None);
        assert_eq!(i("kube-apiserver:latest"), None);
    }
}
