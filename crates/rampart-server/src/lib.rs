//! Rampart's admission webhook: `POST /validate` answers `admission.k8s.io/v1`
//! AdmissionReviews with the same rules a scan runs, plus `/healthz`, `/readyz` and
//! `/metrics`. TLS certificates are reloaded when their files change; SIGTERM and
//! Ctrl-C drain in-flight requests before exiting.
//!
//! The decision logic lives in [`admission`] and is plain synchronous code; this module
//! only adds HTTP, TLS, time limits and the failure policy.

#![warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod admission;
pub mod metrics;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use admission::{Action, ClusterContext, Enforcement};

/// What the webhook answers when it cannot decide (an internal error or a timeout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Deny the request.
    Fail,
    /// Admit it, with a warning.
    Ignore,
}

/// Everything the server needs.
#[derive(Debug)]
pub struct Options {
    /// Where to listen.
    pub listen: SocketAddr,
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
    /// The largest request body accepted (larger: 413).
    pub body_limit: usize,
    /// The longest a decision may take.
    pub timeout: Duration,
    /// What to answer when no decision was reached.
    pub failure_policy: FailurePolicy,
    /// How findings become decisions.
    pub enforcement: Enforcement,
    /// The cluster around the requests.
    pub context: ClusterContext,
}

/// At most this many `/audit` batches wait for the analyser; more are answered 429 so
/// the API server's batching backend retries them later (bounded memory under bursts).
const MAX_AUDIT_BATCHES_IN_FLIGHT: usize = 4;

/// State shared by the handlers.
pub struct AppState {
    enforcement: Enforcement,
    context: RwLock<Arc<ClusterContext>>,
    /// Request counters and latencies.
    pub metrics: metrics::Metrics,
    failure_policy: FailurePolicy,
    timeout: Duration,
    /// [`READY`] and [`DRAINING`] in one atomic, so that a late "ready" from the
    /// watches can never undo the start of a shutdown.
    readiness: AtomicU8,
    /// The audit-log analyser for `/audit` (stateful: 403 bursts, repeated stages).
    audit: std::sync::Mutex<rampart_audit::detect::Analyzer>,
    audit_slots: Arc<tokio::sync::Semaphore>,
}

/// `/readyz` answers 200.
const READY: u8 = 1;
/// Shutdown has begun: `/readyz` fails for good.
const DRAINING: u8 = 2;

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// State for a server (or a test).
    pub fn new(
        enforcement: Enforcement,
        context: ClusterContext,
        failure_policy: FailurePolicy,
        timeout: Duration,
    ) -> Arc<Self> {
        Arc::new(AppState {
            enforcement,
            context: RwLock::new(Arc::new(context)),
            metrics: metrics::Metrics::default(),
            failure_policy,
            timeout,
            readiness: AtomicU8::new(READY),
            audit: std::sync::Mutex::new(rampart_audit::detect::Analyzer::new(
                rampart_audit::detect::Options::default(),
            )),
            audit_slots: Arc::new(tokio::sync::Semaphore::new(MAX_AUDIT_BATCHES_IN_FLIGHT)),
        })
    }

    /// Replaces the cluster context (a reflector update or a snapshot reload).
    pub fn set_context(&self, context: ClusterContext) {
        if let Ok(mut slot) = self.context.write() {
            *slot = Arc::new(context);
        }
    }

    /// Sets what `/readyz` answers (a watched cluster context is not ready until
    /// listed). Once shutdown has begun it stays not ready.
    pub fn set_ready(&self, ready: bool) {
        // `Err` only when draining: then nothing changes.
        let _ = self
            .readiness
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |r| {
                (r & DRAINING == 0).then_some(if ready { READY } else { 0 })
            });
    }

    /// Marks the server as shutting down: not ready from now on.
    pub fn begin_draining(&self) {
        self.readiness.store(DRAINING, Ordering::SeqCst);
    }

    /// What `/readyz` answers.
    pub fn is_ready(&self) -> bool {
        self.readiness.load(Ordering::SeqCst) == READY
    }

    fn context(&self) -> Arc<ClusterContext> {
        self.context
            .read()
            .map_or_else(|_| Arc::new(ClusterContext::default()), |c| Arc::clone(&c))
    }
}

/// The routes, without TLS (tests drive it directly).
pub fn router(state: Arc<AppState>, body_limit: usize) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/audit", post(audit))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            body_limit,
            refuse_announced,
        ))
        .with_state(state)
}

/// Refuses a body announced as larger than the limit before reading it: reading and
/// decrypting a megabyte only to refuse it held a worker thread for a millisecond,
/// delaying every review queued behind it.
async fn refuse_announced(
    State(limit): State<usize>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|n| usize::try_from(n).map_or(true, |n| n > limit)) {
        return (StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded").into_response();
    }
    next.run(request).await
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    if state.is_ready() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
    }
}

