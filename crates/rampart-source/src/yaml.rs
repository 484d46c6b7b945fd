//! YAML documents to [`Node`] trees, with positions, over saphyr-parser's event stream.
//!
//! We drive the parser's event iterator ourselves instead of its recursive `load`, so
//! nesting depth, alias expansion and duplicate keys are ours to bound and report: a
//! hostile document is an error with a location, never a stack overflow or a panic.

use std::collections::HashMap;

use rampart_model::{Entry, Map, Node, Pos, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::resolve::{key_string, resolve_plain};

/// Deepest nesting accepted. Real manifests (CRD schemas included) stay under 100.
pub(crate) const MAX_DEPTH: usize = 1_000;
/// Most nodes that aliases may copy into one document (a "billion laughs" stops here).
const MAX_ALIAS_NODES: usize = 1_000_000;

/// An error in a document, with where it happened (lines relative to the parsed text).
#[derive(Debug)]
pub(crate) struct YamlError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
}

/// A document and the warnings met while reading it.
pub(crate) struct Document {
    /// The root, `None` for an empty document.
    pub(crate) root: Option<Node>,
    /// Doubts that did not stop the read (duplicate keys).
    pub(crate) warnings: Vec<YamlError>,
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map(MapFrame),
}

struct MapFrame {
    pos: Pos,
    anchor: usize,
    entries: Vec<Entry>,
    index: Option<HashMap<Box<str>, usize>>,
    key: Option<(Box<str>, Pos, bool)>,
}

impl MapFrame {
    fn position(&mut self, key: &str) -> Option<usize> {
        if self.entries.len() < 16 {
            return self.entries.iter().position(|e| &*e.key == key);
        }
        let index = self.index.get_or_insert_with(|| {
            self.entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.clone(), i))
                .collect()
        });
        index.get(key).copied()
    }

    /// Sets a key; a later value replaces an earlier one, as go-yaml v2 decodes into a
    /// map (merge keys included). Returns whether the key was already there.
    fn set(&mut self, entry: Entry) -> bool {
        if let Some(slot) = self
            .position(&entry.key)
            .and_then(|i| self.entries.get_mut(i))
        {
            *slot = entry;
            true
        } else {
            if let Some(index) = &mut self.index {
                index.insert(entry.key.clone(), self.entries.len());
            }
            self.entries.push(entry);
            false
        }
    }
}

fn pos_of(span: &Span, line_offset: u32) -> Pos {
    let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
    let col = u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX);
    Pos::new(line, col).shifted(line_offset)
}

fn count_nodes(node: &Node) -> usize {
    let mut count = 0;
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        count += 1;
        match &n.value {
            Value::Seq(items) => stack.extend(items.iter()),
            Value::Map(m) => stack.extend(m.iter().map(|e| &e.value)),
            _ => {}
        }
    }
    count
}

/// Parses every document of `text`. Positions are shifted by `line_offset` lines. A
/// parse error ends the documents of this text (the caller splits files at `---` first,
/// so one broken document does not take its neighbours with it).
pub(crate) fn parse_documents(text: &str, line_offset: u32) -> (Vec<Document>, Option<YamlError>) {
    let mut docs = Vec::new();
    let mut builder = Builder::new(line_offset);
    for item in Parser::new_from_str(text) {
        let (event, span) = match item {
            Ok(ev) => ev,
            Err(e) => {
                let m = e.marker();
                let pos = Pos::new(
                    u32::try_from(m.line()).unwrap_or(u32::MAX),
                    u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
                )
                .shifted(line_offset);
                return (
                    docs,
                    Some(YamlError {
                        pos,
                        message: format!("invalid YAML: {}", e.info()),
                    }),
                );
            }
        };
        match builder.event(event, &span) {
            Ok(Some(doc)) => docs.push(doc),
            Ok(None) => {}
            Err(e) => return (docs, Some(e)),
        }
    }
    (docs, None)
}

struct Builder {
    line_offset: u32,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    root: Option<Node>,
    warnings: Vec<YamlError>,
}

