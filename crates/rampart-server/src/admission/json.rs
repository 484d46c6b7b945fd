//! The request's object read straight into a [`Node`], without a `serde_json::Value`
//! in between (which doubled the allocations of a request).
//!
//! The tree is the one [`Node::from_json`] builds from a `serde_json::Value`: integers
//! that fit in 64 signed bits are `Int`, every other number `Float`; map keys in
//! `serde_json::Map` order (sorted, as this build has no `preserve_order`), and of a
//! key written twice the last value.

use std::fmt;

use rampart_model::{Entry, Map, Node, Pos, Text, Value, intern};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A [`Node`] deserialised from JSON.
#[derive(Debug)]
pub(crate) struct JsonNode(pub(crate) Node);

impl<'de> Deserialize<'de> for JsonNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor).map(JsonNode)
    }
}

struct NodeVisitor;

fn node(value: Value) -> Node {
    Node {
        pos: Pos::UNKNOWN,
        value,
    }
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(node(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(node(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
        Ok(node(Value::Bool(b)))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Node, E> {
        Ok(node(Value::Int(i)))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Node, E> {
        #[allow(clippy::cast_precision_loss)]
        Ok(node(
            i64::try_from(u).map_or_else(|_| Value::Float(u as f64), Value::Int),
        ))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Node, E> {
        Ok(node(Value::Float(f)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node, E> {
        Ok(node(Value::Str(intern(s))))
    }

    fn visit_string<E>(self, s: String) -> Result<Node, E> {
        Ok(node(Value::Str(intern(&s))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(JsonNode(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(node(Value::Seq(items.into())))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<Entry> = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(key) = map.next_key::<Key>()? {
            let JsonNode(value) = map.next_value()?;
            entries.push(Entry {
                key: key.0,
                key_pos: Pos::UNKNOWN,
                value,
            });
        }
        Ok(node(Value::Map(Map::from_entries(sorted_last_wins(
            entries,
        )))))
    }
}

/// Entries in key order, one per key, the last written winning (`BTreeMap::insert`).
fn sorted_last_wins(mut entries: Vec<Entry>) -> Vec<Entry> {
    if entries
        .windows(2)
        .all(|w| matches!(w, [a, b] if a.key < b.key))
    {
        return entries;
    }
    // Stable: among equal keys, the written order stays, so the last is the winner.
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
    for e in entries {
        match out.last_mut() {
            Some(last) if last.key == e.key => *last = e,
            _ => out.push(e),
        }
    }
    out
}

/// A map key.
struct Key(Text);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key, E> {
                Ok(Key(intern(s)))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Key, E> {
                Ok(Key(intern(&s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(text: &str) -> (Node, Node) {
        let direct = serde_json::from_str::<JsonNode>(text).map(|n| n.0);
        let via_value =
            serde_json::from_str::<serde_json::Value>(text).map(|v| Node::from_json(&v));
        (
            direct.unwrap_or_else(|e| panic!("{text}: {e}")),
            via_value.unwrap_or_else(|e| panic!("{text}: {e}")),
        )
    }

    #[test]
    fn builds_the_tree_node_from_json_builds() {
        for text in [
            r#"{"b": 1, "a": [true, null, -3, 18446744073709551615, 9223372036854775807, 1.5, 2.0, 1e300], "c": {"z": "x\u00e9\n", "y": {}}}"#,
            r#"{"k": 1, "k": 2, "a": 0, "k": {"q": [1]}}"#,
            r#"{"spec": {"containers": [{"name": "c", "image": "nginx"}]}, "apiVersion": "v1", "kind": "Pod"}"#,
            "[]",
            r#""s""#,
            "-0.0",
            r#"{"": 1, "\"": 2, "é": 3, "e": 4}"#,
        ] {
            let (direct, via_value) = both(text);
            assert_eq!(direct, via_value, "{text}");
        }
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        for text in ["{", "{\"a\" 1}", "[1,]", "nul", deep.as_str()] {
            assert!(serde_json::from_str::<JsonNode>(text).is_err(), "{text}");
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text}"
            );
        }
    }
}
