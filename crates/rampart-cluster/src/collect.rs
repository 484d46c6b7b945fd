//! Objects read from a cluster or a snapshot, turned into Rampart objects one at a time.
//!
//! Each object is reduced ([`crate::reduce`]), printed as `kubectl get -o json` prints
//! it, and loaded through the same JSON loader as a file, so every key and value gets a
//! line and column. The text itself is not kept: findings name a virtual file per
//! object (`CONTEXT/KIND/NAMESPACE/NAME`) with positions in that text, and
//! [`with_texts`] prints again the few texts a report shows as code frames. Printing
//! is deterministic, so a live scan and a scan of its snapshot give the same findings,
//! down to the line.

use std::fmt;
use std::sync::Arc;

use rampart_model::{FileId, Files, InputDiagnostic, Object, Origin, Sharing, SourceFile};
use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::Value;

use crate::reduce::reduce;
use crate::resources::rank;

/// One converted object waiting for its file id.
#[derive(Debug)]
struct Pending {
    name: String,
    object: Object,
    diagnostics: Vec<InputDiagnostic>,
}

/// Collects objects as they stream in; [`Collector::finish`] orders them.
///
/// Equal subtrees of the objects become one allocation as they come in
/// ([`rampart_model::share`]): a Pod repeats its ReplicaSet's template, and objects
/// printed from one chart repeat each other at the same lines. On the 20,000-object
/// cluster of `benches/live.sh` this keeps a quarter of the map entries.
#[derive(Debug)]
pub struct Collector {
    context: String,
    /// Objects by [`rank`] of their kind.
    buckets: Vec<Vec<Pending>>,
    count: usize,
    sharing: Sharing,
}

/// Objects ready for an [`rampart_model::Inventory`].
#[derive(Debug, Default)]
pub struct Collected {
    /// One file per object, named after it, with an empty text (see [`with_texts`]).
    pub files: Files,
    /// The objects, by kind (in [`crate::resources::RESOURCES`] order), namespace and
    /// name.
    pub objects: Vec<Object>,
    /// Problems with the objects' shapes, as a file scan reports them.
    pub diagnostics: Vec<InputDiagnostic>,
}

impl Collector {
    /// An empty collector; `context` prefixes the objects' file names.
    pub fn new(context: &str) -> Self {
        Collector {
            context: context.to_string(),
            buckets: Vec::new(),
            count: 0,
            sharing: Sharing::new(),
        }
    }

    /// How many objects are held.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no object is held.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Reduces and converts one object. `kind` and `api_version` fill in what the
    /// items of a typed list leave out.
    pub fn add(&mut self, value: Value, kind: &str, api_version: &str) {
        let Some(mut pending) = convert(&self.context, value, kind, api_version) else {
            return;
        };
        if let Some(root) = Arc::get_mut(&mut pending.object.root) {
            self.sharing.share(root);
        }
        let slot = rank(pending.object.kind());
        if self.buckets.len() <= slot {
            self.buckets.resize_with(slot + 1, Vec::new);
        }
        if let Some(bucket) = self.buckets.get_mut(slot) {
            bucket.push(pending);
            self.count += 1;
        }
    }

    /// Forgets every object of a kind (its list is being read again from the start).
    pub fn discard(&mut self, kind: &str) {
        if let Some(bucket) = self.buckets.get_mut(rank(kind)) {
            self.count -= bucket.len();
            bucket.clear();
            // Let go of the forgotten objects' subtrees.
            self.sharing = Sharing::new();
        }
    }

    /// Orders the objects (kind, namespace, name) and gives each its file.
    pub fn finish(self) -> Collected {
        let mut collected = Collected::default();
        collected.files.reserve(self.count);
        collected.objects.reserve_exact(self.count);
        for mut bucket in self.buckets {
            bucket.sort_by(|a, b| {
                (a.object.namespace(), a.object.name())
                    .cmp(&(b.object.namespace(), b.object.name()))
            });
            for mut pending in bucket {
                let file = collected
                    .files
                    .add(SourceFile::new(pending.name, String::new()));
                pending.object.origin = Origin::File {
                    file,
                    document: 0,
                    item: None,
                };
                for mut d in pending.diagnostics {
                    d.file = Some(file);
                    collected.diagnostics.push(d);
                }
                collected.objects.push(pending.object);
            }
        }
        collected
    }
}

/// A JSON array of objects (a list's `items`, a snapshot's `objects`), fed to a
/// collector one element at a time: only one object is ever held as JSON.
pub(crate) struct Items<'c> {
    /// Where the objects go.
    pub collector: &'c mut Collector,
    /// What a typed list's items leave out (empty: every item says).
    pub kind: &'c str,
    /// Likewise.
    pub api_version: &'c str,
    /// Keep only `metadata` (Secrets, whatever the server sent).
    pub metadata_only: bool,
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of Kubernetes objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(mut object) = seq.next_element::<Value>()? {
            if self.metadata_only {
                // Whatever came back, only metadata is kept (see `reduce`).
                if let Some(map) = object.as_object_mut() {
                    map.retain(|k, _| k == "metadata");
                    map.insert("kind".into(), Value::String("Secret".into()));
                    map.insert("apiVersion".into(), Value::String("v1".into()));
                }
            }
            self.collector.add(object, self.kind, self.api_version);
        }
        Ok(())
    }
}

