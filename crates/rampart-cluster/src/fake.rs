//! A fake API server for tests and benchmarks: HTTPS on 127.0.0.1 with a certificate
//! made at start, answering from recorded responses as an API server would.
//!
//! It serves recorded documents (`/version`, discovery) as they are, and lists of
//! recorded objects page by page (`limit`, `continue`, `/namespaces/NS/` scoping,
//! Secrets as `PartialObjectMetadataList` when asked), with [`Faults`] to inject: 403
//! for a kind, 410 for an expired continue token, 503 once, a slow response. Every
//! request is logged for tests to check.
//!
//! Watches (`?watch=true`) are answered as an API server answers them: a chunked
//! stream of JSON lines (`{"type": "ADDED", "object": {...}}`), from the
//! `resourceVersion` asked for (a list answers with the current one), with `BOOKMARK`s
//! when `allowWatchBookmarks` is set, and the initial objects first when
//! `sendInitialEvents=true` (ended by a bookmark annotated
//! `k8s.io/initial-events-end`). A test changes objects with [`FakeApi::push`]: each
//! change gets the next resourceVersion, reaches every open watch of its kind and every
//! later list.

#![allow(clippy::missing_panics_doc)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Bytes, Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio_rustls::rustls;

use crate::resources::{RESOURCES, SECRETS};

/// Recorded responses.
#[derive(Clone, Debug, Default)]
pub struct Recorded {
    /// Documents served as they are, by path (`/version`, `/api/v1`, `/apis`, ...).
    pub documents: BTreeMap<String, Vec<u8>>,
    /// Objects by list path (`/api/v1/pods`).
    pub lists: BTreeMap<String, RecordedList>,
}

/// The objects of one kind.
#[derive(Clone, Debug, Default)]
pub struct RecordedList {
    /// `PodList`.
    pub kind: String,
    /// `v1`, `apps/v1`.
    pub api_version: String,
    /// Each item's namespace and JSON (without `kind` and `apiVersion`, as typed lists
    /// send them).
    pub items: Vec<(Option<String>, String)>,
    /// For Secrets: each item's metadata-only JSON.
    pub metadata_items: Vec<String>,
}

impl Recorded {
    /// Reads documents from a directory: `version.json` is `/version`, and a name like
    /// `apis-apps-v1.json` is `/apis/apps/v1` (dashes become slashes).
    pub fn from_dir(dir: &Path) -> std::io::Result<Self> {
        let mut recorded = Recorded::default();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        entries.sort();
        for path in entries {
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if stem.starts_with("objects") {
                let list: Value = serde_json::from_slice(&std::fs::read(&path)?)?;
                recorded.add_objects(
                    list.get("items")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                );
                continue;
            }
            let url = format!("/{}", stem.replace('-', "/"));
            recorded.documents.insert(url, std::fs::read(&path)?);
        }
        Ok(recorded)
    }

    /// Adds objects, each to the list of its kind (kinds Rampart does not read are
    /// dropped).
    pub fn add_objects(&mut self, objects: impl IntoIterator<Item = Value>) {
        for object in objects {
            let Some(at) = Located::of(&object) else {
                continue;
            };
            self.list_of(&at).push(&at, object);
        }
    }

    fn list_of(&mut self, at: &Located) -> &mut RecordedList {
        self.lists
            .entry(at.path.clone())
            .or_insert_with(|| RecordedList {
                kind: format!("{}List", at.kind),
                api_version: at.api_version.clone(),
                ..RecordedList::default()
            })
    }
}

/// Where an object lives: its list path, kind, apiVersion, namespace and name.
struct Located {
    path: String,
    kind: String,
    api_version: String,
    namespace: Option<String>,
    name: String,
}

impl Located {
    /// `None` for a kind Rampart does not read.
    fn of(object: &Value) -> Option<Located> {
        let text = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let kind = text(object, "kind");
        let api_version = text(object, "apiVersion");
        let res = RESOURCES
            .iter()
            .chain([&SECRETS])
            .find(|r| r.kind == kind)?;
        let path = if res.group.is_empty() {
            format!("/api/v1/{}", res.resource)
        } else {
            let version = api_version.rsplit('/').next().unwrap_or_default();
            format!("/apis/{}/{version}/{}", res.group, res.resource)
        };
        let metadata = object.get("metadata").unwrap_or(&Value::Null);
        Some(Located {
            path,
            kind,
            api_version,
            namespace: metadata
                .get("namespace")
                .and_then(Value::as_str)
                .map(str::to_string),
            name: text(metadata, "name"),
        })
    }
}

