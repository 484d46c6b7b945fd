//! The `rampart` binary: argument parsing and wiring, nothing else.

#![allow(clippy::print_stdout, clippy::print_stderr)] // the binary is where printing happens

mod args;
mod commands;

use std::process::ExitCode;

// Loading builds millions of small strings and nodes; glibc's allocator spent a
// quarter of a 100k-object scan in malloc and free. mimalloc halves that. Its
// transparent huge pages are off (`no_thp`): they cost a live scan a quarter more peak
// memory and no measurable time.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    quiet_parser_panics();
    let args = args::Args::from_env();
    match commands::run(args) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`rampart scan . | head`) is not a failure.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("rampart: {err:#}");
            // Ctrl-C while reading a cluster: the shell's convention for SIGINT.
            if err.is::<commands::Interrupted>() {
                return ExitCode::from(130);
            }
            ExitCode::from(2)
        }
    }
}

/// The loader turns a panic inside a third-party YAML parser into an input error for
/// that document; the default hook would still print a backtrace-style message for
/// it. Keep the default hook for every other panic.
fn quiet_parser_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_parser = info.location().is_some_and(|l| {
            l.file().contains("libyaml-safer") || l.file().contains("saphyr-parser")
        });
        if !in_parser {
            default(info);
        }
    }));
}
