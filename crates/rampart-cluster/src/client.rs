//! The API client: configuration, `/version`, discovery and paginated lists.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, StatusCode, header};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::Incomplete;
use crate::collect::{Collected, Collector, Items};
use crate::resources::{RESOURCES, Resource, SECRETS};
use crate::snapshot::Header;

/// How to reach the cluster and what to read.
#[derive(Clone, Debug)]
pub struct Options {
    /// A kubeconfig file; default `KUBECONFIG` or `~/.kube/config`, then the in-cluster
    /// service account.
    pub kubeconfig: Option<PathBuf>,
    /// A kubeconfig context; default the current one.
    pub context: Option<String>,
    /// Only this namespace (cluster-scoped kinds are still read); default all.
    pub namespace: Option<String>,
    /// Read ConfigMaps (their values feed the secret detectors).
    pub configmaps: bool,
    /// List Secrets' metadata (never their values).
    pub secret_metadata: bool,
    /// Objects per page (`limit`).
    pub chunk_size: u32,
    /// Time allowed for one request, body included.
    pub request_timeout: Duration,
    /// Retries of a request that failed with 429, 5xx, a timeout or a dropped connection.
    pub retries: u32,
    /// Lists read at the same time.
    pub concurrency: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kubeconfig: None,
            context: None,
            namespace: None,
            configmaps: true,
            secret_metadata: false,
            chunk_size: 500,
            request_timeout: Duration::from_secs(30),
            retries: 5,
            concurrency: 4,
        }
    }
}

/// Something that happened while reading, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// Discovery is done: this many kinds will be listed.
    Discovered {
        /// Kinds to list.
        kinds: usize,
    },
    /// A page of a kind arrived.
    Page {
        /// `resource.group`.
        resource: &'a str,
        /// Objects held so far, all kinds together.
        objects: usize,
    },
    /// A kind is read (or given up).
    Done {
        /// `resource.group`.
        resource: &'a str,
    },
    /// A request failed and will be tried again.
    Retry {
        /// The path asked for.
        path: &'a str,
        /// Why it failed.
        reason: &'a str,
    },
}

/// Receives [`Event`]s.
pub trait Progress: Send + Sync {
    /// Called for each event, from the reading thread.
    fn event(&self, event: Event<'_>);
}

/// A [`Progress`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _: Event<'_>) {}
}

/// What a cluster read gives: the snapshot header and the objects.
#[derive(Debug)]
pub struct Read {
    /// Version, context, scope and what could not be read.
    pub header: Header,
    /// The objects, ready for an inventory.
    pub collected: Collected,
}

/// Why a cluster could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The kubeconfig (or in-cluster configuration) could not be loaded.
    #[error("cannot load the cluster configuration: {0}")]
    Config(String),
    /// The client could not be built.
    #[error("cannot create a client")]
    Client(#[source] kube::Error),
    /// The API server refused or failed a request the scan cannot do without.
    #[error("{path}: {message}")]
    Api {
        /// The path asked for.
        path: String,
        /// What the server said, or what went wrong.
        message: String,
    },
    /// Ctrl-C.
    #[error("interrupted")]
    Interrupted,
    /// The async runtime could not start.
    #[error("cannot start the runtime")]
    Runtime(#[source] std::io::Error),
}

/// Reads the cluster. Blocks; Ctrl-C stops it with [`Error::Interrupted`].
pub fn read(options: &Options, progress: &dyn Progress, created_at: String) -> Result<Read, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let result = runtime.block_on(async {
        tokio::select! {
            r = read_async(options, progress, created_at) => r,
            _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
        }
    });
    // Reads still in flight after Ctrl-C are dropped, not awaited.
    runtime.shutdown_background();
    result
}

