//! One view over every object that carries a pod template.
//!
//! Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
//! ReplicationController and PodTemplate all hold a pod spec at a different path. A
//! pod-security rule should not care which: it asks for [`PodTemplate::containers`] and
//! gets regular, init and ephemeral containers with their field paths, so a finding
//! points into the workload's own file.

use crate::node::{Node, Pos};
use crate::object::Object;

/// Where the pod spec and the pod metadata sit, for each kind that carries one.
pub fn template_paths(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "Pod" => ("spec", "metadata"),
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => ("spec.template.spec", "spec.template.metadata"),
        "CronJob" => (
            "spec.jobTemplate.spec.template.spec",
            "spec.jobTemplate.spec.template.metadata",
        ),
        "PodTemplate" => ("template.spec", "template.metadata"),
        _ => return None,
    })
}

/// The kinds that carry a pod template.
pub const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
    "PodTemplate",
];

/// The pod template of a workload (or the spec of a Pod).
#[derive(Clone, Copy, Debug)]
pub struct PodTemplate<'a> {
    /// The object that carries the template.
    pub object: &'a Object,
    /// The pod spec.
    pub spec: &'a Node,
    /// The field path of the pod spec inside the object (`spec.template.spec`).
    pub spec_path: &'static str,
    /// The pod metadata (the object's own for a Pod), if written.
    pub metadata: Option<&'a Node>,
    /// The field path of the pod metadata.
    pub metadata_path: &'static str,
}

/// Which list a container comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerKind {
    /// `initContainers`.
    Init,
    /// `containers`.
    Regular,
    /// `ephemeralContainers`.
    Ephemeral,
}

impl ContainerKind {
    /// The field name of the list.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
}

/// One container of a pod template.
#[derive(Clone, Debug)]
pub struct Container<'a> {
    /// Which list it is in.
    pub kind: ContainerKind,
    /// Its index in that list.
    pub index: usize,
    /// The container map.
    pub node: &'a Node,
    /// The field path of the pod spec holding it (`spec.template.spec`).
    pub spec_path: &'static str,
}

impl<'a> Container<'a> {
    /// `name` (empty when missing).
    pub fn name(&self) -> &'a str {
        self.node.get("name").and_then(Node::as_str).unwrap_or("")
    }

    /// `image`, when it is a string.
    pub fn image(&self) -> Option<&'a Node> {
        self.node.get("image").filter(|n| n.as_str().is_some())
    }

    /// `securityContext`, when it is a map.
    pub fn security_context(&self) -> Option<&'a Node> {
        self.node
            .get("securityContext")
            .filter(|n| n.as_map().is_some())
    }

    /// The `env` entries that are maps, with their indexes.
    pub fn env(&self) -> impl Iterator<Item = (usize, &'a Node)> {
        self.entries("env")
    }

    /// The `envFrom` entries that are maps, with their indexes.
    pub fn env_from(&self) -> impl Iterator<Item = (usize, &'a Node)> {
        self.entries("envFrom")
    }

    /// The `volumeMounts` entries that are maps, with their indexes.
    pub fn volume_mounts(&self) -> impl Iterator<Item = (usize, &'a Node)> {
        self.entries("volumeMounts")
    }

    /// The map items of the list under `key`, with their indexes in the list.
    fn entries(&self, key: &str) -> impl Iterator<Item = (usize, &'a Node)> {
        self.node
            .get(key)
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter(|(_, e)| e.as_map().is_some())
    }

    /// Its field path inside the object (`spec.template.spec.containers[0]`). Built on
    /// demand: rules ask for it only when they report.
    pub fn path(&self) -> String {
        format!("{}.{}[{}]", self.spec_path, self.kind.field(), self.index)
    }

    /// A path below this container (`securityContext.privileged`).
    pub fn field_path(&self, rest: &str) -> String {
        format!(
            "{}.{}[{}].{rest}",
            self.spec_path,
            self.kind.field(),
            self.index
        )
    }
}

impl<'a> PodTemplate<'a> {
    /// The pod template of an object, if its kind carries one and the spec is a map.
    pub fn of(object: &'a Object) -> Option<Self> {
        let (spec_path, metadata_path) = template_paths(object.kind())?;
        let spec = object
            .root
            .path(spec_path)
            .filter(|s| s.as_map().is_some())?;
        let metadata = object
            .root
            .path(metadata_path)
            .filter(|m| m.as_map().is_some());
        Some(PodTemplate {
            object,
            spec,
            spec_path,
            metadata,
            metadata_path,
        })
    }