/// Reduces one object and converts it; `None` when the text holds no object.
fn convert(context: &str, mut value: Value, kind: &str, api_version: &str) -> Option<Pending> {
    if let Some(map) = value.as_object_mut() {
        map.entry("kind")
            .or_insert_with(|| Value::String(kind.to_string()));
        map.entry("apiVersion")
            .or_insert_with(|| Value::String(api_version.to_string()));
    }
    reduce(&mut value);
    let field = |path: &[&str]| {
        path.iter()
            .try_fold(&value, |v, k| v.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let kind = field(&["kind"]);
    let name = file_name(
        context,
        &kind,
        &field(&["metadata", "namespace"]),
        &field(&["metadata", "name"]),
    );
    let text = print(&value);
    drop(value);
    let loaded = rampart_source::load_str(&name, &text);
    drop(text);
    let object = loaded.objects.into_iter().next()?;
    Some(Pending {
        name,
        object,
        diagnostics: loaded.diagnostics,
    })
}

/// One object as a watch keeps it: reduced, converted, held in memory (no file).
pub(crate) fn object(value: Value, kind: &str, api_version: &str) -> Option<Object> {
    let mut object = convert("cluster", value, kind, api_version)?.object;
    object.origin = Origin::Memory;
    Some(object)
}

/// The text an object is read from: `kubectl get -o json`'s layout.
fn print(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// `CONTEXT/KIND/NAMESPACE/NAME` (no namespace for cluster-scoped kinds).
fn file_name(context: &str, kind: &str, namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        format!("{context}/{kind}/{name}")
    } else {
        format!("{context}/{kind}/{namespace}/{name}")
    }
}

/// Gives the objects' files back their texts where `needed` says so (the files a
/// report shows code frames of). The texts are printed again from the objects, exactly
/// as they were printed when read.
pub fn with_texts(files: Files, objects: &[Object], needed: impl Fn(FileId) -> bool) -> Files {
    let mut by_file: std::collections::HashMap<FileId, &Object> = std::collections::HashMap::new();
    for o in objects {
        if let Some(f) = o.file() {
            by_file.insert(f, o);
        }
    }
    let mut out = Files::default();
    for (id, file) in files.into_files() {
        let text = match by_file.get(&id) {
            Some(o) if file.text.is_empty() && needed(id) => print(&o.root.to_json()),
            _ => file.text,
        };
        out.add(SourceFile::new(file.name, text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_get_positions_and_come_out_in_order() {
        let mut c = Collector::new("kind-test");
        c.add(
            json!({"metadata": {"name": "b", "namespace": "ns"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
            "Pod",
            "v1",
        );
        c.add(json!({"metadata": {"name": "ns"}}), "Namespace", "v1");
        c.add(
            json!({"metadata": {"name": "a", "namespace": "ns"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
            "Pod",
            "v1",
        );
        assert_eq!(c.len(), 3);
        let collected = c.finish();
        let names: Vec<&str> = collected
            .files
            .iter()
            .map(|(_, f)| f.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "kind-test/Namespace/ns",
                "kind-test/Pod/ns/a",
                "kind-test/Pod/ns/b"
            ]
        );
        let pod = &collected.objects[1];
        let image = pod.root.path("spec.containers").unwrap().as_seq().unwrap()[0]
            .get("image")
            .unwrap();
        assert!(image.pos.is_known());
        let files = with_texts(collected.files, &collected.objects, |_| true);
        let file = files.get(pod.file().unwrap()).unwrap();
        assert_eq!(
            file.line(image.pos.line).unwrap().trim(),
            "\"image\": \"nginx\",",
            "the printed text matches the positions"
        );
    }

    #[test]
    fn replicas_share_their_spec() {
        let pod = |name: &str, image: &str| {
            json!({"metadata": {"name": name, "namespace": "web"},
                "spec": {"containers": [{"name": "c", "image": image}]}})
        };
        let mut c = Collector::new("x");
        c.add(pod("web-1", "nginx:1"), "Pod", "v1");
        c.add(pod("web-2", "nginx:1"), "Pod", "v1");
        c.add(pod("web-3", "nginx:2"), "Pod", "v1");
        let objects = c.finish().objects;
        let spec = |i: usize| objects[i].root.get("spec").unwrap().as_map().unwrap();
        assert!(rampart_model::Map::ptr_eq(spec(0), spec(1)));
        assert!(!rampart_model::Map::ptr_eq(spec(0), spec(2)));
        assert_eq!(
            objects[1].name(),
            "web-2",
            "the objects keep their own identity"
        );
        let image = |i: usize| {
            spec(i).get("containers").unwrap().as_seq().unwrap()[0]
                .get("image")
                .unwrap()
                .as_str()
        };
        assert_eq!(image(2), Some("nginx:2"));
    }

    #[test]
    fn discard_forgets_a_kind() {
        let mut c = Collector::new("x");
        c.add(
            json!({"metadata": {"name": "a"}}),
            "ClusterRole",
            "rbac.authorization.k8s.io/v1",
        );
        c.add(json!({"metadata": {"name": "n"}}), "Node", "v1");
        c.discard("ClusterRole");
        assert_eq!(c.len(), 1);
        assert_eq!(c.finish().objects.len(), 1);
    }
}
