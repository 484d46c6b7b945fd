//! Command-line arguments, as close to what the user typed as possible.

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

/// Checks Kubernetes clusters and manifests against six security practices: RBAC,
/// secrets, network policy, pod security, updates and audit.
#[derive(Debug, Parser)]
#[command(name = "rampart", version, about, max_term_width = 100)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) command: Command,
}

impl Args {
    /// Parses the process's arguments. Installed as `kubectl-rampart`, Rampart is a
    /// kubectl plugin (`kubectl rampart scan ...`), and its usage and errors say so.
    pub(crate) fn from_env() -> Self {
        let mut command = Args::command();
        let plugin = std::env::args_os()
            .next()
            .map(PathBuf::from)
            .and_then(|p| p.file_stem().map(|s| s == "kubectl-rampart"))
            .unwrap_or(false);
        if plugin {
            command = command.bin_name("kubectl rampart");
        }
        let matches = command.get_matches();
        Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

// Parsed once per process: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Scan manifests (files, directories, kustomizations or `-` for stdin), a live
    /// cluster (`--cluster`) or a snapshot (`--snapshot`).
    Scan(ScanArgs),
    /// Read a live cluster (as `scan --cluster` does) into a file that `scan --snapshot`
    /// scans offline with the same findings.
    Snapshot(SnapshotArgs),
    /// Pod Security admission's verdict for every pod-bearing object, as the API server
    /// would decide it for a namespace enforcing LEVEL at VERSION.
    Pss(PssArgs),
    /// Whether a user may do something, and every binding -> role -> rule that allows it.
    #[command(name = "can-i")]
    CanI(CanIArgs),
    /// Which users, groups and service accounts may do something.
    #[command(name = "who-can")]
    WhoCan(WhoCanArgs),
    /// Every subject's shortest privilege-escalation path to cluster-admin and to every
    /// Secret, step by step.
    Escalations(EscalationsArgs),
    /// NetworkPolicy reachability: `reach SRC DST -f PATH...` explains one connection;
    /// `reach --all PATH...` lists every allowed connection.
    Reach(ReachArgs),
    /// The admission webhook: `POST /validate` (AdmissionReview), `/healthz`, `/readyz`,
    /// `/metrics`, over TLS.
    Serve(ServeArgs),
    /// Audit policies: `audit-policy explain FILE --verb V --resource R` prints the rule
    /// that decides a request and its level, as the API server would.
    #[command(name = "audit-policy")]
    AuditPolicy {
        #[command(subcommand)]
        command: AuditPolicyCommand,
    },
    /// RBAC analyses: `rbac effective SUBJECT -f PATH...`.
    Rbac {
        #[command(subcommand)]
        command: RbacCommand,
    },
    /// Audit-log analysis: secrets read, exec, anonymous access, RBAC grants,
    /// privileged pods, token requests, impersonation, node proxy and 403 bursts.
    #[command(name = "audit-log")]
    AuditLog(AuditLogArgs),
    /// Least-privilege Roles and bindings that allow exactly the requests a subject
    /// made in an audit log; `--compare` lists the rights existing RBAC grants that
    /// it never used.
    #[command(name = "rbac-from-audit")]
    RbacFromAudit(RbacFromAuditArgs),
    /// Export rules as native Kubernetes admission objects: `export vap`.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// List every rule.
    Rules {
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value_t = RulesFormat::Text)]
        output: RulesFormat,
    },
    /// Show a rule's documentation.
    Explain {
        /// A rule code (`POD001`) or name (`privileged-container`).
        rule: String,
    },
    /// Print a shell completion script (`rampart completions bash > /etc/bash_completion.d/rampart`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, clap::Args)]