impl RecordedList {
    /// Appends an object (its `kind` and `apiVersion` are dropped, as typed lists do).
    fn push(&mut self, at: &Located, mut object: Value) {
        if let Some(map) = object.as_object_mut() {
            map.remove("kind");
            map.remove("apiVersion");
        }
        if at.kind == "Secret" {
            let metadata = serde_json::json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": object.get("metadata").cloned().unwrap_or(Value::Null),
            });
            self.metadata_items.push(metadata.to_string());
        }
        self.items.push((at.namespace.clone(), object.to_string()));
    }

    /// Removes the object of that namespace and name; returns it.
    fn remove(&mut self, at: &Located) -> Option<Value> {
        let index = self.items.iter().position(|(ns, json)| {
            *ns == at.namespace
                && serde_json::from_str::<Value>(json).ok().is_some_and(|v| {
                    v.get("metadata")
                        .and_then(|m| m.get("name"))
                        .and_then(Value::as_str)
                        == Some(at.name.as_str())
                })
        })?;
        if self.metadata_items.len() == self.items.len() {
            self.metadata_items.remove(index);
        }
        let (_, json) = self.items.remove(index);
        serde_json::from_str(&json).ok()
    }
}

/// A change a test pushes ([`FakeApi::push`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// `ADDED`: the object is created (or replaced).
    Added,
    /// `MODIFIED`: the object is replaced (or created).
    Modified,
    /// `DELETED`: the object is gone (the event carries its last state).
    Deleted,
}

impl Change {
    fn as_str(self) -> &'static str {
        match self {
            Change::Added => "ADDED",
            Change::Modified => "MODIFIED",
            Change::Deleted => "DELETED",
        }
    }
}

/// A change as watches see it.
struct Happened {
    version: u64,
    path: String,
    namespace: Option<String>,
    /// The watch event's JSON line, newline included.
    line: String,
}

/// Failures to inject, each by path prefix of a list (`/apis/networking.k8s.io/v1/networkpolicies`).
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Answered 403 Forbidden.
    pub forbidden: Vec<String>,
    /// The first request with a continue token is answered 410 Gone (expired).
    pub expire_continue_once: Vec<String>,
    /// The first request is answered 503.
    pub unavailable_once: Vec<String>,
    /// The first request waits this long before answering.
    pub slow_once: Vec<(String, Duration)>,
    /// Every request waits this long (for Ctrl-C tests).
    pub delay_all: Option<Duration>,
    /// Watches (only) are answered 403 Forbidden; lists still work.
    pub forbidden_watch: Vec<String>,
    /// The first watch gets an `ERROR` event with 410 Gone (its resourceVersion is too
    /// old), as an API server that compacted its history sends; the client must list
    /// again.
    pub expire_watch_once: Vec<String>,
}

/// One request the server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// Path and query, as sent.
    pub uri: String,
    /// The `Accept` header.
    pub accept: String,
    /// Whether an `Authorization` header was sent.
    pub authorized: bool,
    /// The status answered.
    pub status: u16,
}

struct State {
    recorded: Mutex<Recorded>,
    faults: Mutex<Faults>,
    log: Mutex<Vec<Logged>>,
    /// Every pushed change, oldest first.
    history: Mutex<Vec<Happened>>,
    /// The current resourceVersion; watches wait for it to change.
    version: tokio::sync::watch::Sender<u64>,
}

/// The resourceVersion of the recorded objects, before any change.
const FIRST_VERSION: u64 = 4242;

