//! Loading Kubernetes manifests with a position for every key and value.
//!
//! Files, directories (recursive; `.yaml`, `.yml`, `.json`; hidden entries skipped),
//! stdin and kustomizations (rendered with `kubectl kustomize`) become [`Object`]s and
//! [`SourceFile`]s. Multi-document YAML, JSON (one value or a stream), `kind: List` and
//! every `*List`, and `kubectl get -o yaml|json` dumps all load. Scalars are resolved
//! as Kubernetes reads YAML (see [`resolve`](crate::resolve)).
//!
//! Bad input never stops a load: a document that cannot be read becomes an
//! [`InputDiagnostic`] with its location, and every other document still loads.
//! Documents parse in parallel.
//!
//! ```no_run
//! let loaded = rampart_source::load(&[rampart_source::Input::Path("manifests/".into())], &Default::default());
//! for d in &loaded.diagnostics {
//!     eprintln!("{}:{}:{}: {}", d.path, d.pos.line, d.pos.column, d.message);
//! }
//! ```

#![warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod json;
mod resolve;
mod split;
mod walk;
mod yaml;

use rampart_model::workload::check_shape;
use rampart_model::{
    FileId, Files, InputDiagnostic, InputLevel, Node, Object, Origin, Pos, SourceFile, Value,
};
use rayon::prelude::*;

pub use walk::Input;

/// Options for [`load`].
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Files larger than this many bytes are reported and not read.
    pub max_file_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_file_bytes: 512 * 1024 * 1024,
        }
    }
}

/// What became of one input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Read; at least one object came from it.
    Parsed,
    /// Read, but nothing in it is a Kubernetes object.
    Skipped,
    /// Something in it could not be read (other documents may still have loaded).
    Error,
}

impl Status {
    /// The name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Parsed => "parsed",
            Status::Skipped => "skipped",
            Status::Error => "error",
        }
    }
}

/// One input file and what became of it.
#[derive(Clone, Debug)]
pub struct InputStatus {
    /// The display name.
    pub path: String,
    /// Parsed, skipped or error.
    pub status: Status,
    /// Documents read.
    pub documents: u32,
    /// Objects loaded.
    pub objects: u32,
}

/// The result of a load.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every text read.
    pub files: Files,
    /// Every object, in input order.
    pub objects: Vec<Object>,
    /// Input problems, in input order.
    pub diagnostics: Vec<InputDiagnostic>,
    /// One entry per input file.
    pub inputs: Vec<InputStatus>,
}

impl Loaded {
    /// Appends another load's results, renumbering its files after this one's.
    pub fn merge(&mut self, mut other: Loaded) {
        if self.files.is_empty() && self.objects.is_empty() {
            // Nothing to renumber (a cluster read with no files beside it): take the
            // other's vectors rather than hold two copies while moving a large read.
            other
                .diagnostics
                .splice(0..0, std::mem::take(&mut self.diagnostics));
            other.inputs.splice(0..0, std::mem::take(&mut self.inputs));
            *self = other;
            return;
        }
        self.objects.reserve(other.objects.len());
        let offset = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        let rebase = |id: FileId| FileId(id.0.saturating_add(offset));
        for (_, file) in other.files.into_files() {
            self.files.add(file);
        }
        for mut object in other.objects {
            if let Origin::File { file, .. } = &mut object.origin {
                *file = rebase(*file);
            }
            self.objects.push(object);
        }
        for mut d in other.diagnostics {
            d.file = d.file.map(rebase);
            self.diagnostics.push(d);
        }
        self.inputs.extend(other.inputs);
    }

    /// Whether any input error occurred (the CLI exits 2).
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.level == InputLevel::Error)
    }
}

/// A text to parse, with its name and how to read it.
struct Text {
    name: String,
    content: String,
    json: bool,
    /// Lines holding bytes that were not UTF-8 (replaced with U+FFFD).
    bad_utf8_lines: Vec<u32>,
}

