//! The webhook's decision alone, in process: `rampart_server::admission::review` on the
//! bodies `webhook-load` sends (allowed and denied Pods and Deployments), many times,
//! reporting microseconds per call, of wall time and of CPU time over all the process's
//! threads (a thread pool's helpers count). No TLS or HTTP: what is left is the CPU a
//! request costs the server before the network stack.
//!
//! ```text
//! webhook-micro [--iterations N] [--context FILE_OR_DIR]
//! ```
//!
//! `--context` loads a cluster context as `rampart serve --context` does (a
//! `gen-cluster` output, say), so the cost of a large context shows.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss
)]

use std::process::ExitCode;
use std::time::Instant;

use rampart_server::admission::{self, ClusterContext, Enforcement};

#[path = "../webhook_corpus.rs"]
mod webhook_corpus;

// As in the `rampart` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time of every thread of this process so far, in nanoseconds (Linux; 0 elsewhere).
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Runs `call` `iterations` times; prints wall and CPU microseconds per call.
fn time(name: &str, iterations: usize, mut call: impl FnMut(usize)) {
    let (start, cpu) = (Instant::now(), process_cpu_ns());
    for k in 0..iterations {
        call(k);
    }
    let wall = start.elapsed().as_secs_f64() * 1e6 / iterations as f64;
    let cpu = process_cpu_ns().saturating_sub(cpu) as f64 / 1e3 / iterations as f64;
    println!("{name:<20} {wall:8.1} µs/call wall {cpu:8.1} µs/call CPU");
}

fn main() -> ExitCode {
    let mut iterations = 20_000usize;
    let mut context_path = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--iterations", Some(v)) if v.parse::<usize>().is_ok() => {
                iterations = v.parse().unwrap();
            }
            ("--context", Some(v)) => context_path = Some(std::path::PathBuf::from(v)),
            _ => {
                eprintln!("usage: webhook-micro [--iterations N] [--context FILE_OR_DIR]");
                return ExitCode::from(2);
            }
        }
    }
    let context = match &context_path {
        None => ClusterContext::default(),
        Some(p) => {
            let loaded = rampart_source::load(
                &[rampart_source::Input::Path(p.clone())],
                &rampart_source::LoadOptions::default(),
            );
            ClusterContext::new(loaded.objects)
        }
    };
    println!("context: {} objects", context.len());
    let enforcement = Enforcement::default();
    // The good bodies of the load corpus, in its order: allowed Pod, allowed
    // Deployment, denied Pod, denied Deployment, 50 of each.
    let good: Vec<(Vec<u8>, bool)> = webhook_corpus::corpus()
        .into_iter()
        .filter_map(|(body, expect)| Some((body, expect?)))
        .collect();
    let names = [
        "allowed Pod",
        "allowed Deployment",
        "denied Pod",
        "denied Deployment",
    ];
    for (i, name) in names.iter().enumerate() {
        let bodies: Vec<&(Vec<u8>, bool)> = good.iter().skip(i).step_by(4).collect();
        // Warm up (lazy statics, allocator caches), and check the verdicts.
        for (body, allowed) in &bodies {
            let out = admission::review(body, &context, &enforcement).unwrap();
            assert_eq!(out.response.allowed, *allowed, "{name}: {:?}", out.response);
        }
        time(name, iterations, |k| {
            let (body, _) = bodies[k % bodies.len()];
            std::hint::black_box(admission::review(body, &context, &enforcement).unwrap());
        });
    }
    time("mixed", iterations, |k| {
        let (body, _) = &good[k % good.len()];
        std::hint::black_box(admission::review(body, &context, &enforcement).unwrap());
    });
    ExitCode::SUCCESS
}
