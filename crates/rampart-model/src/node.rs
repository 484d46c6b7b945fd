//! Spanned values: the tree every manifest, snapshot and admission request becomes.
//!
//! A [`Node`] is a JSON-like value that remembers where it was written. Maps keep their
//! keys in source order with the key's own position, so a finding can point at either
//! the key (`privileged:`) or its value (`true`).

use std::fmt;

use triomphe::{Arc, ThinArc};

use crate::text::{Text, intern};

/// A position in a source file: 1-based line and 1-based column (in characters).
///
/// `Pos::UNKNOWN` (line 0) marks values that came from no text, such as objects built
/// by hand in tests or read from a live cluster before they are given a text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// Line, starting at 1; 0 when unknown.
    pub line: u32,
    /// Column in characters, starting at 1; 0 when unknown.
    pub col: u32,
}

impl Pos {
    /// A position that points nowhere.
    pub const UNKNOWN: Pos = Pos { line: 0, col: 0 };

    /// Creates a position from a 1-based line and column.
    pub const fn new(line: u32, col: u32) -> Self {
        Pos { line, col }
    }

    /// Whether this position points into a text.
    pub const fn is_known(self) -> bool {
        self.line > 0
    }

    /// The same column, `delta` lines further down (used when a document was parsed
    /// on its own and its lines must be shifted to the file's numbering).
    #[must_use]
    pub const fn shifted(self, delta: u32) -> Self {
        if self.line == 0 {
            self
        } else {
            Pos {
                line: self.line + delta,
                col: self.col,
            }
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A value with the position where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the value starts.
    pub pos: Pos,
    /// The value itself.
    pub value: Value,
}

/// A JSON-shaped value, the way the Kubernetes API server sees a manifest after
/// `sigs.k8s.io/yaml` has turned it into JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty value.
    Null,
    /// `true`/`false` (and, from YAML 1.1, `yes`, `on`, ...).
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(Text),
    /// A sequence (one pointer, the length in its allocation; may be shared).
    Seq(Seq),
    /// A mapping with string keys, in source order.
    Map(Map),
}

/// A mapping: entries in source order. Lookups are linear, which is faster than
/// hashing for the handful of keys a Kubernetes object has at each level.
///
/// Sizes matter here: a 20,000-object cluster has close to a million entries. With
/// [`Text`] and the entries one pointer wide each, a [`Value`] is 16 bytes, a [`Node`]
/// 24 and an [`Entry`] 40 (they were 24, 32 and 56).
///
/// The entries sit in one reference-counted allocation (count and length first), so
/// equal subtrees can be one allocation ([`crate::share`]): a cluster's Pods repeat
/// their ReplicaSet's template, down to the line. Maps are immutable once shared; the
/// few mutations copy a shared map first.
#[derive(Clone, PartialEq)]
pub struct Map {
    pub(crate) entries: Shared<Entry>,
}

/// A sequence: its items in one reference-counted allocation, like a [`Map`]'s entries.
#[derive(Clone, PartialEq)]
pub struct Seq {
    pub(crate) items: Shared<Node>,
}

/// A slice in one reference-counted allocation: a [`Map`]'s entries, a [`Seq`]'s
/// items.
#[derive(Clone, PartialEq)]
pub(crate) struct Shared<T>(ThinArc<(), T>);

impl<T> Shared<T> {
    fn new(items: Vec<T>) -> Self {
        Shared(ThinArc::from_header_and_iter((), items.into_iter()))
    }

    fn slice(&self) -> &[T] {
        &self.0.slice
    }

    /// Whether both are one allocation.
    pub(crate) fn ptr_eq(a: &Self, b: &Self) -> bool {
        std::ptr::eq(a.0.ptr(), b.0.ptr())
    }

    /// The allocation's address, for identity (see [`crate::share`]).
    pub(crate) fn addr(&self) -> usize {
        self.0.ptr().addr()
    }