/// Loads every input. Never fails: problems are diagnostics.
pub fn load(inputs: &[Input], options: &LoadOptions) -> Loaded {
    let (sources, mut diagnostics) = walk::expand(inputs);
    let read: Vec<Result<Text, InputDiagnostic>> = sources
        .par_iter()
        .map(|s| walk::read(s, options).map(|(name, bytes, json)| decode(name, &bytes, json)))
        .collect();
    let mut texts = Vec::new();
    let mut failed = Vec::new();
    for r in read {
        match r {
            Ok(t) => texts.push(t),
            Err(d) => failed.push(d),
        }
    }
    let mut loaded = parse_texts(texts);
    for d in failed {
        loaded.inputs.push(InputStatus {
            path: d.path.clone(),
            status: Status::Error,
            documents: 0,
            objects: 0,
        });
        loaded.diagnostics.push(d);
    }
    diagnostics.append(&mut loaded.diagnostics);
    loaded.diagnostics = diagnostics;
    loaded
}

/// Loads one in-memory text (tests, stdin-like sources, admission objects).
pub fn load_str(name: &str, text: &str) -> Loaded {
    let json = std::path::Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    parse_texts(vec![decode(name.to_string(), text.as_bytes(), json)])
}

/// A text read as plain YAML (or JSON) trees rather than as Kubernetes objects: for
/// Rampart's own files (`rampart.yaml`). Positions are the file's own lines.
#[derive(Debug, Default)]
pub struct Tree {
    /// One root per document (`None` for an empty document).
    pub documents: Vec<Option<Node>>,
    /// Parse errors and warnings (duplicate keys), with `file` left unset.
    pub diagnostics: Vec<InputDiagnostic>,
}

/// Parses every document of a text, as the loader does, without asking the documents
/// to be Kubernetes objects.
pub fn parse_tree(name: &str, text: &str) -> Tree {
    let t = decode(name.to_string(), text.as_bytes(), false);
    let docs = if t.json {
        parse_json_or_yaml(&t.content)
    } else {
        split::split_documents(&t.content)
            .into_iter()
            .flat_map(|c| parse_chunk(c, &t.bad_utf8_lines))
            .collect()
    };
    let mut tree = Tree::default();
    for doc in docs {
        for (pos, message) in doc.warnings {
            tree.diagnostics.push(InputDiagnostic::new(
                InputLevel::Warning,
                None,
                name,
                pos,
                message,
            ));
        }
        if let Some((pos, message)) = doc.error {
            tree.diagnostics
                .push(InputDiagnostic::error(None, name, pos, message));
        } else {
            tree.documents.push(doc.root);
        }
    }
    tree
}

