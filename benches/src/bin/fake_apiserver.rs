//! Serves a recorded cluster over HTTPS like an API server, for `benches/live.sh`:
//! discovery documents and `/version` from a directory, objects from a `kind: List`
//! (as `gen-cluster` writes), paginated.
//!
//! ```text
//! fake-apiserver --recorded crates/rampart/tests/recorded --objects cluster-20k.json --dir OUT
//! ```
//!
//! It writes `OUT/kubeconfig` (context `fake`), prints `ready` and serves until stdin
//! closes.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use rampart_cluster::fake::{FakeApi, Faults, Recorded};

fn main() -> ExitCode {
    let mut recorded_dir = None;
    let mut objects = None;
    let mut dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--recorded" => recorded_dir = args.next().map(PathBuf::from),
            "--objects" => objects = args.next().map(PathBuf::from),
            "--dir" => dir = args.next().map(PathBuf::from),
            _ => {
                eprintln!("usage: fake-apiserver --recorded DIR --objects LIST.json --dir OUT");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(recorded_dir), Some(dir)) = (recorded_dir, dir) else {
        eprintln!("usage: fake-apiserver --recorded DIR --objects LIST.json --dir OUT");
        return ExitCode::from(2);
    };
    match serve(&recorded_dir, objects.as_deref(), &dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake-apiserver: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(
    recorded_dir: &std::path::Path,
    objects: Option<&std::path::Path>,
    dir: &std::path::Path,
) -> std::io::Result<()> {
    let mut recorded = Recorded::from_dir(recorded_dir)?;
    if let Some(path) = objects {
        // The benchmark's objects replace the recorded ones.
        recorded.lists.clear();
        let list: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
        let items = match list {
            serde_json::Value::Object(mut map) => match map.remove("items") {
                Some(serde_json::Value::Array(items)) => items,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        recorded.add_objects(items);
    }
    let server = FakeApi::start(recorded, Faults::default())?;
    server.write_kubeconfig(dir)?;
    println!("ready {}", server.url());
    std::io::stdout().flush()?;
    // Serve until whoever started us closes our stdin.
    for line in std::io::stdin().lock().lines() {
        line?;
    }
    Ok(())
}
