//! The cluster as one value.

use std::collections::{BTreeMap, HashMap};

use crate::facts::{ClusterFacts, KubeVersion};
use crate::files::Files;
use crate::object::Object;
use crate::text::Text;
use crate::workload::PodTemplate;

/// Every object of a run, indexed by kind and by (kind, namespace, name), with the
/// cluster facts. Files, a live cluster and a snapshot all produce one; rules read
/// nothing else.
#[derive(Debug, Default)]
pub struct Inventory {
    /// The texts objects were read from.
    pub files: Files,
    /// All objects, in input order.
    pub objects: Vec<Object>,
    /// Version and component flags.
    pub facts: ClusterFacts,
    by_kind: HashMap<String, Vec<usize>>,
    by_name: HashMap<(Text, Option<Text>, Text), usize>,
    namespaces: BTreeMap<String, Option<usize>>,
}

impl Inventory {
    /// Indexes the objects and gathers the cluster facts.
    pub fn new(files: Files, mut objects: Vec<Object>, version: Option<KubeVersion>) -> Self {
        for (i, o) in objects.iter_mut().enumerate() {
            o.index = i;
        }
        let mut by_kind: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_name = HashMap::with_capacity(objects.len());
        let mut namespaces = BTreeMap::new();
        for (i, o) in objects.iter().enumerate() {
            match by_kind.get_mut(o.kind()) {
                Some(list) => list.push(i),
                None => {
                    by_kind.insert(o.kind().to_string(), vec![i]);
                }
            }
            by_name
                .entry((o.id.kind.clone(), o.id.namespace.clone(), o.id.name.clone()))
                .or_insert(i);
            if o.kind() == "Namespace" && o.id.api_version == "v1" {
                namespaces.insert(o.name().to_string(), Some(i));
            }
        }
        for o in &objects {
            if let Some(ns) = o.namespace() {
                namespaces.entry(ns.to_string()).or_insert(None);
            }
        }
        let facts = ClusterFacts::gather(&objects, version);
        Inventory {
            files,
            objects,
            facts,
            by_kind,
            by_name,
            namespaces,
        }
    }

    /// Objects of a kind, in input order.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = (usize, &'a Object)> + 'a {
        self.by_kind
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| (i, &self.objects[i]))
    }

    /// The object of a kind with this namespace and name.
    pub fn get(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&Object> {
        self.by_name
            .get(&(
                Text::from(kind),
                namespace.map(Text::from),
                Text::from(name),
            ))
            .map(|&i| &self.objects[i])
    }

    /// Every namespace, explicit (with its object's index) or implied by an object in it.
    pub fn namespaces(&self) -> impl Iterator<Item = (&str, Option<usize>)> {
        self.namespaces.iter().map(|(n, i)| (n.as_str(), *i))
    }

    /// Every pod template, with the index of its object.
    pub fn pod_templates(&self) -> impl Iterator<Item = (usize, PodTemplate<'_>)> {
        self.objects
            .iter()
            .enumerate()
            .filter_map(|(i, o)| Some((i, PodTemplate::of(o)?)))
    }
}