fn decode(name: String, bytes: &[u8], json_ext: bool) -> Text {
    let (text, bad_utf8_lines) = if let Ok(t) = std::str::from_utf8(bytes) {
        (t.to_string(), Vec::new())
    } else {
        let mut lines = Vec::new();
        let mut line = 1u32;
        for chunk in bytes.utf8_chunks() {
            line += u32::try_from(chunk.valid().matches('\n').count()).unwrap_or(0);
            if !chunk.invalid().is_empty() && lines.last() != Some(&line) {
                lines.push(line);
            }
        }
        (String::from_utf8_lossy(bytes).into_owned(), lines)
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    let first = text.trim_start().as_bytes().first().copied();
    let json = json_ext || matches!(first, Some(b'{' | b'['));
    Text {
        name,
        content: text,
        json,
        bad_utf8_lines,
    }
}

/// One parsed document (or a failure).
struct DocOut {
    root: Option<Node>,
    error: Option<(Pos, String)>,
    warnings: Vec<(Pos, String)>,
}

/// What one chunk's documents became: objects and diagnostics, built in the parallel
/// phase.
#[derive(Default)]
struct Sink {
    objects: Vec<Object>,
    diagnostics: Vec<InputDiagnostic>,
    documents: u32,
}

enum Job<'a> {
    Json(usize, &'a str),
    Yaml(usize, split::Chunk<'a>),
}

fn parse_texts(texts: Vec<Text>) -> Loaded {
    // Parse every document of every file in parallel and turn it into objects there
    // too (shape checks included); then assemble in input order.
    let mut jobs = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        if t.content.as_bytes().contains(&0) {
            continue; // reported below as binary
        }
        if t.json {
            jobs.push(Job::Json(i, &t.content));
        } else {
            jobs.extend(
                split::split_documents(&t.content)
                    .into_iter()
                    .map(|c| Job::Yaml(i, c)),
            );
        }
    }
    let parse = |job: &Job<'_>| {
        let (i, docs) = match job {
            Job::Json(i, text) => (*i, parse_json_or_yaml(text)),
            Job::Yaml(i, chunk) => {
                let bad = texts
                    .get(*i)
                    .map(|t| t.bad_utf8_lines.as_slice())
                    .unwrap_or_default();
                (*i, parse_chunk(*chunk, bad))
            }
        };
        let name = texts.get(i).map_or("", |t| t.name.as_str());
        // Files are added below in text order, so text `i` becomes `FileId(i)`.
        let file = FileId(u32::try_from(i).unwrap_or(u32::MAX));
        let mut sink = Sink::default();
        for (document, doc) in (0u32..).zip(docs) {
            sink.documents += 1;
            for (pos, message) in doc.warnings {
                sink.diagnostics.push(InputDiagnostic::new(
                    InputLevel::Warning,
                    Some(file),
                    name,
                    pos,
                    message,
                ));
            }
            if let Some((pos, message)) = doc.error {
                sink.diagnostics
                    .push(InputDiagnostic::error(Some(file), name, pos, message));
            }
            if let Some(root) = doc.root {
                add_document(&mut sink, file, name, document, root);
            }
        }
        (i, sink)
    };
    // One document (an object read from a cluster, an admission request) is parsed
    // where it is needed: handing it to the pool costs more than parsing it, and its
    // tree would be allocated on another thread than the one that frees it.
    let outputs: Vec<(usize, Sink)> = if jobs.len() > 1 {
        jobs.par_iter().map(parse).collect()
    } else {
        jobs.iter().map(parse).collect()
    };

    let mut per_file: Vec<Vec<Sink>> = texts.iter().map(|_| Vec::new()).collect();
    for (i, sink) in outputs {
        if let Some(slot) = per_file.get_mut(i) {
            slot.push(sink);
        }
    }

    let mut loaded = Loaded::default();
    for (t, sinks) in texts.into_iter().zip(per_file) {
        let name = t.name.clone();
        let binary = t.content.as_bytes().contains(&0);
        let file = loaded.files.add(SourceFile::new(t.name, t.content));
        let before_objects = loaded.objects.len();
        let before_diags = loaded.diagnostics.len();
        if binary {
            loaded.diagnostics.push(InputDiagnostic::error(
                Some(file),
                &name,
                Pos::new(1, 1),
                "binary file (it contains NUL bytes); not read",
            ));
        }
        // Documents were numbered within their chunk; number them within the file.
        let mut documents = 0u32;
        for sink in sinks {
            for mut object in sink.objects {
                if let Origin::File { document, .. } = &mut object.origin {
                    *document += documents;
                }
                loaded.objects.push(object);
            }
            loaded.diagnostics.extend(sink.diagnostics);
            documents += sink.documents;
        }
        let objects = u32::try_from(loaded.objects.len() - before_objects).unwrap_or(u32::MAX);
        let diags = loaded.diagnostics.get(before_diags..).unwrap_or_default();
        let status = if diags.iter().any(|d| d.level == InputLevel::Error) {
            Status::Error
        } else if objects == 0 {
            Status::Skipped
        } else {
            Status::Parsed
        };
        loaded.inputs.push(InputStatus {
            path: name,
            status,
            documents,
            objects,
        });
    }
    loaded
}

/// Runs a third-party parser so that a panic inside it (fuzzing found one in
/// libyaml-safer's flow scalar scanner) becomes an error for this document instead of
/// taking the scan down.
fn guarded(
    first_line: u32,
    parse: impl FnOnce() -> (Vec<yaml::Document>, Option<yaml::YamlError>),
) -> (Vec<yaml::Document>, Option<yaml::YamlError>) {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).unwrap_or_else(|_| {
        let pos = Pos::new(first_line + 1, 1);
        (Vec::new(), Some(yaml::YamlError { pos, message: "the YAML parser failed on this document (an internal error, reported); document skipped".into() }))
    })
}

fn parse_json_or_yaml(text: &str) -> Vec<DocOut> {
    let (values, error) = json::parse_stream(text);
    let mut docs: Vec<DocOut> = values
        .into_iter()
        .map(|v| DocOut {
            root: Some(v),
            error: None,
            warnings: Vec::new(),
        })
        .collect();
    if let Some(e) = error {
        docs.push(DocOut {
            root: None,
            error: Some((e.pos, e.message)),
            warnings: Vec::new(),
        });
    }
    docs
}

