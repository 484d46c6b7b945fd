use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;

pub(crate) fn run(rule: &str) -> anyhow::Result<ExitCode> {
    let Some(meta) = rampart_rules::registry::find(rule) else {
        bail!("no rule `{rule}`; `rampart rules` lists them");
    };
    write!(
        anstream::stdout().lock(),
        "{}",
        rampart_rules::docs::rule_page(meta)
    )?;
    Ok(ExitCode::SUCCESS)
}