    /// Whether no other tree shares the slice.
    pub(crate) fn is_unique(&self) -> bool {
        ThinArc::strong_count(&self.0) == 1
    }
}

impl<T: Clone> Shared<T> {
    /// Runs `f` on the slice, copying it first when another tree shares it (`f` sees an
    /// empty slice only if that copy could not be made unique, which cannot happen).
    pub(crate) fn with_mut<R>(&mut self, f: impl FnOnce(&mut [T]) -> R) -> R {
        if !self.is_unique() {
            *self = Shared(ThinArc::from_header_and_iter(
                (),
                self.0.slice.iter().cloned(),
            ));
        }
        self.0.with_arc_mut(|a| match Arc::get_mut(a) {
            Some(unique) => f(unique.slice_mut()),
            None => f(&mut []),
        })
    }
}

/// One `key: value` pair of a [`Map`].
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key.
    pub key: Text,
    /// Where the key is written.
    pub key_pos: Pos,
    /// The value.
    pub value: Node,
}

impl Map {
    /// Builds a map from entries; later duplicates of a key are kept as written (the
    /// loaders resolve duplicates before building, so lookups see the first match).
    pub fn from_entries(entries: Vec<Entry>) -> Self {
        Map {
            entries: Shared::new(entries),
        }
    }

    /// Whether both are one allocation (see [`crate::share`]).
    pub fn ptr_eq(a: &Map, b: &Map) -> bool {
        Shared::ptr_eq(&a.entries, &b.entries)
    }

    /// Adds an entry at the end.
    pub fn push(&mut self, entry: Entry) {
        let entries = self.iter().cloned().chain(std::iter::once(entry)).collect();
        self.entries = Shared::new(entries);
    }

    /// The entry for `key`, if any.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.slice().iter().find(|e| &*e.key == key)
    }

    /// The value for `key`, if any.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// All entries in source order.
    pub fn iter(&self) -> std::slice::Iter<'_, Entry> {
        self.entries.slice().iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.slice().len()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.slice().is_empty()
    }
}

impl Default for Map {
    fn default() -> Self {
        Map::from_entries(Vec::new())
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("entries", &self.entries.slice())
            .finish()
    }
}

impl Seq {
    /// Whether both are one allocation (see [`crate::share`]).
    pub fn ptr_eq(a: &Seq, b: &Seq) -> bool {
        Shared::ptr_eq(&a.items, &b.items)
    }

    /// Moves the items out (copying them when another tree shares them).
    pub fn into_vec(mut self) -> Vec<Node> {
        self.items.with_mut(|items| {
            items
                .iter_mut()
                .map(|n| std::mem::replace(n, Node::new(Value::Null)))
                .collect()
        })
    }
}

impl std::ops::Deref for Seq {
    type Target = [Node];
    fn deref(&self) -> &[Node] {
        self.items.slice()
    }
}

impl Default for Seq {
    fn default() -> Self {
        Seq::from(Vec::new())
    }
}

impl From<Vec<Node>> for Seq {
    fn from(items: Vec<Node>) -> Self {
        Seq {
            items: Shared::new(items),
        }
    }
}

impl FromIterator<Node> for Seq {
    fn from_iter<I: IntoIterator<Item = Node>>(iter: I) -> Self {
        Seq::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl From<Seq> for Vec<Node> {
    fn from(seq: Seq) -> Self {
        seq.into_vec()
    }
}

impl fmt::Debug for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<'a> IntoIterator for &'a Seq {
    type Item = &'a Node;
    type IntoIter = std::slice::Iter<'a, Node>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = &'a Entry;
    type IntoIter = std::slice::Iter<'a, Entry>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.slice().iter()
    }
}

impl Node {
    /// A node with no position.
    pub fn new(value: Value) -> Self {
        Node {
            pos: Pos::UNKNOWN,
            value,
        }
    }

    /// Moves the value out, leaving `null` (a `Node` cannot be destructured: it frees
    /// deep trees iteratively in `Drop`).
    pub fn into_value(mut self) -> Value {
        std::mem::replace(&mut self.value, Value::Null)
    }

    /// Sets `key` to a string when a mapping lacks it (or holds an empty value); the
    /// entry has no position of its own, so it takes the mapping's.
    pub fn set_default_str(&mut self, key: &str, value: &str) {
        let pos = self.pos;
        let Value::Map(m) = &mut self.value else {
            return;
        };
        if let Some(e) = m.entry(key) {
            if e.value.is_null() || e.value.as_str() == Some("") {
                m.entries.with_mut(|entries| {
                    if let Some(e) = entries.iter_mut().find(|e| &*e.key == key) {
                        e.value = Node {
                            pos,
                            value: Value::Str(value.into()),
                        };
                    }
                });
            }
            return;
        }
        m.push(Entry {
            key: intern(key),
            key_pos: pos,
            value: Node {
                pos,
                value: Value::Str(intern(value)),
            },
        });
    }

