//! `rampart audit-log` and `rampart rbac-from-audit`: audit logs, streamed.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use rampart_analysis::rbac::Rbac;
use rampart_audit::detect::{Analyzer, Detection, Kind, Malformed, Options, Summary};
use rampart_audit::rbacgen::{self, Collected, Settings, Subject};
use rampart_audit::{Input, time};
use rampart_model::Inventory;
use rampart_source::LoadOptions;
use serde_json::json;

use super::{EXIT_ERROR, EXIT_FINDINGS};
use crate::args::{AuditLogArgs, ManifestFormat, QueryFormat, RbacFromAuditArgs};

/// Malformed lines printed to stderr before going quiet (all are counted).
const MALFORMED_SHOWN: u64 = 100;

fn parse_time(flag: &str, text: Option<&str>) -> anyhow::Result<Option<i64>> {
    text.map(|t| {
        time::parse(t).with_context(|| {
            format!("--{flag} `{t}` is not an RFC 3339 time (2024-05-01T12:00:00Z) or a date (2024-05-01)")
        })
    })
    .transpose()
}

fn write_detection_text(out: &mut dyn Write, d: &Detection) -> std::io::Result<()> {
    writeln!(
        out,
        "{}  {:<8}  {:<17}  {}",
        if d.time.is_empty() { "-" } else { &d.time },
        d.severity.as_str(),
        d.kind.name(),
        d.message.replace('`', "")
    )?;
    let what = match &d.target {
        Some(t) => format!("{} {}", d.verb, t.describe()),
        None if d.path.is_empty() => String::new(),
        None => format!("{} {}", d.verb, d.path),
    };
    let mut line = String::from("    ");
    line.push_str(&d.user);
    if let Some(i) = &d.impersonated {
        line.push_str(" as ");
        line.push_str(i);
    }
    if !d.source_ips.is_empty() {
        line.push_str(" from ");
        line.push_str(&d.source_ips.join(","));
    }
    if !what.is_empty() {
        line.push_str(": ");
        line.push_str(&what);
    }
    if let Some(code) = d.code {
        let _ = write!(line, " -> {code}");
    }
    writeln!(out, "{line}  [{}:{}]", d.file, d.position)
}

fn write_summary_text(out: &mut dyn Write, s: &Summary) -> std::io::Result<()> {
    let span = match (s.first, s.last) {
        (Some(f), Some(l)) => format!(" from {} to {}", time::format(f), time::format(l)),
        _ => String::new(),
    };
    writeln!(out)?;
    writeln!(
        out,
        "{} requests{span} ({} events read, {} duplicate stages, {} outside --since/--until, {} malformed)",
        s.requests, s.read, s.duplicate_stages, s.outside_window, s.malformed
    )?;
    let total: u64 = s.by_kind.values().sum();
    let severities: Vec<String> = s
        .by_severity
        .iter()
        .rev()
        .map(|(sev, n)| format!("{} {n}", sev.as_str()))
        .collect();
    writeln!(
        out,
        "{total} detection{}{}",
        if total == 1 { "" } else { "s" },
        if severities.is_empty() {
            String::new()
        } else {
            format!(" ({})", severities.join(", "))
        }
    )?;
    for kind in Kind::ALL {
        if let Some(n) = s.by_kind.get(&kind) {
            writeln!(out, "  {:<17} {n}", kind.name())?;
        }
    }
    if !s.top_principals.is_empty() {
        writeln!(out, "top principals (by detections, then requests):")?;
        for p in &s.top_principals {
            writeln!(
                out,
                "  {:<50} {:>9} requests {:>7} forbidden {:>6} detections",
                p.user, p.events, p.forbidden, p.detections
            )?;
        }
    }
    if s.untracked_requests > 0 {
        writeln!(
            out,
            "{} requests from principals beyond the first {} are counted in total only (--max-principals)",
            s.untracked_requests, s.principals
        )?;
    }
    Ok(())
}

pub(crate) fn run(args: &AuditLogArgs) -> anyhow::Result<ExitCode> {
    let options = Options {
        since: parse_time("since", args.since.as_deref())?,
        until: parse_time("until", args.until.as_deref())?,
        max_principals: args.max_principals,
        ..Options::default()
    };
    let mut analyzer = Analyzer::new(options);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let json = args.output == QueryFormat::Json;
    // Writes happen inside the reader's callbacks; the first error stops output and
    // is returned once the input is done.
    let mut write_error: Option<std::io::Error> = None;
    let mut first = true;
    let mut emit = |d: Detection,
                    out: &mut BufWriter<std::io::StdoutLock<'_>>,
                    write_error: &mut Option<std::io::Error>| {
        if write_error.is_some() {
            return;
        }
        let result = if json {
            let sep = if first { "\n" } else { ",\n" };
            first = false;
            out.write_all(sep.as_bytes()).and_then(|()| {
                serde_json::to_writer(&mut *out, &d.to_json()).map_err(std::io::Error::from)
            })
        } else {
            write_detection_text(out, &d)
        };
        if let Err(e) = result {
            *write_error = Some(e);
        }
    };
    if json {
        out.write_all(b"{\"detections\": [")?;
    }
    let mut input_errors = false;
    let mut shown = 0u64;
    let mut on_malformed = |m: &Malformed| {
        shown += 1;
        if shown <= MALFORMED_SHOWN {
            eprintln!("rampart: {}:{}: skipped: {}", m.file, m.position, m.message);
        } else if shown == MALFORMED_SHOWN + 1 {
            eprintln!("rampart: more malformed lines skipped (see the summary's count)");
        }
    };
    for path in &args.files {
        let input = Input::from_arg(path);
        let result = rampart_audit::analyze(
            &input,
            &mut analyzer,
            &mut |d| emit(d, &mut out, &mut write_error),
            &mut on_malformed,
        );
        if let Err(e) = result {
            eprintln!("rampart: {}: {e}", input.name());
            input_errors = true;
        }
    }
    let summary = analyzer.finish(&mut |d| emit(d, &mut out, &mut write_error));
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if json {
        writeln!(out, "\n], \"summary\": {}}}", summary.to_json())?;
    } else {
        write_summary_text(&mut out, &summary)?;
    }
    out.flush()?;
    Ok(ExitCode::from(if input_errors {
        EXIT_ERROR
    } else if summary.has_high() {
        EXIT_FINDINGS
    } else {
        0
    }))
}