#[allow(clippy::struct_excessive_bools)] // command-line switches are bools
pub(crate) struct ScanArgs {
    /// Files or directories to scan; `-` reads stdin.
    #[arg(required_unless_present_any = ["node_root", "cluster", "snapshot"], value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// Scan the live cluster of the kubeconfig (read-only; Secrets are not read).
    #[arg(long, conflicts_with = "snapshot")]
    pub(crate) cluster: bool,
    /// Scan a snapshot written by `rampart snapshot` (`.json` or `.json.gz`).
    #[arg(long, value_name = "FILE")]
    pub(crate) snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) cluster_args: ClusterArgs,
    /// A copy of a control-plane node's filesystem: its static pods
    /// (`DIR/etc/kubernetes/manifests`) are scanned, and files their flags name
    /// (encryption configuration, audit policy) are read relative to DIR.
    #[arg(long, value_name = "DIR")]
    pub(crate) node_root: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Text)]
    pub(crate) output: Format,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) output_file: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity (`none`: never).
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub(crate) fail_on: FailOn,
    /// Only these rules: codes, code prefixes (`POD`, `RBAC0`) or names; comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub(crate) select: Vec<String>,
    /// Never these rules: codes, code prefixes or names; comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub(crate) ignore: Vec<String>,
    /// The cluster's Kubernetes version (`v1.31`), when the input does not tell.
    #[arg(long, value_name = "VERSION")]
    pub(crate) k8s_version: Option<String>,
    /// Judge Kubernetes support and end-of-life dates as of this day (`YYYY-MM-DD`)
    /// instead of the system clock, for reproducible results.
    #[arg(long, value_name = "DATE")]
    pub(crate) now: Option<String>,
    /// Pod Security Standards level for namespaces without a
    /// `pod-security.kubernetes.io/enforce` label [default: restricted, or the config's
    /// `pss.level`].
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub(crate) pss_level: Option<PssLevel>,
    /// Pod Security Standards version (`v1.N` or `latest`) for namespaces without an
    /// enforce-version label [default: latest, or the config's `pss.version`].
    #[arg(long, value_name = "VERSION")]
    pub(crate) pss_version: Option<String>,
    /// Analyse exactly the RBAC objects of the input, without the API server's
    /// built-in roles and bindings.
    #[arg(long)]
    pub(crate) no_builtin_rbac: bool,
    /// Largest file read, in MiB.
    #[arg(long, default_value_t = 512, value_name = "MIB")]
    pub(crate) max_file_size: u64,
    /// Code frames for at most this many findings in text and HTML output.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub(crate) max_snippets: usize,
    /// PolicyReport API for `-o policyreport`.
    #[arg(long, value_enum, default_value_t = ReportApi::Wgpolicy, value_name = "API")]
    pub(crate) report_api: ReportApi,
    /// At most this many results in one PolicyReport (the most severe are kept; the
    /// summary still counts all).
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub(crate) max_results_per_report: usize,
    /// Settings from this file instead of the first `rampart.yaml` or `.rampart.yaml`
    /// found from the first PATH's directory up (docs/config.md).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub(crate) config: Option<PathBuf>,
    /// Look for no config file.
    #[arg(long)]
    pub(crate) no_config: bool,
    /// Report only findings that are not in this baseline (see --write-baseline).
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Write the current findings to FILE as a baseline, then report as if it applied.
    #[arg(long, value_name = "FILE")]
    pub(crate) write_baseline: Option<PathBuf>,
    /// Load and index the input, run no rule (a parse-only baseline for benchmarks).
    #[arg(long, hide = true)]
    pub(crate) no_rules: bool,
    /// Print how long each phase took to stderr.
    #[arg(long, hide = true)]
    pub(crate) timings: bool,
}