/// A running fake API server; stops when dropped.
pub struct FakeApi {
    /// Where it listens.
    pub addr: SocketAddr,
    ca_pem: String,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeApi {
    /// Starts the server on a free port of 127.0.0.1, on its own thread.
    pub fn start(recorded: Recorded, faults: Faults) -> std::io::Result<FakeApi> {
        let rcgen::CertifiedKey { cert, signing_key } = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
        ])
        .map_err(std::io::Error::other)?;
        let ca_pem = cert.pem();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(signing_key.serialize_der().into());
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .map_err(std::io::Error::other)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let state = Arc::new(State {
            recorded: Mutex::new(recorded),
            faults: Mutex::new(faults),
            log: Mutex::new(Vec::new()),
            history: Mutex::new(Vec::new()),
            version: tokio::sync::watch::Sender::new(FIRST_VERSION),
        });
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let served = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                    return;
                };
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((tcp, _)) = accepted else { continue };
                            let acceptor = acceptor.clone();
                            let state = Arc::clone(&served);
                            tokio::spawn(async move {
                                let Ok(tls) = acceptor.accept(tcp).await else { return };
                                let service = service_fn(move |req| {
                                    let state = Arc::clone(&state);
                                    async move { Ok::<_, Infallible>(handle(state, &req).await) }
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(TokioIo::new(tls), service)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        Ok(FakeApi {
            addr,
            ca_pem,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Writes the server's CA and a kubeconfig (context `fake`, a bearer token) into
    /// `dir`; returns the kubeconfig's path.
    pub fn write_kubeconfig(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let ca = dir.join("fake-ca.pem");
        std::fs::write(&ca, &self.ca_pem)?;
        let path = dir.join("kubeconfig");
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\n    certificate-authority: {}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\ncurrent-context: fake\nusers:\n- name: fake\n  user:\n    token: rampart-test-token\n",
                self.url(),
                ca.display()
            ),
        )?;
        Ok(path)
    }

    /// Changes an object as the API server would on a write, and tells every watch of
    /// its kind (`ADDED` creates or replaces, `MODIFIED` too, `DELETED` removes; the
    /// object needs `kind`, `apiVersion` and `metadata.name`). Returns the change's
    /// resourceVersion, or `None` for a kind Rampart does not read.
    pub fn push(&self, change: Change, mut object: Value) -> Option<u64> {
        let at = Located::of(&object)?;
        let mut recorded = self
            .state
            .recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let version = *self.state.version.borrow() + 1;
        let list = recorded.list_of(&at);
        let old = list.remove(&at);
        if change == Change::Deleted
            && let Some(old) = old
        {
            // The event carries the object as it was.
            object = old;
        }
        if let Some(map) = object.as_object_mut() {
            map.insert("kind".into(), Value::String(at.kind.clone()));
            map.insert("apiVersion".into(), Value::String(at.api_version.clone()));
            if let Some(meta) = map
                .entry("metadata")
                .or_insert_with(|| Value::Object(serde_json::Map::new()))
                .as_object_mut()
            {
                meta.insert("resourceVersion".into(), Value::String(version.to_string()));
            }
        }
        let line = format!(
            "{}\n",
            serde_json::json!({"type": change.as_str(), "object": &object})
        );
        if change != Change::Deleted {
            list.push(&at, object);
        }
        self.state
            .history
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Happened {
                version,
                path: at.path,
                namespace: at.namespace,
                line,
            });
        self.state.version.send_replace(version);
        Some(version)
    }

    /// Every request answered so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.state
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn handle(state: Arc<State>, req: &Request<Incoming>) -> Response<Reply> {
    let uri = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), ToString::to_string);
    let accept = req
        .headers()
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let authorized = req.headers().contains_key(hyper::header::AUTHORIZATION);
    let delay = take_delay(&state, req.uri().path());
    let answer = answer(
        &state,
        req.uri().path(),
        req.uri().query().unwrap_or(""),
        &accept,
    );
    let status = match &answer {
        Answer::Body(status, _) => *status,
        Answer::Watch(_) => StatusCode::OK,
    };
    // Logged on arrival: a client that gives up on a slow answer still shows here.
    state
        .log
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Logged {
            uri,
            accept,
            authorized,
            status: status.as_u16(),
        });
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let body = match answer {
        Answer::Body(_, text) => Reply::Full(Some(Bytes::from(text))),
        Answer::Watch(watch) => Reply::Stream(stream(state, watch)),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// A response body: whole, or the lines of a watch as they happen.
enum Reply {
    Full(Option<Bytes>),
    Stream(tokio::sync::mpsc::Receiver<Bytes>),
}

impl hyper::body::Body for Reply {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Reply::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Reply::Stream(rx) => rx.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Reply::Full(None))
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            Reply::Full(bytes) => {
                hyper::body::SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Reply::Stream(_) => hyper::body::SizeHint::default(),
        }
    }
}

