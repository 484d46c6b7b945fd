//! The cluster context of the admission webhook, kept current with watches.
//!
//! [`Connection::watch`] starts one kube-rs [`watcher`] per kind the webhook's cluster
//! context keeps ([`CONTEXT_KINDS`]: Namespaces, RBAC objects, NetworkPolicies,
//! Services and workloads; never Secrets or ConfigMaps). Each watcher lists its kind
//! once, then watches from the list's resourceVersion; kube-rs resumes a dropped watch
//! from the last resourceVersion seen, lists again on 410 Gone, and backs off
//! exponentially (0.8 s up to 30 s) after errors. Watches reconnect for as long as the
//! [`ContextWatch`] lives; dropping it (or [`ContextWatch::stop`]) cancels them.
//!
//! Objects are reduced ([`crate::reduce`]) and converted to Rampart objects as they
//! arrive, into one store per kind. After changes, at most once per `debounce`, the
//! callback gets an [`Update`] with every object of every kind. The first update comes
//! when every kind has listed once ([`Update::initial`]): until then the webhook is
//! not ready. A kind the identity may not list or watch (403) does not hold the first
//! update back: it is logged as a warning naming the missing permission, left out
//! ([`Update::missing`]) and tried again with backoff, so granting the permission later
//! brings it in.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::watcher::Event as WatchEvent;
use kube::runtime::{WatchStreamExt, watcher};
use rampart_model::Object;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::Incomplete;
use crate::client::{Error, Options, load_config};
use crate::resources::{RESOURCES, Resource};

/// The kinds watched: those the webhook's cluster context keeps.
pub use rampart_model::kinds::ADMISSION_CONTEXT_KINDS as CONTEXT_KINDS;

/// The resources watched, in [`RESOURCES`] order.
pub fn context_resources() -> Vec<Resource> {
    RESOURCES
        .iter()
        .filter(|r| CONTEXT_KINDS.contains(&r.kind))
        .copied()
        .collect()
}

/// What the callback gets after changes.
#[derive(Debug)]
pub struct Update {
    /// Every object of the watched kinds, by kind ([`RESOURCES`] order), namespace and
    /// name.
    pub objects: Vec<Object>,
    /// The first update: every kind has listed once (or cannot be read, see
    /// `missing`).
    pub initial: bool,
    /// Kinds that cannot be read now (403 on `list` or `watch`, or not served), with
    /// the missing permission; their objects are left out (or, when only `watch` is
    /// refused, stay as last listed).
    pub missing: Vec<Incomplete>,
}

