//! Spanned values: the tree every manifest, snapshot and admission request becomes.
//!
//! A [`Node`] is a JSON-like value that remembers where it was written. Maps keep their
//! keys in source order with the key's own position, so a finding can point at either
//! the key (`privileged:`) or its value (`true`).

use std::fmt;

use thin_vec::ThinVec;

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
    /// A sequence (a thin vector: one pointer, the length in its allocation).
    Seq(ThinVec<Node>),
    /// A mapping with string keys, in source order.
    Map(Map),
}

/// A mapping: entries in source order. Lookups are linear, which is faster than
/// hashing for the handful of keys a Kubernetes object has at each level.
///
/// Sizes matter here: a 20,000-object cluster has close to a million entries. With
/// [`Text`] and the entries one pointer wide each, a [`Value`] is 16 bytes, a [`Node`]
/// 24 and an [`Entry`] 40 (they were 24, 32 and 56).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    entries: ThinVec<Entry>,
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
            entries: ThinVec::from(entries),
        }
    }

    /// The entry for `key`, if any.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| &*e.key == key)
    }

    /// The value for `key`, if any.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// All entries in source order.
    pub fn iter(&self) -> std::slice::Iter<'_, Entry> {
        self.entries.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = &'a Entry;
    type IntoIter = std::slice::Iter<'a, Entry>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
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
        if let Some(e) = m.entries.iter_mut().find(|e| &*e.key == key) {
            if e.value.is_null() || e.value.as_str() == Some("") {
                e.value = Node {
                    pos,
                    value: Value::Str(value.into()),
                };
            }
            return;
        }
        m.entries.push(Entry {
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
            Value::Map(m) => m.entries.iter_mut().find(|e| &*e.key == key).map(|e| {
                let pos = e.value.pos;
                Node {
                    pos,
                    value: std::mem::replace(&mut e.value.value, Value::Null),
                }
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

fn take_children(value: &mut Value, stack: &mut Vec<Node>) {
    match value {
        Value::Seq(items) if items.iter().any(Node::has_children) => {
            stack.extend(std::mem::take(items));
        }
        Value::Map(map) if map.entries.iter().any(|e| e.value.has_children()) => {
            stack.extend(std::mem::take(&mut map.entries).into_iter().map(|e| {
                let Entry { value, .. } = e;
                value
            }));
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
