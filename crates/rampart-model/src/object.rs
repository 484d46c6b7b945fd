//! Kubernetes objects with their origin.

use std::sync::Arc;

use crate::node::{Node, Pos};
use crate::text::{Text, intern};

/// Index of a source file in [`crate::Files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// Where an object came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A document of a file (or of stdin, or of a rendered kustomization).
    File {
        /// The file.
        file: FileId,
        /// 0-based index of the YAML document in the file.
        document: u32,
        /// For items of a `kind: List`, their index in `items`.
        item: Option<u32>,
    },
    /// Built in memory (tests, admission requests without a text).
    Memory,
}

/// The identity of an object, as findings and reports name it.
///
/// Its strings are shared ([`Text`]): every finding on an object carries a copy of its
/// identity, and a scan of a large cluster has tens of thousands of findings.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: Text,
    /// `kind`, e.g. `Deployment`.
    pub kind: Text,
    /// Namespace as the API server would store it: explicit, else `default` for
    /// namespaced kinds, `None` for cluster-scoped kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Text>,
    /// `metadata.name` (or `generateName` followed by `*`).
    pub name: Text,
}

/// One Kubernetes object: its identity, origin and spanned content.
#[derive(Clone, Debug)]
pub struct Object {
    /// apiVersion, kind, namespace and name.
    pub id: ObjectRef,
    /// Where it came from.
    pub origin: Origin,
    /// The whole object. Items of a `List` keep their own subtree, so their positions
    /// point into the list's file. Shared: cloning an object (as the admission webhook
    /// does with its cluster context, per request) does not copy the tree.
    pub root: Arc<Node>,
    /// The field path prefix of `root` inside its document (`items[3]` for list items,
    /// empty otherwise), so findings can show the path a user sees in the file.
    pub path_prefix: String,
    /// Position in [`crate::Inventory::objects`], set when the inventory is built.
    pub index: usize,
}

impl Object {
    /// Builds an object from a node that has `apiVersion` and `kind`; the namespace is
    /// resolved as the API server does (`default` for namespaced kinds).
    pub fn new(root: Node, origin: Origin, path_prefix: String) -> Self {
        let text = |path: &str| root.path(path).and_then(Node::scalar_string);
        let api_version = text("apiVersion").unwrap_or_default();
        let kind = text("kind").unwrap_or_default();
        let name = text("metadata.name")
            .or_else(|| text("metadata.generateName").map(|g| format!("{g}*")))
            .unwrap_or_default();
        let namespace = if is_cluster_scoped(&kind) {
            None
        } else {
            Some(
                text("metadata.namespace")
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "default".into()),
            )
        };
        Object {
            id: ObjectRef {
                api_version: intern(&api_version),
                kind: intern(&kind),
                namespace: namespace.as_deref().map(intern),
                name: intern(&name),
            },
            origin,
            root: Arc::new(root),
            path_prefix,
            index: 0,
        }
    }

    /// `kind`.
    pub fn kind(&self) -> &str {
        &self.id.kind
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.id.name
    }

    /// The namespace (`None` for cluster-scoped kinds).
    pub fn namespace(&self) -> Option<&str> {
        self.id.namespace.as_deref()
    }

    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        self.id.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// `metadata`.
    pub fn metadata(&self) -> Option<&Node> {
        self.root.get("metadata")
    }

    /// A label of the object.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.root
            .path("metadata.labels")
            .and_then(|l| l.get(key))
            .and_then(Node::as_str)
    }

    /// An annotation of the object.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root
            .path("metadata.annotations")
            .and_then(|l| l.get(key))
            .and_then(Node::as_str)
    }

    /// The position of the object itself (its first key).
    pub fn pos(&self) -> Pos {
        self.root.entry("kind").map_or(self.root.pos, |e| e.key_pos)
    }

    /// The file the object came from.
    pub fn file(&self) -> Option<FileId> {
        match self.origin {
            Origin::File { file, .. } => Some(file),
            Origin::Memory => None,
        }
    }

    /// A field path as the user sees it in the file (`items[2].spec...` for list items).
    pub fn display_path(&self, path: &str) -> String {
        match (self.path_prefix.is_empty(), path.is_empty()) {
            (true, _) => path.to_string(),
            (false, true) => self.path_prefix.clone(),
            (false, false) => format!("{}.{path}", self.path_prefix),
        }
    }
}

/// Whether a kind is cluster-scoped. Kinds not known here are treated as namespaced,
/// as most custom resources are.
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "StorageClass"
            | "CSIDriver"
            | "CSINode"
            | "VolumeAttachment"
            | "PriorityClass"
            | "RuntimeClass"
            | "IngressClass"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "MutatingAdmissionPolicy"
            | "MutatingAdmissionPolicyBinding"
            | "APIService"
            | "CertificateSigningRequest"
            | "PodSecurityPolicy"
            | "FlowSchema"
            | "PriorityLevelConfiguration"
            | "ClusterPolicyReport"
            | "AdminNetworkPolicy"
            | "BaselineAdminNetworkPolicy"
            | "ClusterIssuer"
            | "ClusterPolicy"
            | "DeviceClass"
            | "IPAddress"
            | "ServiceCIDR"
    )
}
