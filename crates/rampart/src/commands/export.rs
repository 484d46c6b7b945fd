//! `rampart export vap`: ValidatingAdmissionPolicies for the rules CEL expresses.

use std::io::Write;
use std::process::ExitCode;

use rampart_rules::vap::{self, Action, Options};

use crate::args::{VapAction, VapArgs, VapFormat};

pub(crate) fn vap(args: &VapArgs) -> anyhow::Result<ExitCode> {
    let options = Options {
        action: match args.action {
            VapAction::Deny => Action::Deny,
            VapAction::Warn => Action::Warn,
            VapAction::Audit => Action::Audit,
        },
        ..Options::default()
    };
    let policies = vap::policies(&options).map_err(anyhow::Error::msg)?;
    let mut out = anstream::stdout().lock();
    if args.list {
        writeln!(out, "Exported as ValidatingAdmissionPolicies:")?;
        for p in &policies {
            writeln!(
                out,
                "  {:<8} {:<36} rampart-{}",
                p.rule.code,
                p.rule.name,
                p.rule.code.to_ascii_lowercase()
            )?;
        }
        writeln!(out, "\nNot exported:")?;
        for (rule, why) in vap::not_exported() {
            writeln!(out, "  {:<8} {:<36} {why}", rule.code, rule.name)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let objects = vap::objects(&policies);
    let text = match args.output {
        VapFormat::Yaml => vap::to_yaml(&objects),
        VapFormat::Json => vap::to_json(&objects),
    };
    out.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