/// What a request gets.
enum Answer {
    Body(StatusCode, String),
    Watch(Watch),
}

/// A watch request.
struct Watch {
    /// The list path watched (`/api/v1/pods`) and the namespace, if scoped to one.
    path: String,
    namespace: Option<String>,
    /// The kind (`Pod`) and apiVersion of the objects, for bookmarks.
    kind: String,
    api_version: String,
    /// From which resourceVersion; `None`: the current objects first, as `ADDED`.
    from: Option<u64>,
    /// `sendInitialEvents=true`: the initial objects end with a bookmark annotated
    /// `k8s.io/initial-events-end`.
    initial_events: bool,
    bookmarks: bool,
    timeout: Duration,
    /// Answer an `ERROR` 410 and end (a fault).
    expire: bool,
}

/// Streams a watch's events until its timeout, the client leaving or the server
/// stopping.
fn stream(state: Arc<State>, watch: Watch) -> tokio::sync::mpsc::Receiver<Bytes> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        let line = |v: Value| Bytes::from(format!("{v}\n"));
        let bookmark = |version: u64, end: bool| {
            let metadata = if end {
                serde_json::json!({"resourceVersion": version.to_string(),
                    "annotations": {"k8s.io/initial-events-end": "true"}})
            } else {
                serde_json::json!({"resourceVersion": version.to_string()})
            };
            line(serde_json::json!({"type": "BOOKMARK", "object": {
                "kind": watch.kind, "apiVersion": watch.api_version, "metadata": metadata}}))
        };
        let mut changed = state.version.subscribe();
        if watch.expire {
            let now = *changed.borrow();
            let status = serde_json::json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("too old resource version: {} ({now})", watch.from.unwrap_or(0)),
                "reason": "Expired", "code": 410
            });
            let _ = tx
                .send(line(serde_json::json!({"type": "ERROR", "object": status})))
                .await;
            return;
        }
        let mut last = if let Some(version) = watch.from {
            version
        } else {
            // The objects as they are now, each as ADDED, at a consistent version.
            let (objects, version) = {
                let recorded = state
                    .recorded
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let objects: Vec<Bytes> = recorded
                    .lists
                    .get(&watch.path)
                    .map(|list| {
                        list.items
                            .iter()
                            .filter(|(ns, _)| watch.namespace.is_none() || *ns == watch.namespace)
                            .filter_map(|(_, json)| serde_json::from_str::<Value>(json).ok())
                            .map(|mut object| {
                                if let Some(map) = object.as_object_mut() {
                                    map.insert("kind".into(), Value::String(watch.kind.clone()));
                                    map.insert(
                                        "apiVersion".into(),
                                        Value::String(watch.api_version.clone()),
                                    );
                                }
                                line(serde_json::json!({"type": "ADDED", "object": object}))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (objects, *state.version.borrow())
            };
            for object in objects {
                if tx.send(object).await.is_err() {
                    return;
                }
            }
            if watch.initial_events && tx.send(bookmark(version, true)).await.is_err() {
                return;
            }
            version
        };
        let mut deadline = std::pin::pin!(tokio::time::sleep(watch.timeout));
        let mut first = true;
        loop {
            let lines: Vec<Bytes> = {
                let history = state.history.lock().unwrap_or_else(PoisonError::into_inner);
                let lines = history
                    .iter()
                    .filter(|h| {
                        h.version > last
                            && h.path == watch.path
                            && (watch.namespace.is_none() || h.namespace == watch.namespace)
                    })
                    .map(|h| Bytes::from(h.line.clone()))
                    .collect();
                if let Some(newest) = history.last() {
                    last = last.max(newest.version);
                }
                lines
            };
            for l in lines {
                if tx.send(l).await.is_err() {
                    return;
                }
            }
            if first && watch.bookmarks && tx.send(bookmark(last, false)).await.is_err() {
                return;
            }
            first = false;
            tokio::select! {
                r = changed.changed() => if r.is_err() { return },
                () = deadline.as_mut() => return,
                () = tx.closed() => return,
            }
        }
    });
    rx
}

fn status_body(code: u16, reason: &str, message: &str) -> String {
    serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code
    })
    .to_string()
}

