//! `scan --cluster`, `scan --snapshot` and `snapshot`: the glue to rampart-cluster.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;
use rampart_model::{InputLevel, KubeVersion};
use rampart_source::{InputStatus, Loaded, Status};

use super::EXIT_ERROR;
use crate::args::{ClusterArgs, ScanArgs, SnapshotArgs};

/// Ctrl-C while reading a cluster; `main` exits 130 for it.
#[derive(Debug)]
pub(crate) struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// What a cluster or snapshot adds to a scan.
pub(crate) struct Live {
    pub(crate) loaded: Loaded,
    /// The API server's version, when it told.
    pub(crate) version: Option<KubeVersion>,
}

/// Reads `--cluster` or `--snapshot`, if given.
pub(crate) fn read_for_scan(args: &ScanArgs) -> anyhow::Result<Option<Live>> {
    let (header, collected, input) = if let Some(path) = &args.snapshot {
        let (header, collected) = rampart_cluster::snapshot::read_file(path)
            .with_context(|| format!("reading snapshot {}", path.display()))?;
        (header, collected, path.display().to_string())
    } else if args.cluster {
        let read = read_cluster(&args.cluster_args)?;
        let input = read.header.context.clone();
        (read.header, read.collected, input)
    } else {
        return Ok(None);
    };
    let objects = u32::try_from(collected.objects.len()).unwrap_or(u32::MAX);
    let mut diagnostics = collected.diagnostics;
    diagnostics.extend(
        header
            .incomplete
            .iter()
            .map(|i| i.diagnostic(&header.context)),
    );
    let status = if diagnostics.iter().any(|d| d.level == InputLevel::Error) {
        Status::Error
    } else {
        Status::Parsed
    };
    Ok(Some(Live {
        loaded: Loaded {
            files: collected.files,
            objects: collected.objects,
            diagnostics,
            inputs: vec![InputStatus {
                path: input,
                status,
                documents: objects,
                objects,
            }],
        },
        version: header
            .kubernetes_version
            .as_deref()
            .and_then(KubeVersion::parse),
    }))
}

/// `rampart snapshot`.
pub(crate) fn snapshot(args: &SnapshotArgs) -> anyhow::Result<ExitCode> {
    let read = read_cluster(&args.cluster)?;
    rampart_cluster::snapshot::write_file(&args.output, &read.header, &read.collected.objects)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let mut stderr = anstream::stderr().lock();
    let mut failed = false;
    for i in &read.header.incomplete {
        let d = i.diagnostic(&read.header.context);
        failed |= d.level == InputLevel::Error;
        let _ = writeln_level(&mut stderr, d.level, &d.message);
    }
    let _ = writeln!(
        stderr,
        "wrote {} objects from `{}` to {}",
        read.collected.objects.len(),
        read.header.context,
        args.output.display()
    );
    Ok(ExitCode::from(if failed { EXIT_ERROR } else { 0 }))
}

fn writeln_level(
    out: &mut dyn std::io::Write,
    level: InputLevel,
    message: &str,
) -> std::io::Result<()> {
    let word = match level {
        InputLevel::Error => "error",
        InputLevel::Warning => "warning",
        InputLevel::Skipped => "skipped",
    };
    writeln!(out, "{word}: {message}")
}

fn read_cluster(args: &ClusterArgs) -> anyhow::Result<rampart_cluster::Read> {
    let options = rampart_cluster::Options {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespace: args.namespace.clone(),
        configmaps: !args.no_configmaps,
        secret_metadata: args.secret_metadata,
        chunk_size: args.chunk_size,
        request_timeout: args.request_timeout,
        ..rampart_cluster::Options::default()
    };
    let bar = Bar::new();
    let created_at = format!("{}Z", super::scan::now().iso8601());
    let result = rampart_cluster::read(&options, &bar, created_at);
    bar.0.finish_and_clear();
    match result {
        Ok(read) => Ok(read),
        Err(rampart_cluster::Error::Interrupted) => Err(Interrupted.into()),
        Err(e) => Err(anyhow::Error::new(e).context("reading the cluster")),
    }
}

/// The progress bar on stderr while lists are read; hidden when stderr is not a terminal.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Bar(indicatif::ProgressBar::hidden());
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} reading the cluster [{bar:24}] {pos}/{len} kinds  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner())
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar.set_message("discovery");
        Bar(bar)
    }
}

impl rampart_cluster::Progress for Bar {
    fn event(&self, event: rampart_cluster::Event<'_>) {
        match event {
            rampart_cluster::Event::Discovered { kinds } => {
                self.0.set_length(u64::try_from(kinds).unwrap_or(u64::MAX));
            }
            rampart_cluster::Event::Page { resource, objects } => {
                self.0
                    .set_message(format!("{objects} objects ({resource})"));
            }
            rampart_cluster::Event::Done { .. } => self.0.inc(1),
            rampart_cluster::Event::Retry { path, reason } => {
                self.0.set_message(format!("retrying {path}: {reason}"));
            }
        }
    }
}