/// A connection to the API server of a kubeconfig context, or of the pod's service
/// account.
#[derive(Clone)]
pub struct Connection {
    client: Client,
    context: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Loads the configuration (`options.kubeconfig` and `options.context`, else
    /// `KUBECONFIG` or `~/.kube/config`, else in-cluster) and makes a client. Sends no
    /// request. Only the connection fields of `options` count.
    pub async fn open(options: &Options) -> Result<Connection, Error> {
        let (mut config, context) = load_config(options).await?;
        // A watch is quiet while nothing changes: reads wait as long as kube-rs lets a
        // watch run (290 s) before the connection counts as dead.
        config.read_timeout = Some(Duration::from_secs(295));
        let client = Client::try_from(config).map_err(Error::Client)?;
        Ok(Connection { client, context })
    }

    /// The kubeconfig context (`in-cluster` inside a pod).
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Starts watching [`CONTEXT_KINDS`] on the current tokio runtime; `on_update` is
    /// called after changes, at most once per `debounce` (see the module docs).
    pub fn watch(
        &self,
        debounce: Duration,
        on_update: impl FnMut(Update) + Send + 'static,
    ) -> ContextWatch {
        self.watch_resources(context_resources(), debounce, on_update)
    }

    /// As [`Connection::watch`], for chosen kinds (tests).
    pub fn watch_resources(
        &self,
        resources: Vec<Resource>,
        debounce: Duration,
        on_update: impl FnMut(Update) + Send + 'static,
    ) -> ContextWatch {
        let shared = Arc::new(Shared {
            stores: Mutex::new(Stores {
                kinds: resources.iter().map(|_| Store::new()).collect(),
                generation: 0,
            }),
            changed: Notify::new(),
        });
        let mut tasks = JoinSet::new();
        for (index, resource) in resources.into_iter().enumerate() {
            let client = self.client.clone();
            let shared = Arc::clone(&shared);
            tasks.spawn(async move {
                // A watch that ends (it should not) or panics is started again.
                loop {
                    let run =
                        AssertUnwindSafe(watch_kind(client.clone(), index, resource, &shared));
                    if run.catch_unwind().await.is_err() {
                        tracing::error!(
                            resource = %resource.qualified(),
                            "the watch failed unexpectedly; starting it again"
                        );
                    }
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            });
        }
        tasks.spawn(publish(shared, debounce, on_update));
        ContextWatch { tasks }
    }
}

/// Running watches; dropping it cancels them.
#[derive(Debug)]
pub struct ContextWatch {
    tasks: JoinSet<()>,
}

impl ContextWatch {
    /// Cancels the watches and waits until they are gone.
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}

struct Shared {
    stores: Mutex<Stores>,
    /// Told after every change.
    changed: Notify,
}

struct Stores {
    kinds: Vec<Store>,
    /// Counts changes, so an unchanged context is not published again.
    generation: u64,
}

type Key = (String, String);

/// One kind's objects.
struct Store {
    objects: BTreeMap<Key, Object>,
    /// While the kind is listed again: what the list has given so far.
    relist: Option<BTreeMap<Key, Object>>,
    /// Listed at least once.
    listed: bool,
    /// Why it cannot be read now (a permission or a kind not served).
    missing: Option<Incomplete>,
}

impl Store {
    fn new() -> Self {
        Store {
            objects: BTreeMap::new(),
            relist: None,
            listed: false,
            missing: None,
        }
    }

    /// Listed, or known to be unreadable: the first update need not wait for it.
    fn settled(&self) -> bool {
        self.listed || self.missing.is_some()
    }
}

impl Shared {
    fn with<T>(&self, index: usize, change: impl FnOnce(&mut Store) -> T) -> Option<T> {
        let mut stores = self.stores.lock().unwrap_or_else(PoisonError::into_inner);
        let out = change(stores.kinds.get_mut(index)?);
        stores.generation += 1;
        drop(stores);
        self.changed.notify_one();
        Some(out)
    }
}

fn api_resource(resource: &Resource) -> ApiResource {
    let version = resource.versions.first().copied().unwrap_or("v1");
    ApiResource {
        group: resource.group.to_string(),
        version: version.to_string(),
        api_version: if resource.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{version}", resource.group)
        },
        kind: resource.kind.to_string(),
        plural: resource.resource.to_string(),
    }
}

/// Keeps one kind's store current; returns only if the watch stream ends.
async fn watch_kind(client: Client, index: usize, resource: Resource, shared: &Shared) {
    let ar = api_resource(&resource);
    let api: Api<DynamicObject> = Api::all_with(client, &ar);
    let qualified = resource.qualified();
    let stream = watcher(api, watcher::Config::default()).default_backoff();
    let mut stream = std::pin::pin!(stream);
    // The last problem logged, so a failing kind warns once, not at every retry.
    let mut failing: Option<(String, Option<u16>)> = None;
    while let Some(event) = stream.next().await {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                let (verb, status, message) = describe(&error);
                if failing.as_ref() != Some(&(verb.to_string(), status)) {
                    failing = Some((verb.to_string(), status));
                    log_failure(&qualified, verb, status, &message);
                }
                // 403 (no permission) and 404 (not served) will not pass by waiting:
                // the kind is left out until they do.
                if matches!(status, Some(403 | 404)) {
                    let incomplete = Incomplete {
                        resource: qualified.clone(),
                        verb: verb.to_string(),
                        status,
                        message,
                        practices: resource
                            .practices
                            .iter()
                            .map(|p| (*p).to_string())
                            .collect(),
                    };
                    shared.with(index, |store| {
                        if verb == "list" {
                            store.objects.clear();
                            store.relist = None;
                        }
                        store.missing = Some(incomplete);
                    });
                }
                continue;
            }
        };
        if failing.take().is_some() {
            tracing::info!(resource = %qualified, "reading again");
        }
        match event {
            WatchEvent::Init => {
                shared.with(index, |store| store.relist = Some(BTreeMap::new()));
            }
            WatchEvent::InitApply(object) => {
                if let Some((key, object)) = convert(object, &ar) {
                    shared.with(index, |store| {
                        store
                            .relist
                            .get_or_insert_with(BTreeMap::new)
                            .insert(key, object);
                    });
                }
            }
            WatchEvent::InitDone => {
                shared.with(index, |store| {
                    store.objects = store.relist.take().unwrap_or_default();
                    store.listed = true;
                    store.missing = None;
                });
                tracing::debug!(resource = %qualified, "listed");
            }
            WatchEvent::Apply(object) => {
                if let Some((key, object)) = convert(object, &ar) {
                    shared.with(index, |store| {
                        store.objects.insert(key, object);
                        store.missing = None;
                    });
                }
            }
            WatchEvent::Delete(object) => {
                let key = key(&object);
                shared.with(index, |store| {
                    store.objects.remove(&key);
                    store.missing = None;
                });
            }
        }
    }
}

