//! One module per subcommand.

mod audit_log;
mod audit_policy;
mod cluster;
mod config;
mod explain;
mod export;
mod progress;
mod pss;
mod rbac;
mod reach;
mod rules;
mod scan;
mod serve;

use std::process::ExitCode;

pub(crate) use cluster::Interrupted;

use crate::args::{Args, Command};

/// Path arguments as loader inputs: `-` is stdin.
pub(crate) fn inputs(paths: &[std::path::PathBuf]) -> Vec<rampart_source::Input> {
    paths
        .iter()
        .map(|p| {
            if p.as_os_str() == "-" {
                rampart_source::Input::Stdin
            } else {
                rampart_source::Input::Path(p.clone())
            }
        })
        .collect()
}

/// Exit codes: 0 clean, 1 findings at or above `--fail-on`, 2 usage or input errors.
pub(crate) const EXIT_FINDINGS: u8 = 1;
pub(crate) const EXIT_ERROR: u8 = 2;

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Scan(scan) => scan::run(&scan),
        Command::Snapshot(args) => cluster::snapshot(&args),
        Command::Pss(pss) => pss::run(&pss),
        Command::CanI(args) => rbac::can_i(&args),
        Command::WhoCan(args) => rbac::who_can(&args),
        Command::Escalations(args) => rbac::escalations(&args),
        Command::Reach(args) => reach::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::AuditPolicy {
            command: crate::args::AuditPolicyCommand::Explain(args),
        } => audit_policy::explain(&args),
        Command::Rbac {
            command: crate::args::RbacCommand::Effective(args),
        } => rbac::effective(&args),
        Command::AuditLog(args) => audit_log::run(&args),
        Command::RbacFromAudit(args) => audit_log::rbac_from_audit(&args),
        Command::Export {
            command: crate::args::ExportCommand::Vap(args),
        } => export::vap(&args),
        Command::Rules { output } => rules::run(output),
        Command::Explain { rule } => explain::run(&rule),
        Command::Completions { shell } => {
            let mut command = <Args as clap::CommandFactory>::command();
            let mut stdout = std::io::stdout().lock();
            clap_complete::generate(shell, &mut command, "rampart", &mut stdout);
            Ok(ExitCode::SUCCESS)
        }
    }
}