async fn metrics_text(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// How a review ended.
enum Decision {
    Done(Result<admission::Outcome, admission::BadRequest>),
    /// No decision: why (a timeout, a panic).
    Failed(&'static str),
}

async fn validate(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let start = Instant::now();
    let context = state.context();
    // Most reviews take tens of microseconds: decided here, on the thread serving the
    // connection, they cost no handoff to another thread. Large bodies, RBAC objects and
    // large contexts go to a blocking thread, under the time limit.
    let decision = if body.len() <= admission::LIGHT_BODY_BYTES {
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            admission::parse(&body, &state.enforcement).map(|parsed| match parsed {
                admission::Parsed::Decided(outcome) => Ok(outcome),
                admission::Parsed::Pending(p) if p.is_light(&context) => {
                    Ok(p.decide(&context, &state.enforcement))
                }
                admission::Parsed::Pending(p) => Err(Box::new(p)),
            })
        }));
        match read {
            Ok(Ok(Ok(outcome))) => Decision::Done(Ok(outcome)),
            Ok(Ok(Err(pending))) => {
                let worker = Arc::clone(&state);
                blocking(&state, move || {
                    Ok(pending.decide(&context, &worker.enforcement))
                })
                .await
            }
            Ok(Err(bad)) => Decision::Done(Err(bad)),
            Err(_) => Decision::Failed("failed internally"),
        }
    } else {
        let (worker, worker_body) = (Arc::clone(&state), body.clone());
        blocking(&state, move || {
            admission::review(&worker_body, &context, &worker.enforcement)
        })
        .await
    };
    let seconds = start.elapsed().as_secs_f64();
    match decision {
        Decision::Done(Ok(outcome)) => {
            let denied = !outcome.response.allowed;
            state.metrics.observe(
                if denied {
                    metrics::Result::Denied
                } else {
                    metrics::Result::Allowed
                },
                seconds,
                &outcome.denied_by,
            );
            if denied {
                tracing::info!(uid = %outcome.response.uid, dry_run = outcome.dry_run, rules = ?outcome.denied_by, "denied");
            }
            review_response(&outcome.response)
        }
        Decision::Done(Err(admission::BadRequest(reason))) => {
            state
                .metrics
                .observe(metrics::Result::BadRequest, seconds, &[]);
            (StatusCode::BAD_REQUEST, reason).into_response()
        }
        Decision::Failed(why) => {
            state.metrics.observe(metrics::Result::Error, seconds, &[]);
            tracing::error!(why, "admission review not decided; failure policy applies");
            failure_response(&body, why, state.failure_policy)
        }
    }
}

/// Runs a review on a blocking thread, under the time limit.
async fn blocking(
    state: &AppState,
    work: impl FnOnce() -> Result<admission::Outcome, admission::BadRequest> + Send + 'static,
) -> Decision {
    let work = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
    });
    match tokio::time::timeout(state.timeout, work).await {
        Ok(Ok(Ok(result))) => Decision::Done(result),
        Err(_) => Decision::Failed("timed out"),
        _ => Decision::Failed("failed internally"),
    }
}

/// An `audit.k8s.io/v1` EventList batch from the API server's audit webhook backend
/// (`--audit-webhook-config-file`): each event goes through the audit-log detections;
/// what they find is logged as structured records and counted in the metrics.
async fn audit(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    #[derive(serde::Deserialize)]
    struct EventList<'a> {
        kind: Option<String>,
        #[serde(borrow, default)]
        items: Vec<&'a serde_json::value::RawValue>,
    }
    let Ok(permit) = Arc::clone(&state.audit_slots).try_acquire_owned() else {
        return (StatusCode::TOO_MANY_REQUESTS, "audit analyser busy; retry").into_response();
    };
    let worker = Arc::clone(&state);
    let result = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let list: EventList<'_> =
            serde_json::from_slice(&body).map_err(|e| format!("not an EventList: {e}"))?;
        if list.kind.as_deref().is_some_and(|k| k != "EventList") {
            return Err("`kind` must be EventList".to_string());
        }
        let file: Arc<str> = Arc::from("audit-webhook");
        let mut found = Vec::new();
        let Ok(mut analyzer) = worker.audit.lock() else {
            return Err("audit analyser unavailable".to_string());
        };
        let mut malformed = 0usize;
        for (i, item) in list.items.iter().enumerate() {
            let position = rampart_audit::read::Position::Item(i as u64);
            match rampart_audit::detect::record(item.get().as_bytes(), &file, position) {
                Ok(record) => analyzer.observe(record, &mut |d| found.push(d)),
                Err(message) => {
                    malformed += 1;
                    analyzer.malformed(&file, position, message);
                }
            }
        }
        Ok((list.items.len(), malformed, found))
    })
    .await;
    match result {
        Ok(Ok((events, malformed, detections))) => {
            state.metrics.audit_events(events as u64);
            for d in &detections {
                state
                    .metrics
                    .audit_detection(d.kind.name(), d.severity.as_str());
                tracing::warn!(target: "rampart::audit", detection = %d.to_json(), "{}", d.message);
            }
            if malformed > 0 {
                tracing::warn!(malformed, "audit events that could not be read");
            }
            (StatusCode::OK, "{}").into_response()
        }
        Ok(Err(reason)) => (StatusCode::BAD_REQUEST, reason).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "audit analysis failed").into_response(),
    }
}