fn key(object: &DynamicObject) -> Key {
    (
        object.metadata.namespace.clone().unwrap_or_default(),
        object.metadata.name.clone().unwrap_or_default(),
    )
}

/// Reduces and converts one object; `None` (with a warning) when it cannot be.
fn convert(object: DynamicObject, ar: &ApiResource) -> Option<(Key, Object)> {
    let key = key(&object);
    let converted = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let value = serde_json::to_value(object).ok()?;
        crate::collect::object(value, &ar.kind, &ar.api_version)
    }));
    let Ok(Some(converted)) = converted else {
        tracing::warn!(kind = %ar.kind, namespace = %key.0, name = %key.1, "an object could not be read; left out of the cluster context");
        return None;
    };
    Some((key, converted))
}

/// The verb that failed, the HTTP status when the API server answered, and a message.
fn describe(error: &watcher::Error) -> (&'static str, Option<u16>, String) {
    let api = |e: &kube::Error| match e {
        kube::Error::Api(status) => (Some(status.code), status.message.clone()),
        other => (None, other.to_string()),
    };
    match error {
        watcher::Error::InitialListFailed(e) => {
            let (status, message) = api(e);
            ("list", status, message)
        }
        watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => {
            let (status, message) = api(e);
            ("watch", status, message)
        }
        watcher::Error::WatchError(status) => ("watch", Some(status.code), status.message.clone()),
        watcher::Error::NoResourceVersion => (
            "watch",
            None,
            "no resourceVersion in the answer".to_string(),
        ),
    }
}

fn log_failure(resource: &str, verb: &str, status: Option<u16>, message: &str) {
    match status {
        Some(403) => tracing::warn!(
            resource,
            verb,
            "cannot {verb} `{resource}` (403 forbidden): the identity lacks `{verb} {resource}`; \
             the cluster context goes on without them ({message})"
        ),
        Some(404) => tracing::warn!(
            resource,
            "`{resource}` is not served (404); the cluster context goes on without them"
        ),
        // The history the watch resumed from is gone: kube-rs lists again.
        Some(410) => tracing::debug!(resource, "watch expired (410); listing again"),
        _ => tracing::warn!(
            resource,
            verb,
            "cannot {verb} `{resource}`: {message}; retrying"
        ),
    }
}

/// Publishes the stores after changes, at most once per `debounce`, once every kind
/// has settled.
async fn publish(
    shared: Arc<Shared>,
    debounce: Duration,
    mut on_update: impl FnMut(Update) + Send + 'static,
) {
    let mut published: Option<u64> = None;
    let mut initial = true;
    loop {
        shared.changed.notified().await;
        tokio::time::sleep(debounce).await;
        let update = {
            let stores = shared.stores.lock().unwrap_or_else(PoisonError::into_inner);
            if published == Some(stores.generation) || !stores.kinds.iter().all(Store::settled) {
                continue;
            }
            published = Some(stores.generation);
            Update {
                objects: stores
                    .kinds
                    .iter()
                    .flat_map(|k| k.objects.values().cloned())
                    .collect(),
                initial,
                missing: stores
                    .kinds
                    .iter()
                    .filter_map(|k| k.missing.clone())
                    .collect(),
            }
        };
        if initial {
            tracing::info!(
                objects = update.objects.len(),
                missing = update.missing.len(),
                "cluster context listed"
            );
        }
        initial = false;
        if std::panic::catch_unwind(AssertUnwindSafe(|| on_update(update))).is_err() {
            tracing::error!("the cluster context update failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_kinds_are_read_kinds_and_never_secrets_or_configmaps() {
        let resources = context_resources();
        assert_eq!(resources.len(), CONTEXT_KINDS.len());
        assert!(
            resources
                .iter()
                .all(|r| r.kind != "Secret" && r.kind != "ConfigMap")
        );
        let rbac = api_resource(
            resources
                .iter()
                .find(|r| r.kind == "ClusterRoleBinding")
                .unwrap(),
        );
        assert_eq!(rbac.api_version, "rbac.authorization.k8s.io/v1");
        assert_eq!(rbac.plural, "clusterrolebindings");
        let ns = api_resource(resources.iter().find(|r| r.kind == "Namespace").unwrap());
        assert_eq!((ns.group.as_str(), ns.api_version.as_str()), ("", "v1"));
    }
}
