//! `rampart reach`: NetworkPolicy reachability, offline.

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use rampart_analysis::netpol::{
    Allowance, ConnSet, Connection, IpRange, Level, Network, Party, Protocol, SideVerdict, Verdict,
};
use rampart_model::Inventory;
use rampart_source::LoadOptions;
use serde_json::json;

use super::{EXIT_ERROR, EXIT_FINDINGS};
use crate::args::{ReachArgs, ReachFormat, ReachLevel};

pub(crate) fn run(args: &ReachArgs) -> anyhow::Result<ExitCode> {
    let (paths, endpoints): (Vec<std::path::PathBuf>, &[String]) = if args.all {
        let mut paths = args.files.clone();
        paths.extend(args.args.iter().map(std::path::PathBuf::from));
        (paths, &[])
    } else {
        if args.args.len() != 2 {
            bail!("`rampart reach` takes SRC and DST (or `--all PATH...`)");
        }
        (args.files.clone(), args.args.as_slice())
    };
    if paths.is_empty() {
        bail!("no input: give manifests with `-f PATH`");
    }
    let mut clock = super::scan::Clock::new(args.timings);
    let inputs = super::inputs(&paths);
    let loaded = rampart_source::load(&inputs, &LoadOptions::default());
    let errors = loaded.has_errors();
    rampart_report::text::write_diagnostics_of(
        &loaded.diagnostics,
        &mut anstream::stderr().lock(),
    )?;
    let inventory = Inventory::new(loaded.files, loaded.objects, None);
    let level = match args.level {
        ReachLevel::Workload => Level::Workload,
        ReachLevel::Pod => Level::Pod,
    };
    clock.lap("load");
    let net = Network::build(&inventory, level);
    clock.lap("network");
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let code = if args.all {
        write_all(&net, args.output, &mut out)?;
        clock.lap("matrix+output");
        if errors { EXIT_ERROR } else { 0 }
    } else {
        let (src, src_name) = party(&net, &endpoints[0]).context("SRC")?;
        let (dst, dst_name) = party(&net, &endpoints[1]).context("DST")?;
        let port = args.port.as_deref().map(parse_port).transpose()?;
        let verdict = net.explain(src, dst);
        let allowed = match port {
            Some((protocol, port)) => verdict.conns.contains(protocol, port),
            None => !verdict.conns.is_empty(),
        };
        write_one(
            &net,
            &inventory,
            (&src_name, &dst_name),
            &verdict,
            port,
            allowed,
            args.output,
            &mut out,
        )?;
        if errors {
            EXIT_ERROR
        } else if allowed {
            0
        } else {
            EXIT_FINDINGS
        }
    };
    out.flush()?;
    clock.lap("output");
    if args.timings {
        let _ = writeln!(
            anstream::stderr(),
            "reach: {} workloads, {} endpoints, {} policies",
            net.workloads.len(),
            net.endpoints.len(),
            net.policies.len()
        );
    }
    // As in `scan`: the process exits next; let the OS reclaim the trees.
    std::mem::forget(inventory);
    std::mem::forget(net);
    Ok(ExitCode::from(code))
}

/// `443`, `53/UDP`.
fn parse_port(text: &str) -> anyhow::Result<(Protocol, u16)> {
    let (port, protocol) = text.split_once('/').unwrap_or((text, "TCP"));
    let protocol = Protocol::parse(&protocol.to_ascii_uppercase())
        .with_context(|| format!("unknown protocol `{protocol}` (TCP, UDP or SCTP)"))?;
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .with_context(|| format!("`{port}` is not a port number (1-65535)"))?;
    Ok((protocol, port))
}