fn parse_chunk(chunk: split::Chunk<'_>, bad_utf8_lines: &[u32]) -> Vec<DocOut> {
    // Counting the chunk's lines costs a pass over it: only when there is a bad line.
    let lines = || {
        chunk.first_line + 1
            ..=chunk.first_line + u32::try_from(chunk.text.lines().count()).unwrap_or(0)
    };
    let bad = bad_utf8_lines
        .first()
        .and_then(|_| bad_utf8_lines.iter().find(|l| lines().contains(l)));
    if let Some(&line) = bad {
        return vec![DocOut {
            root: None,
            error: Some((
                Pos::new(line, 1),
                "invalid UTF-8 in this document; document skipped".into(),
            )),
            warnings: Vec::new(),
        }];
    }
    let (mut docs, mut error) = guarded(chunk.first_line, || {
        yaml::parse_documents(chunk.text, chunk.first_line)
    });
    if error.is_some() {
        (docs, error) = guarded(chunk.first_line, || {
            yaml::parse_documents_lenient(chunk.text, chunk.first_line)
        });
    }
    let mut out: Vec<DocOut> = docs
        .into_iter()
        .map(|d| DocOut {
            root: d.root,
            error: None,
            warnings: d.warnings.into_iter().map(|w| (w.pos, w.message)).collect(),
        })
        .collect();
    if let Some(e) = error {
        out.push(DocOut {
            root: None,
            error: Some((e.pos, e.message)),
            warnings: Vec::new(),
        });
    }
    out
}

fn is_object(node: &Node) -> bool {
    let text = |k: &str| {
        node.get(k)
            .and_then(Node::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    text("apiVersion") && text("kind")
}

fn add_document(loaded: &mut Sink, file: FileId, name: &str, document: u32, root: Node) {
    if root.is_null() {
        return; // empty or comment-only document
    }
    if !is_object(&root) {
        let what = if root.as_map().is_some() {
            "no `apiVersion` and `kind`"
        } else {
            root.type_name()
        };
        loaded.diagnostics.push(InputDiagnostic::new(
            InputLevel::Skipped,
            Some(file),
            name,
            root.pos,
            format!("not a Kubernetes object ({what}); skipped"),
        ));
        return;
    }
    let kind = root
        .get("kind")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string();
    if kind.ends_with("List") && root.get("items").is_some_and(|i| i.as_seq().is_some()) {
        let mut root = root;
        let items = match root.take("items").map(Node::into_value) {
            Some(Value::Seq(items)) => items.into(),
            _ => Vec::new(),
        };
        // A typed list (`PodList` from the API) leaves `kind` and `apiVersion` out of
        // its items; kubectl fills them in from the list, and so do we.
        let item_kind = kind
            .strip_suffix("List")
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        let api_version = root
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string();
        for (i, mut item) in items.into_iter().enumerate() {
            {
                if let Some(k) = &item_kind
                    && item.as_map().is_some()
                {
                    item.set_default_str("kind", k);
                    if !api_version.is_empty() {
                        item.set_default_str("apiVersion", &api_version);
                    }
                }
                if is_object(&item) {
                    let origin = Origin::File {
                        file,
                        document,
                        item: u32::try_from(i).ok(),
                    };
                    push_object(
                        loaded,
                        name,
                        Object::new(item, origin, format!("items[{i}]")),
                    );
                } else {
                    loaded.diagnostics.push(InputDiagnostic::new(
                        InputLevel::Skipped,
                        Some(file),
                        name,
                        item.pos,
                        format!("`items[{i}]` is not a Kubernetes object; skipped"),
                    ));
                }
            }
        }
        return;
    }
    push_object(
        loaded,
        name,
        Object::new(
            root,
            Origin::File {
                file,
                document,
                item: None,
            },
            String::new(),
        ),
    );
}

fn push_object(loaded: &mut Sink, name: &str, object: Object) {
    for e in check_shape(&object) {
        loaded.diagnostics.push(InputDiagnostic::error(
            object.file(),
            name,
            e.pos,
            format!(
                "`{}` in {} `{}`: {}; the field is ignored",
                object.display_path(&e.path),
                object.kind(),
                object.name(),
                e.message
            ),
        ));
    }
    loaded.objects.push(object);
}
