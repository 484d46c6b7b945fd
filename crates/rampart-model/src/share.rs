//! One allocation for equal subtrees.
//!
//! A cluster repeats itself: the Pods of a ReplicaSet carry its template, ReplicaSets
//! of one Deployment differ in a label, and objects made from one chart have the same
//! `securityContext`, `resources` and `ports` at the same lines. [`Sharing`] makes
//! equal maps and sequences one allocation. "Equal" includes every position: objects
//! read from a cluster each have their own text, so two subtrees with the same keys,
//! values, lines and columns are the same as far as any rule or finding can tell, and
//! within one text two places never have the same position.
//!
//! Subtrees are compared bottom-up: children are shared first, so a parent compares
//! its children by address and every comparison is one level deep.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use crate::node::{Map, Node, Seq, Value};

/// The subtrees seen so far. Dropping it keeps the trees as they are.
#[derive(Debug, Default)]
pub struct Sharing {
    maps: HashSet<ByContent<Map>>,
    seqs: HashSet<ByContent<Seq>>,
}

impl Sharing {
    /// An empty table.
    pub fn new() -> Self {
        Sharing::default()
    }

    /// Replaces every map and sequence of `node` by an equal one seen before, and
    /// remembers the others.
    pub fn share(&mut self, node: &mut Node) {
        share_node(self, node, 0);
    }

    /// How many distinct maps and sequences are held.
    pub fn len(&self) -> usize {
        self.maps.len() + self.seqs.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Deeper than any real object (the loaders allow 1,000 levels); below it, subtrees
/// are left unshared, so the recursion stays shallow on hostile input.
const MAX_DEPTH: usize = 256;

fn share_node(table: &mut Sharing, node: &mut Node, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match &mut node.value {
        Value::Map(map) => {
            // A map held elsewhere too may be one this table handed out: then its
            // children are shared already and it is found as it is.
            if !map.entries.is_unique() && found(&table.maps, map) {
                return;
            }
            map.entries.with_mut(|entries| {
                for e in entries {
                    share_node(table, &mut e.value, depth + 1);
                }
            });
            if !found(&table.maps, map) {
                table.maps.insert(ByContent(map.clone()));
            }
        }
        Value::Seq(seq) => {
            if !seq.items.is_unique() && found(&table.seqs, seq) {
                return;
            }
            seq.items.with_mut(|items| {
                for n in items {
                    share_node(table, n, depth + 1);
                }
            });
            if !found(&table.seqs, seq) {
                table.seqs.insert(ByContent(seq.clone()));
            }
        }
        _ => {}
    }
}

/// Replaces `value` by the equal one in `held`, if there is one.
fn found<T: Clone>(held: &HashSet<ByContent<T>>, value: &mut T) -> bool
where
    ByContent<T>: Hash + Eq,
{
    match held.get(&ByContent(value.clone())) {
        Some(shared) => {
            *value = shared.0.clone();
            true
        }
        None => false,
    }
}

/// A map or sequence compared by its own content and positions, and its children by
/// address (they were shared first).
#[derive(Debug)]
struct ByContent<T>(T);

/// A child's value, one level deep.
fn hash_shallow<H: Hasher>(node: &Node, state: &mut H) {
    node.pos.hash(state);
    std::mem::discriminant(&node.value).hash(state);
    match &node.value {
        Value::Null => {}
        Value::Bool(b) => b.hash(state),
        Value::Int(i) => i.hash(state),
        Value::Float(f) => f.to_bits().hash(state),
        Value::Str(s) => s.as_str().hash(state),
        Value::Seq(s) => s.items.addr().hash(state),
        Value::Map(m) => m.entries.addr().hash(state),
    }
}

fn eq_shallow(a: &Node, b: &Node) -> bool {
    a.pos == b.pos
        && match (&a.value, &b.value) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
            (Value::Str(x), Value::Str(y)) => x == y,
            (Value::Seq(x), Value::Seq(y)) => Seq::ptr_eq(x, y),
            (Value::Map(x), Value::Map(y)) => Map::ptr_eq(x, y),
            _ => false,
        }
}

impl Hash for ByContent<Map> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.len().hash(state);
        for e in &self.0 {
            e.key.as_str().hash(state);
            e.key_pos.hash(state);
            hash_shallow(&e.value, state);
        }
    }
}