fn review_response(response: &admission::Response) -> Response {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Review<'a> {
        api_version: &'static str,
        kind: &'static str,
        response: &'a admission::Response,
    }
    let body = Review {
        api_version: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        response,
    };
    match serde_json::to_vec(&body) {
        Ok(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            bytes,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The answer when no decision was reached: the failure policy, for the request's uid.
fn failure_response(body: &[u8], why: &str, policy: FailurePolicy) -> Response {
    let uid = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("request")?.get("uid")?.as_str().map(str::to_string));
    let Some(uid) = uid else {
        return (StatusCode::BAD_REQUEST, "no request uid").into_response();
    };
    let message = format!("Rampart {why}");
    let response = admission::Response {
        uid,
        allowed: policy == FailurePolicy::Ignore,
        status: (policy == FailurePolicy::Fail).then(|| admission::Status {
            code: 500,
            message: message.clone(),
        }),
        warnings: if policy == FailurePolicy::Ignore {
            vec![format!("{message}; admitted by the failure policy")]
        } else {
            Vec::new()
        },
        audit_annotations: std::collections::BTreeMap::new(),
    };
    review_response(&response)
}

/// Serves until SIGTERM or Ctrl-C, reloading the certificate when its files change.
pub async fn serve(options: Options) -> anyhow::Result<()> {
    serve_with(options, |_| {}).await
}

/// As [`serve`], handing the state to `started` before listening (a cluster watch
/// keeps the context current through it).
pub async fn serve_with(
    options: Options,
    started: impl FnOnce(&Arc<AppState>),
) -> anyhow::Result<()> {
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&options.cert, &options.key)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "reading {} and {}: {e}",
                options.cert.display(),
                options.key.display()
            )
        })?;
    let state = AppState::new(
        options.enforcement,
        options.context,
        options.failure_policy,
        options.timeout,
    );
    started(&state);
    let app = router(Arc::clone(&state), options.body_limit);
    let handle = axum_server::Handle::new();

    // Reload the certificate when cert-manager (or anyone) rewrites the files.
    let reload = {
        let tls = tls.clone();
        let (cert, key) = (options.cert.clone(), options.key.clone());
        tokio::spawn(async move {
            let mtime = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
            let mut last: (Option<SystemTime>, Option<SystemTime>) = (mtime(&cert), mtime(&key));
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                let now = (mtime(&cert), mtime(&key));
                if now != last {
                    match tls.reload_from_pem_file(&cert, &key).await {
                        Ok(()) => tracing::info!("TLS certificate reloaded"),
                        Err(e) => {
                            tracing::error!(error = %e, "TLS certificate reload failed; keeping the old one");
                        }
                    }
                    last = now;
                }
            }
        })
    };

    let shutdown = {
        let handle = handle.clone();
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            shutdown_signal().await;
            state.begin_draining();
            tracing::info!("shutting down: draining requests");
            handle.graceful_shutdown(Some(Duration::from_secs(10)));
        })
    };
    tracing::info!(listen = %options.listen, "serving");
    let served = axum_server::bind_rustls(options.listen, tls)
        .handle(handle)
        .serve(app.into_make_service())
        .await;
    reload.abort();
    shutdown.abort();
    served.map_err(|e| anyhow::anyhow!("serving on {}: {e}", options.listen))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_ready_does_not_undo_a_shutdown() {
        let state = AppState::new(
            Enforcement::default(),
            ClusterContext::default(),
            FailurePolicy::Fail,
            Duration::from_secs(1),
        );
        assert!(state.is_ready());
        state.set_ready(false);
        assert!(!state.is_ready());
        state.set_ready(true);
        assert!(state.is_ready());
        state.begin_draining();
        state.set_ready(true);
        assert!(!state.is_ready(), "draining stays not ready");
    }
}
