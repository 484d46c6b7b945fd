//! `rampart serve`: the admission webhook.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use rampart_cluster::watch::{Connection, ContextWatch};
use rampart_rules::Severity;
use rampart_server::{Action, AppState, ClusterContext, Enforcement, FailurePolicy, Options};
use rampart_source::LoadOptions;

use crate::args::{FailOn, FailurePolicyArg, ServeArgs};

fn severity(f: FailOn) -> Option<Severity> {
    match f {
        FailOn::Critical => Some(Severity::Critical),
        FailOn::High => Some(Severity::High),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::Low => Some(Severity::Low),
        FailOn::Info => Some(Severity::Info),
        FailOn::None => None,
    }
}

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    // kube-rs' watcher logs every retry of a refused watch; `rampart_cluster::watch`
    // warns once per kind and names the missing permission instead.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,kube_runtime=error"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if args.log_json {
        builder.json().init();
    } else {
        builder.init();
    }

    let mut enforcement = Enforcement {
        deny_at: severity(args.deny_at),
        warn_at: severity(args.warn_at),
        exempt_namespaces: args.exempt_namespaces.clone(),
        ..Enforcement::default()
    };
    for spec in &args.rules {
        let Some((rule, action)) = spec.split_once('=') else {
            bail!("`--rule {spec}`: expected CODE=deny|warn|audit|ignore");
        };
        let Some(action) = Action::parse(action.trim()) else {
            bail!("`--rule {spec}`: the action must be deny, warn, audit or ignore");
        };
        enforcement.rules.insert(rule.trim().to_string(), action);
    }
    let mut objects = Vec::new();
    if !args.context.is_empty() {
        let loaded = rampart_source::load(&super::inputs(&args.context), &LoadOptions::default());
        rampart_report::text::write_diagnostics_of(
            &loaded.diagnostics,
            &mut anstream::stderr().lock(),
        )?;
        if loaded.has_errors() {
            bail!("the cluster context has input errors (see above)");
        }
        objects.extend(loaded.objects);
    }
    if let Some(path) = &args.context_snapshot {
        let (header, collected) = rampart_cluster::snapshot::read_file(path)
            .with_context(|| format!("reading the context snapshot {}", path.display()))?;
        tracing::info!(
            snapshot = %path.display(),
            context = %header.context,
            created_at = %header.created_at,
            "cluster context snapshot read"
        );
        // Kinds the snapshot could not read are missing from the context too.
        for missing in &header.incomplete {
            tracing::warn!(
                resource = %missing.resource,
                "the context snapshot lacks `{}`: {}",
                missing.resource,
                missing.message
            );
        }
        objects.extend(collected.objects);
    }
    let context = ClusterContext::new(objects);
    if !args.watch_cluster {
        tracing::info!(objects = context.len(), "cluster context loaded");
    }
    let options = Options {
        listen: args.listen,
        cert: args.tls_cert.clone(),
        key: args.tls_key.clone(),
        body_limit: args.max_body_bytes,
        timeout: Duration::from_millis(args.timeout_ms),
        failure_policy: match args.failure_policy {
            FailurePolicyArg::Fail => FailurePolicy::Fail,
            FailurePolicyArg::Ignore => FailurePolicy::Ignore,
        },
        enforcement,
        context,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    if !args.watch_cluster {
        runtime.block_on(rampart_server::serve(options))?;
        return Ok(ExitCode::SUCCESS);
    }
    let cluster = rampart_cluster::Options {
        kubeconfig: args.kubeconfig.clone(),
        context: args.kube_context.clone(),
        ..rampart_cluster::Options::default()
    };
    runtime.block_on(async {
        let connection = Connection::open(&cluster)
            .await
            .context("--watch-cluster")?;
        tracing::info!(context = %connection.context(), "watching the cluster context");
        let mut watch = None;
        let served = rampart_server::serve_with(options, |state| {
            watch = Some(watch_cluster(&connection, state, DEBOUNCE));
        })
        .await;
        if let Some(watch) = watch {
            watch.stop().await;
        }
        served
    })?;
    Ok(ExitCode::SUCCESS)
}

/// How long the watches gather changes before the context is rebuilt.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Keeps the state's cluster context current from the cluster's watches. `/readyz`
/// fails until every kind has been listed once.
fn watch_cluster(
    connection: &Connection,
    state: &Arc<AppState>,
    debounce: Duration,
) -> ContextWatch {
    state.set_ready(false);
    let state = Arc::clone(state);
    connection.watch(debounce, move |update| {
        let objects = update.objects.len();
        state.set_context(ClusterContext::new(update.objects));
        if update.initial {
            state.set_ready(true);
            tracing::info!(
                objects,
                missing = update.missing.len(),
                "cluster context listed; ready"
            );
        } else {
            tracing::debug!(objects, "cluster context updated");
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use rampart_cluster::fake::{FakeApi, Faults, Recorded};

    use super::*;

    #[test]
    fn not_ready_until_the_watched_context_is_listed() {
        let mut recorded = Recorded::default();
        recorded.add_objects([serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "shop"}})]);
        // The Namespaces' list is slow, so "not ready" is seen first.
        let server = FakeApi::start(
            recorded,
            Faults {
                slow_once: vec![("/api/v1/namespaces".into(), Duration::from_millis(500))],
                ..Faults::default()
            },
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let options = rampart_cluster::Options {
            kubeconfig: Some(server.write_kubeconfig(dir.path()).unwrap()),
            ..rampart_cluster::Options::default()
        };
        let state = AppState::new(
            Enforcement::default(),
            ClusterContext::default(),
            FailurePolicy::Ignore,
            Duration::from_secs(2),
        );
        assert!(state.is_ready());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let connection = Connection::open(&options).await.unwrap();
            let watch = watch_cluster(&connection, &state, Duration::from_millis(50));
            assert!(!state.is_ready(), "not ready before the first list");
            let deadline = Instant::now() + Duration::from_secs(30);
            while !state.is_ready() {
                assert!(Instant::now() < deadline, "never ready");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            watch.stop().await;
        });
        drop(server);
    }
}
