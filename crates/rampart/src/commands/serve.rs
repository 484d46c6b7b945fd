//! `rampart serve`: the admission webhook.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use rampart_rules::Severity;
use rampart_server::{Action, ClusterContext, Enforcement, FailurePolicy, Options};
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
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
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
    let context = if args.context.is_empty() {
        ClusterContext::default()
    } else {
        let loaded = rampart_source::load(&super::inputs(&args.context), &LoadOptions::default());
        rampart_report::text::write_diagnostics_of(
            &loaded.diagnostics,
            &mut anstream::stderr().lock(),
        )?;
        if loaded.has_errors() {
            bail!("the cluster context has input errors (see above)");
        }
        ClusterContext::new(loaded.objects)
    };
    tracing::info!(objects = context.len(), "cluster context loaded");
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
    runtime.block_on(rampart_server::serve(options))?;
    Ok(ExitCode::SUCCESS)
}