impl Builder {
    fn new(line_offset: u32) -> Self {
        Builder {
            line_offset,
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            root: None,
            warnings: Vec::new(),
        }
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<Option<Document>, YamlError> {
        let pos = pos_of(span, self.line_offset);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                self.stack.clear();
                self.anchors.clear();
                self.alias_nodes = 0;
                self.root = None;
            }
            Event::DocumentEnd => {
                return Ok(Some(Document {
                    root: self.root.take(),
                    warnings: std::mem::take(&mut self.warnings),
                }));
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = match (style, tag.as_deref()) {
                    (_, Some(tag)) if tag.is_yaml_core_schema() => match tag.suffix.as_str() {
                        "str" | "binary" | "timestamp" => Value::Str(text.as_ref().into()),
                        "null" => Value::Null,
                        _ => resolve_plain(&text),
                    },
                    (ScalarStyle::Plain, _) => resolve_plain(&text),
                    _ => Value::Str(text.as_ref().into()),
                };
                let is_merge = style == ScalarStyle::Plain && text == "<<";
                let node = Node { pos, value };
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node, &text, is_merge)?;
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id) else {
                    return Err(YamlError {
                        pos,
                        message: "alias to an unknown anchor".into(),
                    });
                };
                self.alias_nodes += count_nodes(node);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(YamlError {
                        pos,
                        message: format!(
                            "aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?); document skipped"
                        ),
                    });
                }
                let node = node.clone();
                let raw = node.as_str().map(str::to_string).unwrap_or_default();
                self.push(node, &raw, false)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.open(
                    Frame::Seq {
                        pos,
                        anchor,
                        items: Vec::new(),
                    },
                    pos,
                )?;
            }
            Event::MappingStart(anchor, _) => {
                self.open(
                    Frame::Map(MapFrame {
                        pos,
                        anchor,
                        entries: Vec::new(),
                        index: None,
                        key: None,
                    }),
                    pos,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(YamlError {
                        pos,
                        message: "unbalanced YAML structure".into(),
                    });
                };
                let (node, anchor) = match frame {
                    Frame::Seq { pos, anchor, items } => (
                        Node {
                            pos,
                            value: Value::Seq(items.into_boxed_slice()),
                        },
                        anchor,
                    ),
                    Frame::Map(m) => (
                        Node {
                            pos: m.pos,
                            value: Value::Map(Map::from_entries(m.entries)),
                        },
                        m.anchor,
                    ),
                };
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node, "", false)?;
            }
        }
        Ok(None)
    }

    fn open(&mut self, frame: Frame, pos: Pos) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError {
                pos,
                message: format!("nesting deeper than {MAX_DEPTH} levels; document skipped"),
            });
        }
        if let Some(Frame::Map(m)) = self.stack.last()
            && m.key.is_none()
        {
            return Err(YamlError {
                pos,
                message: "complex (list or map) mapping keys are not supported by Kubernetes"
                    .into(),
            });
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Attaches a finished node to its parent (or makes it the document root).
    fn push(&mut self, node: Node, raw: &str, is_merge: bool) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map(map)) => match map.key.take() {
                None => {
                    let key: Box<str> = key_string(&node.value, raw).into();
                    map.key = Some((key, node.pos, is_merge));
                }
                Some((_, _, true)) => {
                    let sources: Vec<&Node> = match &node.value {
                        Value::Map(_) => vec![&node],
                        Value::Seq(items) => items.iter().collect(),
                        _ => {
                            return Err(YamlError {
                                pos: node.pos,
                                message: "a merge key (`<<`) needs a map or a list of maps".into(),
                            });
                        }
                    };
                    for source in sources {
                        let Some(m) = source.as_map() else {
                            return Err(YamlError {
                                pos: source.pos,
                                message: "a merge key (`<<`) needs a map or a list of maps".into(),
                            });
                        };
                        for e in m {
                            map.set(e.clone());
                        }
                    }
                }
                Some((key, key_pos, false)) => {
                    let duplicate = map.set(Entry {
                        key: key.clone(),
                        key_pos,
                        value: node,
                    });
                    if duplicate {
                        self.warnings.push(YamlError {
                            pos: key_pos,
                            message: format!(
                                "duplicate key `{key}`: the last value is used, as Kubernetes does"
                            ),
                        });
                    }
                }
            },
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::format_push_string, clippy::format_collect)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let (mut docs, err) = parse_documents(text, 0);
        assert!(err.is_none(), "{err:?}");
        docs.remove(0).root.unwrap()
    }

    #[test]
    fn positions_of_keys_and_values() {
        let n = one(
            "kind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext: {privileged: yes}\n",
        );
        let sc = n.path("spec.containers").unwrap().as_seq().unwrap()[0]
            .get("securityContext")
            .unwrap();
        let e = sc.entry("privileged").unwrap();
        assert_eq!(e.key_pos, Pos::new(5, 23));
        assert_eq!(e.value.pos, Pos::new(5, 35));
        assert_eq!(e.value.as_bool(), Some(true));
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let n = one("a: 'yes'\nb: \"0644\"\nc: !!str 12\nd: |\n  on\n");
        assert_eq!(n.get("a").unwrap().as_str(), Some("yes"));
        assert_eq!(n.get("b").unwrap().as_str(), Some("0644"));
        assert_eq!(n.get("c").unwrap().as_str(), Some("12"));
        assert_eq!(n.get("d").unwrap().as_str(), Some("on\n"));
    }

    #[test]
    fn merge_keys_and_aliases() {
        let n = one("base: &b {a: 1, c: 2}\nthing:\n  <<: *b\n  c: 3\n");
        let t = n.get("thing").unwrap();
        assert_eq!(t.get("a").unwrap().as_i64(), Some(1));
        assert_eq!(t.get("c").unwrap().as_i64(), Some(3));
        // `y` is a YAML 1.1 boolean, so the key is "true", as kubectl reads it.
        assert!(one("y: 1\n").get("true").is_some());
    }

    #[test]
    fn duplicate_keys_warn_and_last_wins() {
        let (docs, err) = parse_documents("a: false\na: true\n", 0);
        assert!(err.is_none());
        assert_eq!(
            docs[0].root.as_ref().unwrap().get("a").unwrap().as_bool(),
            Some(true)
        );
        assert_eq!(docs[0].warnings.len(), 1);
        assert_eq!(docs[0].warnings[0].pos, Pos::new(2, 1));
    }

    #[test]
    fn alias_bomb_is_an_error() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let (_, err) = parse_documents(&text, 0);
        assert!(err.unwrap().message.contains("alias bomb"));
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        let (_, err) = parse_documents(&text, 0);
        let err = err.unwrap();
        assert!(
            err.message.contains("nesting deeper") || err.message.contains("recursion limit"),
            "{err:?}"
        );
        let block: String = (0..2_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        let (_, err) = parse_documents(&block, 0);
        assert!(err.unwrap().message.contains("nesting deeper"));
    }
}
