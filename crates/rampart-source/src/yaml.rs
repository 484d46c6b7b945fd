//! YAML documents to [`Node`] trees, with positions, over saphyr-parser's event stream.
//!
//! We drive the parser's event iterator ourselves instead of its recursive `load`, so
//! nesting depth, alias expansion and duplicate keys are ours to bound and report: a
//! hostile document is an error with a location, never a stack overflow or a panic.

use std::collections::HashMap;

use rampart_model::{Entry, Map, Node, Pos, Text, Value, intern};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::resolve::{key_string, may_resolve, resolve_plain};

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
    index: Option<HashMap<Text, usize>>,
    key: Option<(Text, Pos, bool)>,
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

/// Parses with libyaml-safer, a safe port of libyaml. go-yaml v2, which Kubernetes
/// uses, is itself a port of libyaml and shares its leniency: multi-line flow scalars
/// and flow collections indented less than the YAML spec asks are accepted by
/// kubectl, and rejected by saphyr. Documents saphyr rejects are read again here, so
/// Rampart accepts exactly what `kubectl apply` accepts; an error from here is the
/// error kubectl would print.
pub(crate) fn parse_documents_lenient(
    text: &str,
    line_offset: u32,
) -> (Vec<Document>, Option<YamlError>) {
    use libyaml_safer::{EventData, Parser as LibYaml, ScalarStyle as Style};
    let mut docs = Vec::new();
    let mut builder = Builder::new(line_offset);
    let mut anchors: HashMap<String, usize> = HashMap::new();
    let mut input = text.as_bytes();
    let mut parser = LibYaml::new();
    parser.set_input_string(&mut input);
    let mark_pos = |m: libyaml_safer::Mark| {
        Pos::new(
            u32::try_from(m.line + 1).unwrap_or(u32::MAX),
            u32::try_from(m.column + 1).unwrap_or(u32::MAX),
        )
        .shifted(line_offset)
    };
    let mut next_anchor = 0usize;
    // A redefined anchor gets a new id, so later aliases see the newer node.
    let mut anchor_id = |name: Option<String>, anchors: &mut HashMap<String, usize>| {
        name.map(|n| {
            next_anchor += 1;
            anchors.insert(n, next_anchor);
            next_anchor
        })
    };
    loop {
        let event = match parser.parse() {
            Ok(e) => e,
            Err(e) => {
                let pos = e
                    .problem_mark()
                    .map_or(Pos::new(1 + line_offset, 1), mark_pos);
                let context = e.context().map(|c| format!("{c}, ")).unwrap_or_default();
                return (
                    docs,
                    Some(YamlError {
                        pos,
                        message: format!("invalid YAML: {context}{}", e.problem()),
                    }),
                );
            }
        };
        let pos = mark_pos(event.start_mark);
        let step = match event.data {
            EventData::StreamEnd => return (docs, None),
            EventData::StreamStart { .. } => Ok(()),
            EventData::DocumentStart { .. } => {
                builder.doc_start();
                anchors.clear();
                Ok(())
            }
            EventData::DocumentEnd { .. } => {
                docs.push(builder.doc_end());
                Ok(())
            }
            EventData::Alias { anchor } => match anchors.get(&anchor) {
                Some(&id) => builder.alias(pos, id),
                None => Err(YamlError {
                    pos,
                    message: "alias to an unknown anchor".into(),
                }),
            },
            EventData::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => {
                let core = tag
                    .as_deref()
                    .and_then(|t| t.strip_prefix("tag:yaml.org,2002:"));
                let id = anchor_id(anchor, &mut anchors);
                builder.scalar(pos, &value, style == Style::Plain, core, id)
            }
            EventData::SequenceStart { anchor, .. } => {
                let id = anchor_id(anchor, &mut anchors);
                builder.seq_start(pos, id)
            }
            EventData::MappingStart { anchor, .. } => {
                let id = anchor_id(anchor, &mut anchors);
                builder.map_start(pos, id)
            }
            EventData::SequenceEnd | EventData::MappingEnd => builder.end(pos),
        };
        if let Err(e) = step {
            return (docs, Some(e));
        }
    }
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
        let anchor = |id: usize| (id != 0).then_some(id);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => self.doc_start(),
            Event::DocumentEnd => return Ok(Some(self.doc_end())),
            Event::Scalar(text, style, id, tag) => {
                let core = tag
                    .as_deref()
                    .filter(|t| t.is_yaml_core_schema())
                    .map(|t| t.suffix.as_str());
                self.scalar(pos, &text, style == ScalarStyle::Plain, core, anchor(id))?;
            }
            Event::Alias(id) => self.alias(pos, id)?,
            Event::SequenceStart(id, _) => self.seq_start(pos, anchor(id))?,
            Event::MappingStart(id, _) => self.map_start(pos, anchor(id))?,
            Event::SequenceEnd | Event::MappingEnd => self.end(pos)?,
        }
        Ok(None)
    }

    fn doc_start(&mut self) {
        self.stack.clear();
        self.anchors.clear();
        self.alias_nodes = 0;
        self.root = None;
    }

    fn doc_end(&mut self) -> Document {
        Document {
            root: self.root.take(),
            warnings: std::mem::take(&mut self.warnings),
        }
    }

    /// A scalar; `core_tag` is the suffix of a `tag:yaml.org,2002:` tag (`str`, `int`).
    fn scalar(
        &mut self,
        pos: Pos,
        text: &str,
        plain: bool,
        core_tag: Option<&str>,
        anchor: Option<usize>,
    ) -> Result<(), YamlError> {
        // A plain key that cannot resolve to a non-string is the common case: take the
        // text as the key without building a value first.
        if anchor.is_none()
            && core_tag.is_none()
            && !(plain && (text == "<<" || may_resolve(text)))
            && let Some(Frame::Map(map)) = self.stack.last_mut()
            && map.key.is_none()
        {
            map.key = Some((intern(text), pos, false));
            return Ok(());
        }
        let value = match core_tag {
            Some("str" | "binary" | "timestamp") => Value::Str(intern(text)),
            Some("null") => Value::Null,
            Some(_) => resolve_plain(text),
            None if plain => resolve_plain(text),
            None => Value::Str(intern(text)),
        };
        let node = Node { pos, value };
        if let Some(id) = anchor {
            self.anchors.insert(id, node.clone());
        }
        self.push(node, text, plain && text == "<<")
    }

    fn alias(&mut self, pos: Pos, id: usize) -> Result<(), YamlError> {
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
        self.push(node, &raw, false)
    }

    fn seq_start(&mut self, pos: Pos, anchor: Option<usize>) -> Result<(), YamlError> {
        self.open(
            Frame::Seq {
                pos,
                anchor: anchor.unwrap_or(0),
                items: Vec::new(),
            },
            pos,
        )
    }

    fn map_start(&mut self, pos: Pos, anchor: Option<usize>) -> Result<(), YamlError> {
        let frame = MapFrame {
            pos,
            anchor: anchor.unwrap_or(0),
            entries: Vec::new(),
            index: None,
            key: None,
        };
        self.open(Frame::Map(frame), pos)
    }

    fn end(&mut self, pos: Pos) -> Result<(), YamlError> {
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
                    value: Value::Seq(items.into()),
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
        self.push(node, "", false)
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
                    let key = intern(&key_string(&node.value, raw));
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
    fn kubectl_leniency_on_indentation() {
        // Accepted by kubectl (go-yaml v2 / libyaml), rejected by the YAML spec.
        let text = "a:\n  - \"one \\\n two\"\n  - x: [\n      1,\n    ]\n";
        assert!(
            parse_documents(text, 0).1.is_some(),
            "saphyr is strict here"
        );
        let (docs, err) = parse_documents_lenient(text, 0);
        assert!(err.is_none(), "{err:?}");
        let a = docs[0]
            .root
            .as_ref()
            .unwrap()
            .get("a")
            .unwrap()
            .as_seq()
            .unwrap();
        assert_eq!(a[0].as_str(), Some("one two"));
        assert_eq!(a[0].pos, Pos::new(2, 5));
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