impl PartialEq for ByContent<Map> {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|(a, b)| {
                a.key == b.key && a.key_pos == b.key_pos && eq_shallow(&a.value, &b.value)
            })
    }
}

impl Eq for ByContent<Map> {}

impl Hash for ByContent<Seq> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.len().hash(state);
        for n in &self.0 {
            hash_shallow(n, state);
        }
    }
}

impl PartialEq for ByContent<Seq> {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| eq_shallow(a, b))
    }
}

impl Eq for ByContent<Seq> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Entry, Pos};
    use crate::text::intern;

    /// `{"spec": {"image": IMAGE, "ports": [80]}}` with the given first line.
    fn object(line: u32, image: &str) -> Node {
        let at = |l: u32, c: u32, value: Value| Node {
            pos: Pos::new(line + l, c),
            value,
        };
        let entry = |key: &str, l: u32, c: u32, value: Node| Entry {
            key: intern(key),
            key_pos: Pos::new(line + l, c),
            value,
        };
        let ports = at(2, 12, Value::Seq(vec![at(3, 5, Value::Int(80))].into()));
        let spec = at(
            1,
            11,
            Value::Map(Map::from_entries(vec![
                entry("image", 2, 3, at(2, 12, Value::Str(image.into()))),
                entry("ports", 3, 3, ports),
            ])),
        );
        at(
            0,
            1,
            Value::Map(Map::from_entries(vec![entry("spec", 1, 3, spec)])),
        )
    }

    fn spec(node: &Node) -> &Map {
        node.get("spec").and_then(Node::as_map).unwrap()
    }

    #[test]
    fn equal_subtrees_at_equal_positions_become_one() {
        let mut table = Sharing::new();
        let mut a = object(1, "nginx");
        let mut b = object(1, "nginx");
        let (a0, b0) = (a.clone(), b.clone());
        table.share(&mut a);
        table.share(&mut b);
        assert!(Map::ptr_eq(spec(&a), spec(&b)));
        assert!(Map::ptr_eq(a.as_map().unwrap(), b.as_map().unwrap()));
        // Nothing a rule reads changed.
        assert_eq!(a, a0);
        assert_eq!(b, b0);
        assert_eq!(table.len(), 3, "the root, `spec` and `ports`");
    }

    #[test]
    fn a_different_value_or_position_keeps_its_own_allocation() {
        let mut table = Sharing::new();
        let mut a = object(1, "nginx");
        let mut other_image = object(1, "redis");
        let mut other_line = object(2, "nginx");
        for n in [&mut a, &mut other_image, &mut other_line] {
            table.share(n);
        }
        assert!(!Map::ptr_eq(spec(&a), spec(&other_image)));
        assert!(!Map::ptr_eq(spec(&a), spec(&other_line)));
        assert_eq!(spec(&other_line).get("image").unwrap().pos, Pos::new(4, 12));
        // Same `ports` (same content at the same place) under different images.
        let ports = |n: &Node| match &spec(n).get("ports").unwrap().value {
            Value::Seq(s) => s.clone(),
            _ => unreachable!(),
        };
        assert!(Seq::ptr_eq(&ports(&a), &ports(&other_image)));
    }

    #[test]
    fn changing_a_shared_tree_leaves_the_others_alone() {
        let mut table = Sharing::new();
        let mut a = object(1, "nginx");
        let mut b = object(1, "nginx");
        table.share(&mut a);
        table.share(&mut b);
        let mut spec_b = b.take("spec").unwrap();
        spec_b.set_default_str("image", "ignored");
        spec_b.set_default_str("imagePullPolicy", "Always");
        assert_eq!(
            spec_b.get("imagePullPolicy").unwrap().as_str(),
            Some("Always")
        );
        assert!(b.get("spec").unwrap().is_null());
        assert_eq!(a, object(1, "nginx"));
        assert!(spec(&a).get("imagePullPolicy").is_none());
    }
}