/// How long to wait before answering (taken once where so named).
fn take_delay(state: &State, path: &str) -> Option<Duration> {
    let (list_path, _) = split_namespace(path);
    let mut faults = state.faults.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(i) = faults
        .slow_once
        .iter()
        .position(|(p, _)| list_path.starts_with(p.as_str()))
    {
        return Some(faults.slow_once.remove(i).1);
    }
    faults.delay_all
}

fn answer(state: &State, path: &str, query: &str, accept: &str) -> Answer {
    let params: BTreeMap<String, String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), decode(v)))
        .collect();
    let (list_path, namespace) = split_namespace(path);
    let watching = matches!(params.get("watch").map(String::as_str), Some("true" | "1"));
    let mut expire = false;
    // Faults, each taken once where so named.
    let fault = {
        let mut faults = state.faults.lock().unwrap_or_else(PoisonError::into_inner);
        if watching
            && let Some(i) = faults
                .expire_watch_once
                .iter()
                .position(|p| list_path.starts_with(p.as_str()))
        {
            faults.expire_watch_once.remove(i);
            expire = true;
        }
        if faults
            .forbidden
            .iter()
            .chain(faults.forbidden_watch.iter().filter(|_| watching))
            .any(|p| list_path.starts_with(p.as_str()))
        {
            Some(StatusCode::FORBIDDEN)
        } else if let Some(i) = faults
            .unavailable_once
            .iter()
            .position(|p| list_path.starts_with(p.as_str()))
        {
            faults.unavailable_once.remove(i);
            Some(StatusCode::SERVICE_UNAVAILABLE)
        } else if params.contains_key("continue")
            && let Some(i) = faults
                .expire_continue_once
                .iter()
                .position(|p| list_path.starts_with(p.as_str()))
        {
            faults.expire_continue_once.remove(i);
            Some(StatusCode::GONE)
        } else {
            None
        }
    };
    match fault {
        Some(StatusCode::FORBIDDEN) => {
            let resource = list_path.rsplit('/').next().unwrap_or_default();
            let segments: Vec<&str> = list_path.split('/').collect();
            let group = if segments.get(1) == Some(&"apis") {
                segments.get(2).copied().unwrap_or("")
            } else {
                ""
            };
            let message = format!(
                "{resource}{}{group} is forbidden: User \"system:serviceaccount:rampart-system:rampart\" cannot {verb} resource \"{resource}\" in API group \"{group}\" at the cluster scope",
                if group.is_empty() { "" } else { "." },
                verb = if watching { "watch" } else { "list" },
            );
            return Answer::Body(
                StatusCode::FORBIDDEN,
                status_body(403, "Forbidden", &message),
            );
        }
        Some(StatusCode::GONE) => {
            return Answer::Body(
                StatusCode::GONE,
                status_body(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                ),
            );
        }
        Some(status) => {
            return Answer::Body(
                status,
                status_body(
                    status.as_u16(),
                    "ServiceUnavailable",
                    "the server is currently unable to handle the request",
                ),
            );
        }
        None => {}
    }
    let recorded = state
        .recorded
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if !watching && let Some(doc) = recorded.documents.get(path) {
        return Answer::Body(StatusCode::OK, String::from_utf8_lossy(doc).into_owned());
    }
    // A kind the server serves with no object recorded: an empty list.
    let empty;
    let list = if let Some(list) = recorded.lists.get(&list_path) {
        Some(list)
    } else {
        empty = known_kind(&list_path);
        empty.as_ref()
    };
    let Some(list) = list else {
        return Answer::Body(
            StatusCode::NOT_FOUND,
            status_body(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ),
        );
    };
    if watching {
        let from = match params.get("resourceVersion").map(String::as_str) {
            None | Some("" | "0") => None,
            Some(v) => v.parse::<u64>().ok(),
        };
        return Answer::Watch(Watch {
            path: list_path,
            namespace,
            kind: list
                .kind
                .strip_suffix("List")
                .unwrap_or(&list.kind)
                .to_string(),
            api_version: list.api_version.clone(),
            from,
            initial_events: params.get("sendInitialEvents").is_some_and(|v| v == "true"),
            bookmarks: params
                .get("allowWatchBookmarks")
                .is_some_and(|v| v == "true"),
            timeout: Duration::from_secs(
                params
                    .get("timeoutSeconds")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(290),
            ),
            expire,
        });
    }
    let metadata_only = accept.contains("as=PartialObjectMetadataList");
    let (kind, api_version) = if metadata_only {
        (
            "PartialObjectMetadataList".to_string(),
            "meta.k8s.io/v1".to_string(),
        )
    } else {
        (list.kind.clone(), list.api_version.clone())
    };
    let selected: Vec<&str> = list
        .items
        .iter()
        .enumerate()
        .filter(|(_, (ns, _))| namespace.is_none() || ns.as_deref() == namespace.as_deref())
        .map(|(i, (_, json))| {
            if metadata_only {
                list.metadata_items.get(i).map_or("{}", String::as_str)
            } else {
                json.as_str()
            }
        })
        .collect();
    let start = params
        .get("continue")
        .and_then(|t| t.strip_prefix("eyJvZmZzZXQiOi"))
        .and_then(|t| t.strip_suffix("+/="))
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(0);
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(selected.len());
    let page = selected.get(start..end).unwrap_or_default();
    let next = if end < selected.len() {
        format!(",\"continue\":\"eyJvZmZzZXQiOi{end}+/=\"")
    } else {
        String::new()
    };
    let version = *state.version.borrow();
    let mut body = format!(
        "{{\"kind\":\"{kind}\",\"apiVersion\":\"{api_version}\",\"metadata\":{{\"resourceVersion\":\"{version}\"{next}}},\"items\":["
    );
    body.reserve(page.iter().map(|s| s.len() + 1).sum());
    for (i, item) in page.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    body.push_str("]}");
    Answer::Body(StatusCode::OK, body)
}