async fn read_async(
    options: &Options,
    progress: &dyn Progress,
    created_at: String,
) -> Result<Read, Error> {
    let (config, context) = load_config(options).await?;
    let client = Client::try_from(config).map_err(Error::Client)?;
    let api = Arc::new(Api {
        client,
        timeout: options.request_timeout,
        retries: options.retries,
    });
    let kubernetes_version = version(&api, progress).await?;
    let targets = discover(&api, options, progress).await?;
    progress.event(Event::Discovered {
        kinds: targets.len(),
    });

    // A small channel: a list waits while the collector converts, so unconverted pages
    // never pile up.
    let (tx, mut rx) = mpsc::channel::<Msg>(2);
    let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for target in targets {
        let api = Arc::clone(&api);
        let tx = tx.clone();
        let permits = Arc::clone(&permits);
        let chunk = options.chunk_size.max(1);
        let namespace = options.namespace.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let outcome = list(&api, &target, namespace.as_deref(), chunk, &tx).await;
            let _ = tx.send(Msg::Done(target.res.qualified())).await;
            (target, outcome)
        });
    }
    drop(tx);

    let mut collector = Collector::new(&context);
    let mut unreadable = Vec::new();
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Page {
                res,
                kind,
                api_version,
                secrets,
                body,
            } => {
                if let Err(e) = collect_page(&mut collector, &body, kind, &api_version, secrets) {
                    unreadable.push(Incomplete {
                        resource: res.clone(),
                        verb: "list".into(),
                        status: None,
                        message: format!("unreadable list: {e}"),
                        practices: RESOURCES
                            .iter()
                            .chain([&SECRETS])
                            .find(|r| r.qualified() == res)
                            .map(|r| r.practices.iter().map(|p| (*p).to_string()).collect())
                            .unwrap_or_default(),
                    });
                }
                progress.event(Event::Page {
                    resource: &res,
                    objects: collector.len(),
                });
            }
            Msg::Restart(kind) => collector.discard(kind),
            Msg::Retry { path, reason } => progress.event(Event::Retry {
                path: &path,
                reason: &reason,
            }),
            Msg::Done(res) => progress.event(Event::Done { resource: &res }),
        }
    }
    let mut incomplete = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((_, Ok(()))) => {}
            Ok((target, Err(failure))) => incomplete.push(failure.incomplete(&target.res)),
            Err(e) => {
                return Err(Error::Api {
                    path: String::new(),
                    message: format!("a list task failed: {e}"),
                });
            }
        }
    }
    incomplete.extend(unreadable);
    incomplete.sort_by(|a, b| a.resource.cmp(&b.resource));
    Ok(Read {
        header: Header {
            created_at,
            kubernetes_version,
            context,
            namespace: options.namespace.clone(),
            incomplete,
        },
        collected: collector.finish(),
    })
}

pub(crate) async fn load_config(options: &Options) -> Result<(Config, String), Error> {
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    let kubeconfig = match &options.kubeconfig {
        Some(path) => Some(Kubeconfig::read_from(path).map_err(|e| Error::Config(e.to_string()))?),
        None => match Kubeconfig::read() {
            Ok(k) => Some(k),
            // No kubeconfig: inside a pod, the service account's.
            Err(e) if options.context.is_some() => return Err(Error::Config(e.to_string())),
            Err(_) => None,
        },
    };
    let (mut config, context) = match kubeconfig {
        Some(k) => {
            let context = options
                .context
                .clone()
                .or_else(|| k.current_context.clone())
                .unwrap_or_else(|| "cluster".into());
            let config = Config::from_custom_kubeconfig(k, &kube_options)
                .await
                .map_err(|e| Error::Config(e.to_string()))?;
            (config, context)
        }
        None => (
            Config::incluster().map_err(|e| {
                Error::Config(format!(
                    "no kubeconfig (KUBECONFIG, ~/.kube/config) and not in a pod: {e}"
                ))
            })?,
            "in-cluster".to_string(),
        ),
    };
    config.connect_timeout = Some(options.request_timeout);
    config.read_timeout = Some(options.request_timeout);
    Ok((config, context))
}

/// A kind to list at a version the server serves.
#[derive(Clone, Debug)]
struct Target {
    res: Resource,
    version: String,
    namespaced: bool,
}

impl Target {
    fn api_version(&self) -> String {
        if self.res.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.res.group, self.version)
        }
    }

    fn path(&self, namespace: Option<&str>) -> String {
        let base = if self.res.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.res.group, self.version)
        };
        match namespace.filter(|_| self.namespaced) {
            Some(ns) => format!("{base}/namespaces/{}/{}", encode(ns), self.res.resource),
            None => format!("{base}/{}", self.res.resource),
        }
    }
}

