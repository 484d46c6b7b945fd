use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use std::path::PathBuf;

use rampart_model::{InputLevel, Inventory, KubeVersion};
use rampart_report::Report;
use rampart_report::baseline::Baseline;
use rampart_rules::pss::{Level, LevelVersion, Version};
use rampart_rules::releases::Date;
use rampart_rules::{Overrides, Selection, Settings, Severity};
use rampart_source::{Input, LoadOptions};

use super::{EXIT_ERROR, EXIT_FINDINGS};
use crate::args::{FailOn, Format, ReportApi, ScanArgs};

pub(crate) fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let first_path = args.paths.first().or(args.node_root.as_ref());
    let config = super::config::load(
        args.config.as_deref(),
        args.no_config,
        first_path.map(PathBuf::as_path),
    )?;
    let defaults = config.as_ref().map(|c| &c.config);
    // --select replaces the config's `rules.select`; --ignore adds to `rules.ignore`.
    let selection = Selection {
        select: if args.select.is_empty() {
            defaults.map(|c| c.select.clone()).unwrap_or_default()
        } else {
            args.select.clone()
        },
        ignore: defaults
            .map(|c| c.ignore.clone())
            .unwrap_or_default()
            .into_iter()
            .chain(args.ignore.iter().cloned())
            .collect(),
    };
    let unknown = selection.unknown_patterns();
    if !unknown.is_empty() {
        bail!(
            "no rule matches {}; `rampart rules` lists them",
            unknown.join(", ")
        );
    }
    let version = match &args.k8s_version {
        Some(v) => Some(
            KubeVersion::parse(v)
                .with_context(|| format!("`{v}` is not a Kubernetes version like v1.31"))?,
        ),
        None => None,
    };
    // The command line wins over the config, which wins over the defaults.
    let pss_version = match &args.pss_version {
        Some(text) => match Version::parse(text) {
            Some(v) => v,
            None => bail!("--pss-version takes `latest` or `v1.N`, not `{text}`"),
        },
        None => defaults
            .and_then(|c| c.pss_version)
            .unwrap_or(Version::Latest),
    };
    let today = match &args.now {
        Some(text) => Some(
            Date::parse(text)
                .with_context(|| format!("--now takes a date like 2026-08-20, not `{text}`"))?,
        ),
        None => None,
    };
    let settings = Settings {
        pss_default: LevelVersion {
            level: args
                .pss_level
                .map(crate::args::PssLevel::level)
                .or(defaults.and_then(|c| c.pss_level))
                .unwrap_or(Level::Restricted),
            version: pss_version,
        },
        builtin_rbac: !args.no_builtin_rbac
            && defaults.and_then(|c| c.builtin_rbac).unwrap_or(true),
        today,
    };
    let today = super::config::today()?;
    // The cluster is read first, under its own progress bar, so two never share stderr.
    let live = super::cluster::read_for_scan(args)?;
    let progress = super::progress::Progress::start("loading manifests");
    let mut inputs = super::inputs(&args.paths);
    if let Some(root) = &args.node_root {
        inputs.push(Input::Path(root.join("etc/kubernetes/manifests")));
    }
    let options = LoadOptions {
        max_file_bytes: args.max_file_size.saturating_mul(1024 * 1024),
    };
    let mut clock = Clock::new(args.timings);
    let mut loaded = rampart_source::load(&inputs, &options);
    let cluster_version = live.as_ref().and_then(|l| l.version);
    let live_objects = live.is_some();
    if let Some(live) = live {
        loaded.merge(live.loaded);
    }
    if let Some(root) = &args.node_root {
        // Files the components' flags name, read as the node would.
        let facts = rampart_model::ClusterFacts::gather(&loaded.objects, None);
        let mut extra: Vec<Input> = Vec::new();
        for c in &facts.components {
            for flag in ["encryption-provider-config", "audit-policy-file"] {
                if let Some(path) = c.get(flag).filter(|p| !p.is_empty()) {
                    let input = Input::Path(root.join(path.trim_start_matches('/')));
                    if !extra.contains(&input) {
                        extra.push(input);
                    }
                }
            }
        }
        if !extra.is_empty() {
            loaded.merge(rampart_source::load(&extra, &options));
        }
        for (name, text) in saved_command_lines(root) {
            loaded.merge(rampart_source::load_str(&name, &text));
        }
    }
    clock.lap("load");
    progress.phase(format!("indexing {} objects", loaded.objects.len()));
    let mut inventory = Inventory::new(loaded.files, loaded.objects, version);
    if let Some(v) = cluster_version.filter(|_| version.is_none()) {
        inventory.facts.version = Some((v, rampart_model::facts::VersionSource::ApiServer));
    }
    clock.lap("index");
    progress.phase(format!(
        "checking {} objects against {} rules",
        inventory.objects.len(),
        selection.rules().len()
    ));
    let mut outcome = if args.no_rules {
        rampart_rules::Outcome::default()
    } else {
        let overrides = match (&config, defaults) {
            (Some(loaded), Some(c)) => Overrides {
                severity: c.severity.clone(),
                excluded_files: super::config::excluded_files(loaded, &inventory.files),
                excluded_namespaces: c.exclude_namespaces.clone(),
                exceptions: c.exceptions.clone(),
                today,
            },
            _ => Overrides {
                today,
                ..Overrides::default()
            },
        };
        rampart_rules::engine::run_with(&inventory, &selection, &settings, &overrides)
    };
    // Input problems first, then suppression problems and what the rules could not
    // judge.
    let mut diagnostics = std::mem::take(&mut loaded.diagnostics);
    diagnostics.append(&mut outcome.diagnostics);
    let has_input_errors = diagnostics.iter().any(|d| d.level == InputLevel::Error);
    let baselined = apply_baseline(args, &inventory, &mut outcome)?;
    clock.lap("rules");
    if live_objects && matches!(args.output, Format::Text | Format::Html) {
        // Objects read from a cluster keep no text; print again those shown as code
        // frames (the first `--max-snippets` findings get one).
        let shown: std::collections::HashSet<rampart_model::FileId> = outcome
            .findings
            .iter()
            .take(args.max_snippets)
            .flat_map(|f| {
                f.file
                    .into_iter()
                    .chain(f.related.iter().filter_map(|r| r.file))
            })
            .collect();
        let files = std::mem::take(&mut inventory.files);
        inventory.files =
            rampart_cluster::with_texts(files, &inventory.objects, |id| shown.contains(&id));
    }
    progress.finish();
    // Only code frames show source lines; machine formats never need the mask.
    let sensitive = if matches!(args.output, Format::Text | Format::Html) {
        rampart_rules::secrets::sensitive_lines(&inventory)
    } else {
        std::collections::HashSet::new()
    };
    let report = Report {
        sensitive: &sensitive,
        inventory: &inventory,
        findings: &outcome.findings,
        suppressed: outcome.suppressed,
        suppressions: &outcome.suppressions,
        baselined,
        diagnostics: &diagnostics,
        inputs: &loaded.inputs,
    };
    match args.output {
        Format::Text => {
            // anstream strips the styles when stdout is not a terminal or NO_COLOR is set.
            let mut stdout = std::io::BufWriter::new(text_sink(args)?);
            let options = rampart_report::text::TextOptions {
                max_snippets: args.max_snippets,
            };
            rampart_report::text::write(&report, options, &mut stdout)?;
            stdout.flush()?;
        }
        Format::Json => {
            // Machine formats carry no styles: skip the stripping adapter.
            let mut stdout = std::io::BufWriter::new(sink(args)?);
            rampart_report::json::write(&report, &mut stdout)?;
            stdout.flush()?;
        }
        Format::Sarif => {
            let root = std::env::current_dir().ok();
            let options = rampart_report::sarif::SarifOptions {
                root: root.as_deref(),
            };
            let mut stdout = std::io::BufWriter::new(sink(args)?);
            rampart_report::sarif::write(&report, options, &mut stdout)?;
            stdout.flush()?;
        }
        Format::Junit => {
            let rules = if args.no_rules {
                Vec::new()
            } else {
                selection.rules()
            };
            let hostname = hostname();
            let options = rampart_report::junit::JunitOptions {
                rules: &rules,
                timestamp: now(),
                hostname: &hostname,
            };
            let mut stdout = std::io::BufWriter::new(sink(args)?);
            rampart_report::junit::write(&report, options, &mut stdout)?;
            stdout.flush()?;
        }
        Format::Policyreport => {
            let options = rampart_report::policyreport::PolicyReportOptions {
                api: match args.report_api {
                    ReportApi::Wgpolicy => rampart_report::policyreport::ReportApi::Wgpolicy,
                    ReportApi::OpenReports => rampart_report::policyreport::ReportApi::OpenReports,
                },
                max_results: args.max_results_per_report,
                fail_at: threshold(args.fail_on),
                timestamp: now(),
            };
            let mut stdout = std::io::BufWriter::new(sink(args)?);
            rampart_report::policyreport::write(&report, options, &mut stdout)?;
            stdout.flush()?;
        }
        Format::Html => {
            let options = rampart_report::html::HtmlOptions {
                max_snippets: args.max_snippets,
                ..rampart_report::html::HtmlOptions::default()
            };
            let mut stdout = std::io::BufWriter::new(sink(args)?);
            rampart_report::html::write(&report, options, &mut stdout)?;
            stdout.flush()?;
        }
    }
    clock.lap("report");
    if args.output == Format::Text {
        rampart_report::text::write_diagnostics(&report, &mut anstream::stderr().lock())?;
    }

    let failing =
        threshold(args.fail_on).is_some_and(|t| outcome.findings.iter().any(|f| f.severity >= t));
    let code = if has_input_errors {
        EXIT_ERROR
    } else if failing {
        EXIT_FINDINGS
    } else {
        0
    };
    // The inventory can hold millions of nodes; the process is about to exit, so let
    // the OS reclaim them instead of walking every tree.
    std::mem::forget(inventory);
    std::mem::forget(outcome);
    Ok(ExitCode::from(code))
}