/// Resolves `NS/NAME[Kind]`, `NS/NAME`, `NAME` or an address to a party.
fn party(net: &Network, text: &str) -> anyhow::Result<(Party, String)> {
    if let Ok(range) = IpRange::parse(text) {
        return Ok((Party::External(range), format!("{range}[External]")));
    }
    let (spec, kind) = match text.strip_suffix(']').and_then(|t| t.split_once('[')) {
        Some((spec, kind)) => (spec, Some(kind)),
        None => (text, None),
    };
    let (ns, name) = spec.split_once('/').unwrap_or(("default", spec));
    let found: Vec<_> = net
        .workloads
        .iter()
        .filter(|w| w.namespace == ns && w.name == name)
        .filter(|w| kind.is_none_or(|k| w.kind.eq_ignore_ascii_case(k)))
        .collect();
    match found.as_slice() {
        [one] => Ok((Party::Endpoint(one.endpoint), one.to_string())),
        [] => bail!("no pod or workload `{text}` in the input (try `NS/NAME`, or an IP address)"),
        many => bail!(
            "`{text}` is ambiguous: {}",
            many.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Streams every allowed connection in the chosen format (a cluster without policies
/// has workloads² of them: nothing is collected first).
fn write_all(net: &Network, format: ReachFormat, out: &mut impl Write) -> anyhow::Result<()> {
    let mut result: std::io::Result<()> = Ok(());
    let mut first = true;
    match format {
        ReachFormat::Csv => writeln!(out, "src,dst,conn")?,
        ReachFormat::Json => write!(out, "{{\"connections\": [")?,
        ReachFormat::Dot => writeln!(
            out,
            "digraph reachability {{\n  rankdir=LR; node [shape=box];"
        )?,
        ReachFormat::Text | ReachFormat::Connlist => {}
    }
    net.for_each_connection(|src, dst, conns| {
        if result.is_err() {
            return;
        }
        result = match format {
            ReachFormat::Text | ReachFormat::Connlist => writeln!(out, "{src} => {dst} : {conns}"),
            ReachFormat::Csv => {
                writeln!(out, "{},{},{}", csv(src), csv(dst), csv(&conns.to_string()))
            }
            ReachFormat::Dot => writeln!(
                out,
                "  {} -> {} [label={}];",
                dot(src),
                dot(dst),
                dot(&conns.to_string())
            ),
            ReachFormat::Json => {
                let c = Connection {
                    src: src.to_string(),
                    dst: dst.to_string(),
                    conns: conns.clone(),
                };
                let sep = if first { "\n  " } else { ",\n  " };
                first = false;
                write!(out, "{sep}{}", connection_json(&c))
            }
        };
    });
    result?;
    match format {
        ReachFormat::Json => writeln!(out, "\n]}}")?,
        ReachFormat::Dot => writeln!(out, "}}")?,
        _ => {}
    }
    Ok(())
}

fn connection_json(c: &Connection) -> serde_json::Value {
    json!({ "src": c.src, "dst": c.dst, "conn": c.conns.to_string(), "protocols": conns_json(&c.conns) })
}

fn conns_json(c: &ConnSet) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for p in Protocol::ALL {
        let ports = c.ports(p);
        if !ports.is_empty() {
            map.insert(
                p.name().into(),
                ports.ranges().iter().map(|(a, b)| json!([a, b])).collect(),
            );
        }
    }
    serde_json::Value::Object(map)
}

fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn dot(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[allow(clippy::too_many_arguments)]
fn write_one(
    net: &Network,
    inventory: &Inventory,
    (src, dst): (&str, &str),
    verdict: &Verdict,
    port: Option<(Protocol, u16)>,
    allowed: bool,
    format: ReachFormat,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let word = if allowed { "allowed" } else { "denied" };
    let asked = port.map_or_else(String::new, |(p, n)| format!(" on {n}/{}", p.name()));
    match format {
        ReachFormat::Json => {
            let side = |s: &SideVerdict| {
                json!({
                    "isolated": !s.isolated_by.is_empty(),
                    "isolatedBy": s.isolated_by.iter().map(|&p| policy_json(net, inventory, p)).collect::<Vec<_>>(),
                    "allowedBy": s.allowed_by.iter().map(|a| allowance_json(net, inventory, a)).collect::<Vec<_>>(),
                    "adminDecisions": s.admin.iter().map(|d| {
                        let (policy, rule, location) = admin_place(net, inventory, d);
                        json!({"policy": policy, "rule": rule, "action": d.action.name(), "location": location, "conn": d.conns.to_string()})
                    }).collect::<Vec<_>>(),
                    "conn": s.conns.to_string(),
                })
            };
            let value = json!({
                "src": src,
                "dst": dst,
                "allowed": allowed,
                "port": port.map(|(p, n)| json!({"protocol": p.name(), "port": n})),
                "conn": verdict.conns.to_string(),
                "protocols": conns_json(&verdict.conns),
                "egress": side(&verdict.egress),
                "ingress": side(&verdict.ingress),
            });
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)?;
        }
        ReachFormat::Connlist | ReachFormat::Csv | ReachFormat::Dot => {
            if !verdict.conns.is_empty() {
                writeln!(out, "{src} => {dst} : {}", verdict.conns)?;
            }
        }
        ReachFormat::Text => {
            writeln!(out, "{src} => {dst}{asked}: {word}")?;
            writeln!(out, "  allowed end to end: {}", verdict.conns)?;
            let mut text = String::new();
            describe_side(net, inventory, "egress of", src, &verdict.egress, &mut text);
            describe_side(
                net,
                inventory,
                "ingress of",
                dst,
                &verdict.ingress,
                &mut text,
            );
            write!(out, "{text}")?;
        }
    }
    Ok(())
}

fn describe_side(
    net: &Network,
    inventory: &Inventory,
    what: &str,
    who: &str,
    side: &SideVerdict,
    out: &mut String,
) {
    if who.ends_with("[External]") {
        let _ = writeln!(
            out,
            "  {what} {who}: outside the cluster, no NetworkPolicy applies"
        );
        return;
    }
    for d in &side.admin {
        let (name, rule, at) = admin_place(net, inventory, d);
        let _ = writeln!(
            out,
            "  {what} {who}: {name} rule `{rule}` ({at}) says {} for {}",
            d.action.name(),
            d.conns
        );
    }
    if side.isolated_by.is_empty() {
        let tail = if side.admin.is_empty() {
            "not isolated (no NetworkPolicy selects it), everything allowed"
        } else {
            "no NetworkPolicy isolates it"
        };
        let _ = writeln!(out, "  {what} {who}: {tail}");
        return;
    }
    let names: Vec<String> = side
        .isolated_by
        .iter()
        .map(|&p| policy_place(net, inventory, p))
        .collect();
    let _ = writeln!(out, "  {what} {who}: isolated by {}", names.join(", "));
    if side.allowed_by.is_empty() {
        let _ = writeln!(out, "    no rule of these policies matches: denied");
    }
    for a in &side.allowed_by {
        let _ = writeln!(
            out,
            "    {} allows {}",
            rule_place(net, inventory, a),
            a.conns
        );
    }
}

fn policy_place(net: &Network, inventory: &Inventory, p: usize) -> String {
    let Some(policy) = net.policies.get(p) else {
        return String::new();
    };
    format!(
        "{} ({})",
        policy.full_name(),
        place(inventory, policy.object, policy.selector_pos)
    )
}

fn rule_place(net: &Network, inventory: &Inventory, a: &Allowance) -> String {
    let Some(policy) = net.policies.get(a.policy) else {
        return String::new();
    };
    let (direction, rule) = find_rule(policy, a);
    format!(
        "{} {direction} rule #{} ({})",
        policy.full_name(),
        a.rule + 1,
        place(
            inventory,
            policy.object,
            rule.map_or(policy.selector_pos, |r| r.pos)
        )
    )
}

fn find_rule<'a>(
    policy: &'a rampart_analysis::netpol::Policy,
    a: &Allowance,
) -> (&'static str, Option<&'a rampart_analysis::netpol::Rule>) {
    let direction = a.direction;
    (direction.field(), policy.all_rules(direction).get(a.rule))
}

/// `([ANP] name, rule name, file:line)` of an admin decision.
fn admin_place(
    net: &Network,
    inventory: &Inventory,
    d: &rampart_analysis::netpol::AdminDecision,
) -> (String, String, String) {
    let policy = match d.policy {
        Some(i) => net.admin.get(i),
        None => net.baseline.as_ref(),
    };
    let Some(policy) = policy else {
        return (String::new(), String::new(), String::new());
    };
    let rule = policy.rules(d.direction).get(d.rule);
    (
        policy.full_name(),
        rule.map(|r| r.name.clone()).unwrap_or_default(),
        place(
            inventory,
            policy.object,
            rule.map_or(rampart_model::Pos::UNKNOWN, |r| r.pos),
        ),
    )
}

fn policy_json(net: &Network, inventory: &Inventory, p: usize) -> serde_json::Value {
    let Some(policy) = net.policies.get(p) else {
        return serde_json::Value::Null;
    };
    json!({
        "namespace": policy.namespace,
        "name": policy.name,
        "location": place(inventory, policy.object, policy.selector_pos),
    })
}

fn allowance_json(net: &Network, inventory: &Inventory, a: &Allowance) -> serde_json::Value {
    let Some(policy) = net.policies.get(a.policy) else {
        return serde_json::Value::Null;
    };
    let (direction, rule) = find_rule(policy, a);
    json!({
        "policy": policy.full_name(),
        "direction": direction,
        "rule": a.rule + 1,
        "location": place(inventory, policy.object, rule.map_or(policy.selector_pos, |r| r.pos)),
        "conn": a.conns.to_string(),
    })
}

fn place(inventory: &Inventory, object: usize, pos: rampart_model::Pos) -> String {
    let file = inventory
        .objects
        .get(object)
        .and_then(rampart_model::Object::file)
        .map_or("-", |f| inventory.files.name(f));
    if pos.is_known() {
        format!("{file}:{}", pos.line)
    } else {
        file.to_string()
    }
}