/// Messages from the list tasks to the collector.
enum Msg {
    Page {
        res: String,
        kind: &'static str,
        api_version: String,
        secrets: bool,
        /// The response body, parsed by the collector.
        body: Vec<u8>,
    },
    /// The list's continue token expired: it is read again from the start.
    Restart(&'static str),
    Retry {
        path: String,
        reason: String,
    },
    Done(String),
}

/// The HTTP side: one GET with timeout and retries.
struct Api {
    client: Client,
    timeout: Duration,
    retries: u32,
}

/// A response.
struct Reply {
    status: StatusCode,
    body: Vec<u8>,
}

/// Why a kind could not be read.
#[derive(Debug)]
struct Failure {
    status: Option<u16>,
    message: String,
}

impl Failure {
    fn incomplete(self, res: &Resource) -> Incomplete {
        Incomplete {
            resource: res.qualified(),
            verb: "list".into(),
            status: self.status,
            message: self.message,
            practices: res.practices.iter().map(|p| (*p).to_string()).collect(),
        }
    }
}

const JSON: &str = "application/json";
/// Secrets as `PartialObjectMetadataList`: names, labels and annotations, never values.
/// No fallback type is offered, so a server that cannot do it answers 406, not data.
pub(crate) const METADATA_ONLY: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

impl Api {
    /// GETs a path; retries 429, 5xx, timeouts and transport errors with exponential
    /// backoff (and `Retry-After`, up to 30 s). Other statuses are returned.
    async fn get(
        &self,
        path: &str,
        accept: &str,
        retry: &(dyn Fn(&str, &str) + Sync),
    ) -> Result<Reply, Failure> {
        let mut attempt = 0u32;
        loop {
            let (reason, wait) = match self.once(path, accept).await {
                Ok((status, headers, body)) => {
                    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                        let after = headers
                            .get(header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse::<u64>().ok())
                            .map(|s| Duration::from_secs(s.min(30)));
                        (format!("{status}: {}", status_message(&body)), after)
                    } else {
                        return Ok(Reply { status, body });
                    }
                }
                Err(reason) => (reason, None),
            };
            if attempt >= self.retries {
                return Err(Failure {
                    status: None,
                    message: format!("{reason} (after {} attempts)", attempt + 1),
                });
            }
            retry(path, &reason);
            let backoff = Duration::from_millis(200u64.saturating_mul(1 << attempt.min(6)));
            tokio::time::sleep(wait.unwrap_or(backoff).min(Duration::from_secs(30))).await;
            attempt += 1;
        }
    }

    async fn once(
        &self,
        path: &str,
        accept: &str,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), String> {
        let request = http::Request::get(path)
            .header(header::ACCEPT, accept)
            .body(kube::client::Body::empty())
            .map_err(|e| e.to_string())?;
        let call = async {
            let response = self.client.send(request).await.map_err(|e| e.to_string())?;
            let (parts, body) = response.into_parts();
            let bytes = body.collect_bytes().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((parts.status, parts.headers, bytes.to_vec()))
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(format!("timed out after {:?}", self.timeout)),
        }
    }
}

/// The `message` of a `metav1.Status` body, or the start of the body.
fn status_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Status {
        #[serde(default)]
        message: String,
    }
    match serde_json::from_slice::<Status>(body) {
        Ok(s) if !s.message.is_empty() => s.message,
        _ => String::from_utf8_lossy(body.get(..200).unwrap_or(body))
            .trim()
            .to_string(),
    }
}

async fn version(api: &Api, progress: &dyn Progress) -> Result<Option<String>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Info {
        git_version: String,
    }
    let retry = |path: &str, reason: &str| progress.event(Event::Retry { path, reason });
    let reply = api
        .get("/version", JSON, &retry)
        .await
        .map_err(|f| Error::Api {
            path: "/version".into(),
            message: f.message,
        })?;
    match reply.status {
        StatusCode::OK => Ok(serde_json::from_slice::<Info>(&reply.body)
            .ok()
            .map(|i| i.git_version)),
        StatusCode::UNAUTHORIZED => Err(Error::Api {
            path: "/version".into(),
            message: format!(
                "401 unauthorized: the credentials were refused ({})",
                status_message(&reply.body)
            ),
        }),
        // Some clusters hide the version; the scan goes on without it.
        _ => Ok(None),
    }
}