/// An empty list of a kind Rampart reads, when the path is one of its list paths.
fn known_kind(list_path: &str) -> Option<RecordedList> {
    let segments: Vec<&str> = list_path.split('/').collect();
    let (group, version, resource) = match segments.as_slice() {
        ["", "api", version, resource] => ("", *version, *resource),
        ["", "apis", group, version, resource] => (*group, *version, *resource),
        _ => return None,
    };
    let res = RESOURCES
        .iter()
        .chain([&SECRETS])
        .find(|r| r.group == group && r.resource == resource)?;
    Some(RecordedList {
        kind: format!("{}List", res.kind),
        api_version: if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        },
        ..RecordedList::default()
    })
}

/// `/api/v1/namespaces/NS/pods` -> (`/api/v1/pods`, `NS`).
fn split_namespace(path: &str) -> (String, Option<String>) {
    let segments: Vec<&str> = path.split('/').collect();
    let at = match segments.get(1) {
        Some(&"api") => 3,
        Some(&"apis") => 4,
        _ => return (path.to_string(), None),
    };
    if segments.get(at) == Some(&"namespaces") && segments.len() == at + 3 {
        let mut kept: Vec<&str> = segments.get(..at).unwrap_or_default().to_vec();
        kept.extend(segments.get(at + 2));
        let namespace = segments.get(at + 1).map(|s| decode(s));
        return (kept.join("/"), namespace);
    }
    (path.to_string(), None)
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaced_paths() {
        assert_eq!(
            split_namespace("/api/v1/namespaces/web/pods"),
            ("/api/v1/pods".to_string(), Some("web".to_string()))
        );
        assert_eq!(
            split_namespace("/apis/apps/v1/namespaces/web/deployments"),
            (
                "/apis/apps/v1/deployments".to_string(),
                Some("web".to_string())
            )
        );
        assert_eq!(
            split_namespace("/api/v1/namespaces"),
            ("/api/v1/namespaces".to_string(), None)
        );
        assert_eq!(decode("a%2B%2F%3D"), "a+/=");
    }
}