/// `--write-baseline` records the findings (and then applies them); `--baseline` drops
/// the findings it lists. Returns how many findings the baseline absorbed.
fn apply_baseline(
    args: &ScanArgs,
    inventory: &Inventory,
    outcome: &mut rampart_rules::Outcome,
) -> anyhow::Result<usize> {
    let baseline = if let Some(path) = &args.write_baseline {
        let mut text = Vec::new();
        rampart_report::baseline::write(&outcome.findings, inventory, &mut text)?;
        std::fs::write(path, text)
            .with_context(|| format!("writing baseline {}", path.display()))?;
        eprintln!(
            "rampart: wrote {} finding{} to baseline {}",
            outcome.findings.len(),
            if outcome.findings.len() == 1 { "" } else { "s" },
            path.display()
        );
        Baseline::of(&outcome.findings)
    } else if let Some(path) = &args.baseline {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading baseline {}", path.display()))?;
        Baseline::parse(&text)
            .map_err(|e| anyhow::anyhow!("invalid baseline {}:{e}", path.display()))?
    } else {
        return Ok(0);
    };
    let (kept, absorbed) = baseline.filter(std::mem::take(&mut outcome.findings));
    outcome.findings = kept;
    Ok(absorbed)
}

/// Where a machine format goes: `--output-file`, else stdout.
fn sink(args: &ScanArgs) -> anyhow::Result<Box<dyn Write>> {
    Ok(match &args.output_file {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    })
}