    /// Moves the value under `key` out of a map, leaving `null` in its place.
    pub fn take(&mut self, key: &str) -> Option<Node> {
        match &mut self.value {
            Value::Map(m) if m.entry(key).is_some() => m.entries.with_mut(|entries| {
                entries.iter_mut().find(|e| &*e.key == key).map(|e| Node {
                    pos: e.value.pos,
                    value: std::mem::replace(&mut e.value.value, Value::Null),
                })
            }),
            _ => None,
        }
    }

    /// The value under `key` when this is a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// The entry (key with its position) under `key` when this is a map.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map().and_then(|m| m.entry(key))
    }

    /// Follows a dotted path of map keys (`"spec.template.spec"`).
    pub fn path(&self, dotted: &str) -> Option<&Node> {
        dotted.split('.').try_fold(self, |node, key| node.get(key))
    }

    /// The map, if this is one.
    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence, if this is one.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The integer, if this is one (floats with no fraction count, as they do for
    /// the API server's JSON decoding into integer fields).
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            #[allow(clippy::cast_possible_truncation, clippy::float_cmp)]
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The string form of a scalar (for labels and annotations, which are strings).
    pub fn scalar_string(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// The JSON type name of the value, for diagnostics (`expected a list, found a string`).
    pub fn type_name(&self) -> &'static str {
        self.value.type_name()
    }

    /// Converts to a plain `serde_json::Value` (positions are dropped).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::Seq(s) => serde_json::Value::Array(s.iter().map(Node::to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Builds a node (without positions) from a `serde_json::Value`.
    pub fn from_json(value: &serde_json::Value) -> Self {
        let value = match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN)), Value::Int),
            serde_json::Value::String(s) => Value::Str(intern(s)),
            serde_json::Value::Array(a) => Value::Seq(a.iter().map(Node::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(Map::from_entries(
                o.iter()
                    .map(|(k, v)| Entry {
                        key: intern(k),
                        key_pos: Pos::UNKNOWN,
                        value: Node::from_json(v),
                    })
                    .collect(),
            )),
        };
        Node::new(value)
    }
}

impl Value {
    /// The JSON type name, for diagnostics.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }
}

impl Drop for Node {
    // A 20,000-deep document would otherwise be freed by 20,000 nested calls and can
    // overflow a worker thread's stack. Loaders cap nesting, but hand-built trees and
    // future loaders should not have to remember that: free iteratively.
    fn drop(&mut self) {
        let mut stack: Vec<Node> = Vec::new();
        take_children(&mut self.value, &mut stack);
        while let Some(mut node) = stack.pop() {
            take_children(&mut node.value, &mut stack);
        }
    }
}

/// Moves the children that have children of their own onto `stack`, unless another
/// tree shares them (then dropping this tree only lowers a count).
fn take_children(value: &mut Value, stack: &mut Vec<Node>) {
    let mut take = |node: &mut Node| {
        if node.has_children() {
            stack.push(std::mem::replace(node, Node::new(Value::Null)));
        }
    };
    match value {
        Value::Seq(seq) if seq.items.is_unique() => {
            seq.items
                .with_mut(|items| items.iter_mut().for_each(&mut take));
        }
        Value::Map(map) if map.entries.is_unique() => {
            map.entries
                .with_mut(|entries| entries.iter_mut().for_each(|e| take(&mut e.value)));
        }
        _ => {}
    }
}

impl Node {
    fn has_children(&self) -> bool {
        match &self.value {
            Value::Seq(s) => !s.is_empty(),
            Value::Map(m) => !m.is_empty(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_stays_small() {
        // A 20,000-object cluster holds close to a million entries: every byte here is
        // a megabyte of peak memory.
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<Node>(), 24);
        assert_eq!(std::mem::size_of::<Entry>(), 40);
    }
}