/// How to reach a live cluster and what to read (`scan --cluster`, `snapshot`).
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Live cluster")]
pub(crate) struct ClusterArgs {
    /// The kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub(crate) context: Option<String>,
    /// The kubeconfig file (default: KUBECONFIG, ~/.kube/config, then the pod's service
    /// account).
    #[arg(long, value_name = "FILE")]
    pub(crate) kubeconfig: Option<PathBuf>,
    /// Only this namespace (cluster-scoped kinds are still read).
    #[arg(
        short = 'n',
        long,
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    pub(crate) namespace: Option<String>,
    /// Every namespace (the default).
    #[arg(short = 'A', long)]
    pub(crate) all_namespaces: bool,
    /// Do not read ConfigMaps (their values feed the secret detectors).
    #[arg(long)]
    pub(crate) no_configmaps: bool,
    /// List Secrets' metadata (names, labels, annotations; never values). Needs `list
    /// secrets`, which also lets the identity read values: see docs/live.md.
    #[arg(long)]
    pub(crate) secret_metadata: bool,
    /// Objects per page of a list.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub(crate) chunk_size: u32,
    /// Time allowed for one request (`30s`, `500ms`, `2m`); failed requests are retried.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) request_timeout: std::time::Duration,
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30s, 500ms or 2m"))?;
    match unit {
        "ms" => Ok(std::time::Duration::from_millis(n)),
        "" | "s" => Ok(std::time::Duration::from_secs(n)),
        "m" => Ok(std::time::Duration::from_secs(n.saturating_mul(60))),
        _ => Err(format!("`{text}` is not a duration like 30s, 500ms or 2m")),
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct SnapshotArgs {
    /// The file to write; `.gz` compresses it.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: PathBuf,
    #[command(flatten)]
    pub(crate) cluster: ClusterArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Findings grouped by file with code frames, then a scorecard.
    Text,
    /// Versioned JSON (docs/schema/scan-v1.schema.json).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and SARIF viewers.
    Sarif,
    /// JUnit XML, one test suite per practice, for CI test reports.
    Junit,
    /// PolicyReport YAML per namespace and cluster-wide, for `kubectl apply`.
    Policyreport,
    /// One self-contained HTML page: scorecard, sortable findings, RBAC paths, network heat map.
    Html,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportApi {
    /// `PolicyReport` and `ClusterPolicyReport`.
    #[value(name = "wgpolicyk8s.io/v1alpha2")]
    Wgpolicy,
    /// `Report` and `ClusterReport`.
    #[value(name = "openreports.io/v1alpha1")]
    OpenReports,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum RulesFormat {
    /// A table.
    Text,
    /// JSON.
    Json,
    /// The Markdown table of the README.
    Markdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PssLevel {
    Privileged,
    Baseline,
    Restricted,
}

impl PssLevel {
    pub(crate) fn level(self) -> rampart_rules::pss::Level {
        match self {
            PssLevel::Privileged => rampart_rules::pss::Level::Privileged,
            PssLevel::Baseline => rampart_rules::pss::Level::Baseline,
            PssLevel::Restricted => rampart_rules::pss::Level::Restricted,
        }
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct PssArgs {
    /// The level to judge at.
    #[arg(long, value_enum)]
    pub(crate) level: PssLevel,
    /// The policy version, `v1.N` or `latest` (as the enforce-version label).
    #[arg(long, default_value = "latest")]
    pub(crate) version: String,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = PssFormat::Text)]
    pub(crate) output: PssFormat,
    /// Files or directories; `-` reads stdin.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PssFormat {
    /// One line per object, in admission's words.
    Text,
    /// `[{"file", "kind", "namespace", "name", "allowed", "violations": [{"check", "reason", "detail"}]}]`.
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct CanIArgs {
    /// Without the API server's built-in roles and bindings.
    #[arg(long)]
    pub(crate) no_builtin_rbac: bool,
    /// The verb (`get`, `list`, `create`, `impersonate`, ...).
    pub(crate) verb: String,
    /// `TYPE[.GROUP][/NAME]` (`pods`, `deployments.apps/web`, `secrets/tls`) or a
    /// non-resource URL (`/healthz`).
    pub(crate) target: String,
    /// The user to check (`system:serviceaccount:NS:NAME` for a ServiceAccount).
    #[arg(long = "as", default_value = "")]
    pub(crate) as_user: String,
    /// A group of the user (repeatable).
    #[arg(long = "as-group")]
    pub(crate) as_group: Vec<String>,
    /// The subresource (`exec`, `log`, `status`).
    #[arg(long)]
    pub(crate) subresource: Option<String>,
    /// The namespace; without it the request is cluster-scoped.
    #[arg(short = 'n', long)]
    pub(crate) namespace: Option<String>,
    /// Manifests holding the RBAC objects.
    #[arg(short = 'f', long = "filename", required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = QueryFormat::Text)]
    pub(crate) output: QueryFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct WhoCanArgs {
    /// Print how long loading, indexing and the query took to stderr.
    #[arg(long, hide = true)]
    pub(crate) timings: bool,
    /// Without the API server's built-in roles and bindings.
    #[arg(long)]
    pub(crate) no_builtin_rbac: bool,
    /// The verb.
    pub(crate) verb: String,
    /// `TYPE[.GROUP][/NAME]` or a non-resource URL.
    pub(crate) target: String,
    /// The subresource.
    #[arg(long)]
    pub(crate) subresource: Option<String>,
    /// The namespace; without it only cluster-wide grants count.
    #[arg(short = 'n', long)]
    pub(crate) namespace: Option<String>,
    /// Manifests holding the RBAC objects.
    #[arg(short = 'f', long = "filename", required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = QueryFormat::Text)]
    pub(crate) output: QueryFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum QueryFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct EscalationsArgs {
    /// Manifests holding the RBAC objects, ServiceAccounts, workloads and Secrets (metadata).
    #[arg(short = 'f', long = "filename", required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = GraphFormat::Text)]
    pub(crate) output: GraphFormat,
    /// Without the API server's built-in roles and bindings.
    #[arg(long)]
    pub(crate) no_builtin_rbac: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormat {
    Text,
    Json,
    /// Graphviz.
    Dot,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RbacCommand {
    /// The effective rules of a subject, per namespace and cluster-wide.
    Effective(EffectiveArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct EffectiveArgs {
    /// `User:NAME`, `Group:NAME`, `ServiceAccount:NS:NAME`, or a user name
    /// (`system:serviceaccount:NS:NAME` works too).
    pub(crate) subject: String,
    /// Manifests holding the RBAC objects.
    #[arg(short = 'f', long = "filename", required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = QueryFormat::Text)]
    pub(crate) output: QueryFormat,
    /// Without the API server's built-in roles and bindings.
    #[arg(long)]
    pub(crate) no_builtin_rbac: bool,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ReachArgs {
    /// `SRC DST` (each `NS/NAME`, `NS/NAME[Kind]`, `NAME` in `default`, or an IP
    /// address); with `--all`, paths to read.
    pub(crate) args: Vec<String>,
    /// List every allowed connection between workloads and external address ranges.
    #[arg(long)]
    pub(crate) all: bool,
    /// Only this port: `443`, `53/UDP`, `9000/SCTP` (allowed exits 0, denied 1).
    #[arg(long, value_name = "PORT[/PROTO]")]
    pub(crate) port: Option<String>,
    /// Show pods by their own names instead of their controlling workloads.
    #[arg(long, value_enum, default_value_t = ReachLevel::Workload)]
    pub(crate) level: ReachLevel,
    /// Manifests holding pods, workloads, namespaces and NetworkPolicies.
    #[arg(short = 'f', long = "filename")]
    pub(crate) files: Vec<PathBuf>,
    /// Output format (`connlist` is np-guard/netpol-analyzer's text format).
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ReachFormat::Text)]
    pub(crate) output: ReachFormat,
    /// Print how long each phase took to stderr.
    #[arg(long, hide = true)]
    pub(crate) timings: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReachLevel {
    Workload,
    Pod,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReachFormat {
    /// An explanation (one connection) or the connectivity list (`--all`).
    Text,
    /// One `SRC => DST : CONNECTIONS` line per allowed connection.
    Connlist,
    Json,
    Csv,
    /// Graphviz.
    Dot,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditPolicyCommand {
    /// The rule of the policy that decides a request, and the level it is logged at.
    Explain(AuditExplainArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct AuditExplainArgs {
    /// The audit Policy file (`audit.k8s.io/v1`).
    pub(crate) file: PathBuf,
    /// The verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, ...).
    #[arg(long)]
    pub(crate) verb: String,
    /// `RESOURCE[.GROUP][/SUBRESOURCE]` (`secrets`, `deployments.apps`, `pods/exec`).
    #[arg(long, conflicts_with = "path")]
    pub(crate) resource: Option<String>,
    /// A non-resource URL (`/healthz`).
    #[arg(long)]
    pub(crate) path: Option<String>,
    /// The object name.
    #[arg(long, default_value = "")]
    pub(crate) name: String,
    /// The user name.
    #[arg(long, default_value = "jane@example.com")]
    pub(crate) user: String,
    /// A group of the user (repeatable; `system:authenticated` is always added).
    #[arg(long)]
    pub(crate) group: Vec<String>,
    /// The namespace (none: a cluster-scoped request).
    #[arg(short = 'n', long, default_value = "")]
    pub(crate) namespace: String,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = QueryFormat::Text)]
    pub(crate) output: QueryFormat,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// PEM certificate chain (reloaded when the file changes).
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_cert: PathBuf,
    /// PEM private key (reloaded when the file changes).
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_key: PathBuf,
    /// Address and port to listen on.
    #[arg(long, default_value = "0.0.0.0:8443", value_name = "ADDR:PORT")]
    pub(crate) listen: std::net::SocketAddr,
    /// Manifests (or a `kubectl get -o json` dump) of the cluster around the requests:
    /// Namespaces, RBAC objects, NetworkPolicies, Services and workloads.
    #[arg(long = "context", value_name = "PATH")]
    pub(crate) context: Vec<PathBuf>,
    /// Deny findings at or above this severity (`none`: never deny by severity).
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub(crate) deny_at: FailOn,
    /// Warn about findings at or above this severity (below `--deny-at`).
    #[arg(long, value_enum, default_value_t = FailOn::Low)]
    pub(crate) warn_at: FailOn,
    /// Per rule: `CODE=deny|warn|audit|ignore` (repeatable; a rule name works too).
    #[arg(long = "rule", value_name = "CODE=ACTION")]
    pub(crate) rules: Vec<String>,
    /// Namespaces whose requests are always admitted (repeatable; default kube-system).
    #[arg(long = "exempt-namespace", value_name = "NS", default_values_t = ["kube-system".to_string()])]
    pub(crate) exempt_namespaces: Vec<String>,
    /// What to answer when no decision is reached in time or an internal error occurs.
    #[arg(long, value_enum, default_value_t = FailurePolicyArg::Ignore)]
    pub(crate) failure_policy: FailurePolicyArg,
    /// The longest a decision may take, in milliseconds.
    #[arg(long, default_value_t = 2000, value_name = "MS")]
    pub(crate) timeout_ms: u64,
    /// The largest AdmissionReview body accepted, in bytes.
    #[arg(long, default_value_t = 3 * 1024 * 1024, value_name = "BYTES")]
    pub(crate) max_body_bytes: usize,
    /// Log as JSON lines (for log pipelines) instead of text.
    #[arg(long)]
    pub(crate) log_json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailurePolicyArg {
    /// Deny.
    Fail,
    /// Admit, with a warning.
    Ignore,
}

#[derive(Debug, clap::Args)]
pub(crate) struct AuditLogArgs {
    /// Audit logs: JSON lines of `audit.k8s.io/v1` Events, or an EventList; gzip is
    /// detected; `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Only requests received at or after this time (RFC 3339, or `YYYY-MM-DD`).
    #[arg(long, value_name = "TIME")]
    pub(crate) since: Option<String>,
    /// Only requests received before this time (RFC 3339, or `YYYY-MM-DD`).
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = QueryFormat::Text)]
    pub(crate) output: QueryFormat,
    /// Principals with their own counters (403 bursts, top principals); requests of
    /// further principals are only counted in total.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub(crate) max_principals: usize,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RbacFromAuditArgs {
    /// Audit logs (JSON lines or an EventList, gzip detected; `-` reads stdin).
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// `User:NAME`, `Group:NAME`, `ServiceAccount:NS:NAME`, or a user name
    /// (`system:serviceaccount:NS:NAME` works too).
    #[arg(long)]
    pub(crate) subject: String,
    /// Existing RBAC manifests: list the rights they grant the subject that the log
    /// never used, instead of generating RBAC.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub(crate) compare: Vec<PathBuf>,
    /// Restrict rules to the object names seen (`resourceNames`).
    #[arg(long)]
    pub(crate) resource_names: bool,
    /// Only requests that were allowed (by default denied ones count too: they are
    /// what the subject needed).
    #[arg(long)]
    pub(crate) allowed_only: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ManifestFormat::Yaml)]
    pub(crate) output: ManifestFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ManifestFormat {
    /// Multi-document YAML (`--compare`: text).
    Yaml,
    /// A `kind: List` (`--compare`: JSON).
    Json,
}
#[derive(Debug, Subcommand)]
pub(crate) enum ExportCommand {
    /// ValidatingAdmissionPolicies (and bindings) with CEL for the rules CEL expresses
    /// exactly; `--list` shows which rules are exported and why the others are not.
    Vap(VapArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct VapArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = VapFormat::Yaml)]
    pub(crate) output: VapFormat,
    /// What the bindings do with a violation (`validationActions`).
    #[arg(long, value_enum, default_value_t = VapAction::Deny)]
    pub(crate) action: VapAction,
    /// List the exported rules and the others with the reason, instead of the policies.
    #[arg(long)]
    pub(crate) list: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum VapFormat {
    /// A multi-document YAML stream.
    Yaml,
    /// A `v1` `List`, as JSON.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum VapAction {
    /// Reject the request.
    Deny,
    /// Admit it with a warning.
    Warn,
    /// Admit it and record it in the audit log.
    Audit,
}
