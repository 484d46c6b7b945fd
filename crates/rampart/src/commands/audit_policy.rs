//! `rampart audit-policy explain`: which rule of an audit Policy decides a request.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use rampart_analysis::audit::{Policy, Request, ResourceAttributes};
use rampart_model::Inventory;
use rampart_source::LoadOptions;
use serde_json::json;

use super::EXIT_ERROR;
use crate::args::{AuditExplainArgs, QueryFormat};

pub(crate) fn explain(args: &AuditExplainArgs) -> anyhow::Result<ExitCode> {
    let loaded = rampart_source::load(
        &super::inputs(std::slice::from_ref(&args.file)),
        &LoadOptions::default(),
    );
    let errors = loaded.has_errors();
    rampart_report::text::write_diagnostics_of(
        &loaded.diagnostics,
        &mut anstream::stderr().lock(),
    )?;
    let inventory = Inventory::new(loaded.files, loaded.objects, None);
    let policies: Vec<Policy> = inventory
        .objects
        .iter()
        .filter_map(Policy::compile)
        .collect();
    let [policy] = policies.as_slice() else {
        bail!(
            "{}: expected one audit.k8s.io Policy, found {}",
            args.file.display(),
            policies.len()
        );
    };
    let mut groups = args.group.clone();
    if !groups.iter().any(|g| g == "system:authenticated") {
        groups.push("system:authenticated".into());
    }
    let resource = match &args.resource {
        Some(text) => {
            let (main, subresource) = text.split_once('/').unwrap_or((text, ""));
            let (resource, group) = main.split_once('.').unwrap_or((main, ""));
            if resource.is_empty() {
                bail!("`--resource {text}`: expected RESOURCE[.GROUP][/SUBRESOURCE]");
            }
            Some(ResourceAttributes {
                group: group.to_string(),
                resource: resource.to_string(),
                subresource: subresource.to_string(),
                namespace: args.namespace.clone(),
                name: args.name.clone(),
            })
        }
        None => None,
    };
    let path = args.path.clone().unwrap_or_default();
    if resource.is_none() && path.is_empty() {
        bail!("give `--resource RESOURCE` or `--path URL`");
    }
    let request = Request {
        user: args.user.clone(),
        groups,
        verb: args.verb.clone(),
        resource,
        path,
    };
    let decision = policy.decide(&request);
    let place = |pos: rampart_model::Pos| {
        let file = inventory
            .objects
            .get(policy.object)
            .and_then(rampart_model::Object::file)
            .map_or("-", |f| inventory.files.name(f));
        format!("{file}:{}", pos.line)
    };
    let rule = decision.rule.and_then(|r| policy.rules.get(r));
    let mut out = std::io::stdout().lock();
    match args.output {
        QueryFormat::Json => {
            let value = json!({
                "rule": rule.map(|r| r.index + 1),
                "location": rule.map(|r| place(r.pos)),
                "level": decision.level.name(),
                "omitStages": decision.omit_stages,
                "omitManagedFields": decision.omit_managed_fields,
            });
            serde_json::to_writer_pretty(&mut out, &value).context("writing JSON")?;
            writeln!(out)?;
        }
        QueryFormat::Text => {
            match rule {
                Some(r) => writeln!(
                    out,
                    "rule #{} ({}) matches first: level {}",
                    r.index + 1,
                    place(r.pos),
                    decision.level.name()
                )?,
                None => writeln!(out, "no rule matches: level None (not logged)")?,
            }
            if !decision.omit_stages.is_empty() {
                writeln!(out, "omitted stages: {}", decision.omit_stages.join(", "))?;
            }
            if decision.omit_managed_fields {
                writeln!(out, "managed fields are omitted from bodies")?;
            }
        }
    }
    Ok(ExitCode::from(if errors { EXIT_ERROR } else { 0 }))
}