/// The kinds to list, at versions the server serves.
async fn discover(
    api: &Api,
    options: &Options,
    progress: &dyn Progress,
) -> Result<Vec<Target>, Error> {
    #[derive(Deserialize)]
    struct ResourceList {
        #[serde(default)]
        resources: Vec<ApiResource>,
    }
    #[derive(Deserialize)]
    struct ApiResource {
        name: String,
        #[serde(default)]
        namespaced: bool,
        #[serde(default)]
        verbs: Vec<String>,
    }
    #[derive(Deserialize)]
    struct GroupList {
        #[serde(default)]
        groups: Vec<Group>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Group {
        name: String,
        #[serde(default)]
        versions: Vec<GroupVersion>,
        preferred_version: Option<GroupVersion>,
    }
    #[derive(Deserialize)]
    struct GroupVersion {
        version: String,
    }

    let retry = |path: &str, reason: &str| progress.event(Event::Retry { path, reason });
    let wanted: Vec<Resource> = RESOURCES
        .iter()
        .copied()
        .filter(|r| options.configmaps || r.resource != "configmaps")
        .chain(options.secret_metadata.then_some(SECRETS))
        .collect();
    let fetch = |path: String| async move {
        match api.get(&path, JSON, &retry).await {
            Ok(reply) if reply.status == StatusCode::OK => Ok(Some(reply.body)),
            Ok(reply) if reply.status == StatusCode::UNAUTHORIZED => Err(Error::Api {
                path,
                message: format!(
                    "401 unauthorized: the credentials were refused ({})",
                    status_message(&reply.body)
                ),
            }),
            Ok(_) => Ok(None),
            Err(f) => Err(Error::Api {
                path,
                message: f.message,
            }),
        }
    };
    // Group -> (version, resources served there). Unknown when discovery is refused:
    // then the stable kinds are listed at their usual version and errors tell.
    let groups: Option<GroupList> = fetch("/apis".into())
        .await?
        .and_then(|b| serde_json::from_slice(&b).ok());
    let mut served: Vec<(&'static str, String, Option<Vec<ApiResource>>)> = Vec::new();
    let mut names: Vec<&'static str> = wanted.iter().map(|r| r.group).collect();
    names.dedup();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let accepted: Vec<&'static str> = wanted
            .iter()
            .filter(|r| r.group == name)
            .flat_map(|r| r.versions.iter().copied())
            .collect();
        let version = if name.is_empty() {
            Some("v1".to_string())
        } else {
            match &groups {
                None => accepted.first().map(|v| (*v).to_string()),
                Some(list) => list.groups.iter().find(|g| g.name == name).and_then(|g| {
                    accepted
                        .iter()
                        .find(|v| g.versions.iter().any(|gv| gv.version == **v))
                        .map(|v| (*v).to_string())
                        .or_else(|| {
                            accepted
                                .is_empty()
                                .then(|| {
                                    g.preferred_version
                                        .as_ref()
                                        .or(g.versions.first())
                                        .map(|v| v.version.clone())
                                })
                                .flatten()
                        })
                }),
            }
        };
        let Some(version) = version else { continue };
        let path = if name.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{name}/{version}")
        };
        let resources = fetch(path)
            .await?
            .and_then(|b| serde_json::from_slice::<ResourceList>(&b).ok())
            .map(|l| l.resources);
        served.push((name, version, resources));
    }
    let mut targets = Vec::new();
    for res in wanted {
        let Some((_, version, resources)) = served.iter().find(|(g, _, _)| *g == res.group) else {
            continue; // the group is not served
        };
        match resources {
            Some(list) => {
                if let Some(found) = list
                    .iter()
                    .find(|r| r.name == res.resource && r.verbs.iter().any(|v| v == "list"))
                {
                    targets.push(Target {
                        res,
                        version: version.clone(),
                        namespaced: found.namespaced,
                    });
                }
            }
            None if !res.optional => targets.push(Target {
                res,
                version: version.clone(),
                namespaced: res.namespaced,
            }),
            None => {}
        }
    }
    Ok(targets)
}