pub(crate) fn rbac_from_audit(args: &RbacFromAuditArgs) -> anyhow::Result<ExitCode> {
    let subject = Subject::parse(&args.subject).map_err(anyhow::Error::msg)?;
    let settings = Settings {
        resource_names: args.resource_names,
        allowed_only: args.allowed_only,
    };
    let mut collected = Collected::default();
    let mut names = Vec::new();
    for path in &args.files {
        let input = Input::from_arg(path);
        let name = input.name();
        let mut shown = 0u64;
        rampart_audit::collect_requests(
            &input,
            &subject,
            settings,
            &mut collected,
            &mut |pos, message| {
                shown += 1;
                if shown <= MALFORMED_SHOWN {
                    eprintln!("rampart: {name}:{pos}: skipped: {message}");
                }
            },
        )
        .with_context(|| format!("reading {name}"))?;
        names.push(name);
    }
    if collected.requests.is_empty() {
        eprintln!(
            "rampart: no request of {} in {}",
            subject.describe(),
            names.join(", ")
        );
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if !args.compare.is_empty() {
        let loaded = rampart_source::load(&super::inputs(&args.compare), &LoadOptions::default());
        let _ = rampart_report::text::write_diagnostics_of(
            &loaded.diagnostics,
            &mut anstream::stderr().lock(),
        );
        if loaded.has_errors() && loaded.objects.is_empty() {
            bail!("no RBAC object could be read from --compare");
        }
        let inventory = Inventory::new(loaded.files, loaded.objects, None);
        let rbac = Rbac::build(&inventory, false);
        let unused = rbacgen::unused_rights(&rbac, &subject, &collected.requests);
        match args.output {
            ManifestFormat::Json => {
                let list: Vec<_> = unused
                    .iter()
                    .map(|u| json!({"namespace": u.namespace, "verb": u.verb, "apiGroup": u.api_group, "resource": u.resource,
                                   "resourceNames": u.names, "nonResourceURL": u.url, "via": u.via}))
                    .collect();
                serde_json::to_writer_pretty(
                    &mut out,
                    &json!({"subject": subject.describe(), "observedRequests": collected.requests.len(), "unused": list}),
                )?;
                writeln!(out)?;
            }
            ManifestFormat::Yaml => {
                writeln!(
                    out,
                    "{}: {} distinct requests observed; rights granted and never used:",
                    subject.describe(),
                    collected.requests.len()
                )?;
                let mut scope = None;
                for u in &unused {
                    if scope != Some(&u.namespace) {
                        scope = Some(&u.namespace);
                        match &u.namespace {
                            None => writeln!(out, "cluster-wide:")?,
                            Some(ns) => writeln!(out, "namespace {ns}:")?,
                        }
                    }
                    writeln!(out, "  {:<60} [{}]", u.describe(), u.via)?;
                }
                if unused.is_empty() {
                    writeln!(out, "  none")?;
                }
            }
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let objects = rbacgen::generate(&collected, &subject, settings);
    match args.output {
        ManifestFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &json!({"apiVersion": "v1", "kind": "List", "items": objects}),
            )?;
            writeln!(out)?;
        }
        ManifestFormat::Yaml => {
            let span = match (collected.first, collected.last) {
                (Some(f), Some(l)) => format!(", {} to {}", time::format(f), time::format(l)),
                _ => String::new(),
            };
            let header = vec![
                format!(
                    "RBAC for {} generated by `rampart rbac-from-audit`",
                    subject.describe()
                ),
                format!(
                    "from {} events ({} distinct requests{}, {}) in {}{span}.",
                    collected.events,
                    collected.requests.len(),
                    if settings.resource_names {
                        ", with resource names"
                    } else {
                        ""
                    },
                    if settings.allowed_only {
                        "allowed only"
                    } else {
                        "allowed and denied"
                    },
                    names.join(", ")
                ),
                "It allows exactly the requests observed; review it before applying.".to_string(),
            ];
            out.write_all(rbacgen::to_yaml(&objects, &header).as_bytes())?;
        }
    }
    out.flush()?;
    Ok(ExitCode::from(if collected.requests.is_empty() {
        EXIT_FINDINGS
    } else {
        0
    }))
}