    /// Every container: init containers first, then containers, then ephemeral
    /// containers. Entries that are not maps are left out (and reported at load time).
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + '_ {
        [
            ContainerKind::Init,
            ContainerKind::Regular,
            ContainerKind::Ephemeral,
        ]
        .into_iter()
        .flat_map(move |kind| {
            let list = self
                .spec
                .get(kind.field())
                .and_then(Node::as_seq)
                .unwrap_or_default();
            list.iter()
                .enumerate()
                .filter(|(_, n)| n.as_map().is_some())
                .map(move |(index, node)| Container {
                    kind,
                    index,
                    node,
                    spec_path: self.spec_path,
                })
        })
    }

    /// A path below the pod spec (`hostNetwork`).
    pub fn spec_field_path(&self, rest: &str) -> String {
        format!("{}.{rest}", self.spec_path)
    }

    /// A field of the pod spec.
    pub fn field(&self, key: &str) -> Option<&'a Node> {
        self.spec.get(key)
    }

    /// The pod-level `securityContext`, when it is a map.
    pub fn security_context(&self) -> Option<&'a Node> {
        self.spec
            .get("securityContext")
            .filter(|n| n.as_map().is_some())
    }

    /// `volumes` entries that are maps.
    pub fn volumes(&self) -> impl Iterator<Item = (usize, &'a Node)> {
        self.spec
            .get("volumes")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter(|(_, v)| v.as_map().is_some())
    }

    /// The ServiceAccount the pods run as (`default` when unset, as the API server does).
    pub fn service_account_name(&self) -> &'a str {
        self.spec
            .get("serviceAccountName")
            .or_else(|| self.spec.get("serviceAccount"))
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
    }

    /// `automountServiceAccountToken` on the pod, if set.
    pub fn automount_service_account_token(&self) -> Option<bool> {
        self.spec
            .get("automountServiceAccountToken")
            .and_then(Node::as_bool)
    }

    /// `tolerations` entries that are maps.
    pub fn tolerations(&self) -> impl Iterator<Item = (usize, &'a Node)> {
        self.spec
            .get("tolerations")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter(|(_, v)| v.as_map().is_some())
    }

    /// `nodeName`, if set.
    pub fn node_name(&self) -> Option<&'a str> {
        self.spec.get("nodeName").and_then(Node::as_str)
    }

    /// `nodeSelector`, if it is a map.
    pub fn node_selector(&self) -> Option<&'a Node> {
        self.spec
            .get("nodeSelector")
            .filter(|n| n.as_map().is_some())
    }

    /// A label of the pod template.
    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.metadata?.get("labels")?.get(key)?.as_str()
    }

    /// The pod template's labels, as strings.
    pub fn labels(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.metadata
            .and_then(|m| m.get("labels"))
            .and_then(Node::as_map)
            .into_iter()
            .flat_map(|m| m.iter())
            .filter_map(|e| Some((&*e.key, e.value.as_str()?)))
    }

    /// An annotation of the pod template.
    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata?.get("annotations")?.get(key)?.as_str()
    }

    /// The position of the pod spec's key (`spec:`), for findings about a field the
    /// spec lacks.
    pub fn spec_key_pos(&self) -> Pos {
        let (parent, last) = self
            .spec_path
            .rsplit_once('.')
            .unwrap_or(("", self.spec_path));
        let parent = if parent.is_empty() {
            Some(&*self.object.root)
        } else {
            self.object.root.path(parent)
        };
        parent
            .and_then(|p| p.entry(last))
            .map_or(self.spec.pos, |e| e.key_pos)
    }

    /// The position of the pod spec (for findings about the pod as a whole).
    pub fn pos(&self) -> Pos {
        self.spec.pos
    }
}

/// A wrong type where Rampart reads: the field path, where it is, what was expected and
/// what was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError {
    /// Field path inside the object.
    pub path: String,
    /// Where the wrong value is.
    pub pos: Pos,
    /// `expected a list, found a string`.
    pub message: String,
}

/// What a field should be, for [`check_shape`].
#[derive(Clone, Copy)]
enum Want {
    Map,
    Seq,
    Str,
    Bool,
    Int,
}

impl Want {
    fn accepts(self, node: &Node) -> bool {
        // `null` is what an empty field (`securityContext:`) reads as, and the API
        // server treats it as absent: not an error.
        node.is_null()
            || match self {
                Want::Map => node.as_map().is_some(),
                Want::Seq => node.as_seq().is_some(),
                Want::Str => node.as_str().is_some(),
                Want::Bool => node.as_bool().is_some(),
                Want::Int => node.as_i64().is_some(),
            }
    }

    fn name(self) -> &'static str {
        match self {
            Want::Map => "a map",
            Want::Seq => "a list",
            Want::Str => "a string",
            Want::Bool => "a boolean",
            Want::Int => "an integer",
        }
    }
}