/// Where the text format goes: a file never gets styles.
fn text_sink(args: &ScanArgs) -> anyhow::Result<Box<dyn Write>> {
    Ok(match &args.output_file {
        Some(path) => Box::new(anstream::StripStream::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(anstream::stdout().lock()),
    })
}

fn threshold(fail_on: FailOn) -> Option<Severity> {
    match fail_on {
        FailOn::Critical => Some(Severity::Critical),
        FailOn::High => Some(Severity::High),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::Low => Some(Severity::Low),
        FailOn::Info => Some(Severity::Info),
        FailOn::None => None,
    }
}

/// The time stamped on JUnit and PolicyReport output: `SOURCE_DATE_EPOCH` when set (for
/// reproducible output), else now.
pub(crate) fn now() -> rampart_report::Timestamp {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .map_or_else(rampart_report::Timestamp::now, |seconds| {
            rampart_report::Timestamp { seconds, nanos: 0 }
        })
}

/// The machine's name for JUnit's `hostname`, `localhost` when unknown.
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// Phase timings for `--timings`.
pub(crate) struct Clock {
    enabled: bool,
    last: std::time::Instant,
}

impl Clock {
    pub(crate) fn new(enabled: bool) -> Self {
        Clock {
            enabled,
            last: std::time::Instant::now(),
        }
    }

    pub(crate) fn lap(&mut self, phase: &str) {
        if self.enabled {
            let now = std::time::Instant::now();
            let _ = writeln!(
                anstream::stderr(),
                "timing: {phase:<7} {:>8.3} s",
                (now - self.last).as_secs_f64()
            );
            self.last = now;
        }
    }
}

/// Saved process command lines (`DIR/proc/<pid>/cmdline`, NUL-separated, as Linux
/// exposes them) of control-plane components, each turned into the Pod that would run
/// it, so their flags feed the cluster facts like a static pod's. The text is JSON with
/// one argument per line, so findings point at the flag.
fn saved_command_lines(root: &std::path::Path) -> Vec<(String, String)> {
    const COMPONENTS: [&str; 5] = [
        "kube-apiserver",
        "etcd",
        "kube-controller-manager",
        "kube-scheduler",
        "kubelet",
    ];
    let Ok(entries) = std::fs::read_dir(root.join("proc")) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path().join("cmdline"))
        .collect();
    paths.sort();
    for path in paths {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let args: Vec<String> = bytes
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let Some(binary) = args
            .first()
            .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
        else {
            continue;
        };
        if !COMPONENTS.contains(&binary.as_str()) {
            continue;
        }
        let quoted: Vec<String> = args
            .iter()
            .map(|a| serde_json::Value::from(a.as_str()).to_string())
            .collect();
        let text = format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"metadata\": {{\"name\": \"{binary}\", \"namespace\": \"kube-system\", \"annotations\": {{\"kubernetes.io/config.source\": \"file\"}}}},\n \"spec\": {{\"containers\": [{{\"name\": \"{binary}\", \"command\": [\n  {}\n ]}}]}}}}\n",
            quoted.join(",\n  ")
        );
        found.push((format!("{} (process command line)", path.display()), text));
    }
    found
}