/// A page's metadata alone (its items are skipped, not built).
#[derive(Deserialize)]
struct PageHead {
    #[serde(default)]
    metadata: PageMeta,
}

#[derive(Default, Deserialize)]
struct PageMeta {
    #[serde(default, rename = "continue")]
    next: Option<String>,
}

/// Lists one kind page by page, sending each page to the collector.
async fn list(
    api: &Api,
    target: &Target,
    namespace: Option<&str>,
    chunk: u32,
    tx: &mpsc::Sender<Msg>,
) -> Result<(), Failure> {
    let path = target.path(namespace);
    let secrets = target.res == SECRETS;
    let accept = if secrets { METADATA_ONLY } else { JSON };
    let api_version = target.api_version();
    let mut next: Option<String> = None;
    let mut restarts = 0u32;
    let retry = |path: &str, reason: &str| {
        let _ = tx.try_send(Msg::Retry {
            path: path.to_string(),
            reason: reason.to_string(),
        });
    };
    loop {
        let url = match &next {
            Some(token) => format!("{path}?limit={chunk}&continue={}", encode(token)),
            None => format!("{path}?limit={chunk}"),
        };
        let reply = api.get(&url, accept, &retry).await?;
        match reply.status {
            StatusCode::OK => {}
            // The continue token expired (the list took longer than etcd keeps
            // revisions): read the kind again from the start, as client-go's pager does.
            StatusCode::GONE if next.is_some() && restarts < 3 => {
                restarts += 1;
                next = None;
                tx.send(Msg::Restart(target.res.kind))
                    .await
                    .map_err(closed)?;
                continue;
            }
            status => {
                return Err(Failure {
                    status: Some(status.as_u16()),
                    message: status_message(&reply.body),
                });
            }
        }
        // Only the continue token is read here; the page travels to the collector as
        // the bytes it came as (the most compact form it has) and is parsed there, one
        // page at a time.
        let meta: PageHead = serde_json::from_slice(&reply.body).map_err(|e| Failure {
            status: None,
            message: format!("unreadable list: {e}"),
        })?;
        tx.send(Msg::Page {
            res: target.res.qualified(),
            kind: target.res.kind,
            api_version: api_version.clone(),
            secrets,
            body: reply.body,
        })
        .await
        .map_err(closed)?;
        match meta.metadata.next.filter(|t| !t.is_empty()) {
            Some(token) => next = Some(token),
            None => return Ok(()),
        }
    }
}

/// Turns one page into objects, one item at a time.
fn collect_page(
    collector: &mut Collector,
    body: &[u8],
    kind: &str,
    api_version: &str,
    secrets: bool,
) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    PageItems(Items {
        collector,
        kind,
        api_version,
        metadata_only: secrets,
    })
    .deserialize(&mut de)?;
    de.end()
}

/// A list's `items`, fed to the collector; the rest of the list is skipped.
struct PageItems<'c>(Items<'c>);

impl<'de> DeserializeSeed<'de> for PageItems<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PageItems<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a Kubernetes list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut items = Some(self.0);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match (key.as_ref(), items.take()) {
                ("items", Some(seed)) => map.next_value_seed(seed)?,
                (_, seed) => {
                    items = seed;
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

fn closed<T>(_: mpsc::error::SendError<T>) -> Failure {
    Failure {
        status: None,
        message: "stopped".into(),
    }
}

/// Percent-encodes a path segment or query value (continue tokens are base64).
fn encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 0xf] {
                out.push(char::from(
                    HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_continue_tokens() {
        assert_eq!(encode("eyJ2Ijoi+/="), "eyJ2Ijoi%2B%2F%3D");
    }

    #[test]
    fn paths() {
        let t = Target {
            res: RESOURCES[4],
            version: "v1".into(),
            namespaced: true,
        };
        assert_eq!(t.path(None), "/apis/apps/v1/deployments");
        assert_eq!(
            t.path(Some("web")),
            "/apis/apps/v1/namespaces/web/deployments"
        );
        assert_eq!(t.api_version(), "apps/v1");
    }
}