/// Checks one field; the path is built only when there is an error to report, since
/// this runs on every field of every object.
fn want(
    errors: &mut Vec<ShapeError>,
    node: Option<&Node>,
    path: impl FnOnce() -> String,
    want: Want,
) -> bool {
    match node {
        Some(n) if !want.accepts(n) => {
            errors.push(ShapeError {
                path: path(),
                pos: n.pos,
                message: format!("expected {}, found {}", want.name(), n.type_name()),
            });
            false
        }
        Some(n) => !n.is_null(),
        None => false,
    }
}

const CONTAINER_SC_BOOLS: &[&str] = &[
    "privileged",
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "runAsNonRoot",
];
const POD_BOOLS: &[&str] = &[
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "automountServiceAccountToken",
];

/// Checks the types of the fields that rules read, so that a wrong type becomes an
/// input error with a location instead of a silently skipped check.
pub fn check_shape(object: &Object) -> Vec<ShapeError> {
    let mut errors = Vec::new();
    let root: &Node = &object.root;
    for key in ["metadata", "spec"] {
        want(&mut errors, root.get(key), || key.to_string(), Want::Map);
    }
    let labels = root.path("metadata.labels");
    want(&mut errors, labels, || "metadata.labels".into(), Want::Map);
    let annotations = root.path("metadata.annotations");
    want(
        &mut errors,
        annotations,
        || "metadata.annotations".into(),
        Want::Map,
    );
    let Some((spec_path, _)) = template_paths(object.kind()) else {
        return errors;
    };
    if errors.iter().any(|e| e.path == "spec") {
        return errors; // reported once, above
    }
    // Intermediate maps down to the pod spec (`spec` itself was checked above).
    let mut node = Some(root);
    for (depth, part) in spec_path.split('.').enumerate() {
        node = node.and_then(|n| n.get(part));
        let walked = || {
            spec_path
                .split('.')
                .take(depth + 1)
                .collect::<Vec<_>>()
                .join(".")
        };
        if !want(&mut errors, node, walked, Want::Map) {
            return errors;
        }
    }
    let Some(spec) = node else { return errors };
    let at = |rest: &str| format!("{spec_path}.{rest}");
    for key in POD_BOOLS {
        want(&mut errors, spec.get(key), || at(key), Want::Bool);
    }
    want(
        &mut errors,
        spec.get("serviceAccountName"),
        || at("serviceAccountName"),
        Want::Str,
    );
    want(
        &mut errors,
        spec.get("securityContext"),
        || at("securityContext"),
        Want::Map,
    );
    for list in ["volumes", "tolerations"] {
        if want(&mut errors, spec.get(list), || at(list), Want::Seq) {
            each_map(&mut errors, spec.get(list), || at(list));
        }
    }
    for kind in [
        ContainerKind::Init,
        ContainerKind::Regular,
        ContainerKind::Ephemeral,
    ] {
        let list = spec.get(kind.field());
        if !want(&mut errors, list, || at(kind.field()), Want::Seq) {
            continue;
        }
        for (i, c) in list
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let cpath = || format!("{spec_path}.{}[{i}]", kind.field());
            if !want(&mut errors, Some(c), cpath, Want::Map) {
                continue;
            }
            want(
                &mut errors,
                c.get("name"),
                || format!("{}.name", cpath()),
                Want::Str,
            );
            want(
                &mut errors,
                c.get("image"),
                || format!("{}.image", cpath()),
                Want::Str,
            );
            if want(
                &mut errors,
                c.get("env"),
                || format!("{}.env", cpath()),
                Want::Seq,
            ) {
                each_map(&mut errors, c.get("env"), || format!("{}.env", cpath()));
            }
            let sc = c.get("securityContext");
            let sc_path = || format!("{}.securityContext", cpath());
            if want(&mut errors, sc, sc_path, Want::Map) {
                for key in CONTAINER_SC_BOOLS {
                    want(
                        &mut errors,
                        sc.and_then(|s| s.get(key)),
                        || format!("{}.{key}", sc_path()),
                        Want::Bool,
                    );
                }
                let run_as = sc.and_then(|s| s.get("runAsUser"));
                want(
                    &mut errors,
                    run_as,
                    || format!("{}.runAsUser", sc_path()),
                    Want::Int,
                );
            }
        }
    }
    errors
}

fn each_map(errors: &mut Vec<ShapeError>, list: Option<&Node>, path: impl Fn() -> String) {
    for (i, item) in list
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        want(errors, Some(item), || format!("{}[{i}]", path()), Want::Map);
    }
}
