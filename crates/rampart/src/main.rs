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
    if matches!(
        args.command,
        args::Command::Scan(_) | args::Command::Snapshot(_)
    ) {
        release_memory_promptly();
    }
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

/// mimalloc keeps freed memory for a second before it gives it back to the system
/// (`purge_delay`): most of a scan's run, so a scan's peak was the sum of what it ever
/// held rather than the most it held at once (a 20,000-object live scan: 69-77 MiB
/// instead of 54). The option is read from the environment before `main` runs, and
/// setting it from here would take `unsafe` (an FFI call), so a scan starts itself
/// again with `MIMALLOC_PURGE_DELAY=0` (`exec`: the same process and arguments, a few
/// milliseconds). A value already set is kept; if the `exec` fails, the scan goes on.
/// Not for `serve`, a long-running webhook, where the delay saves system calls.
#[cfg(all(feature = "mimalloc", unix))]
fn release_memory_promptly() {
    use std::os::unix::process::CommandExt;
    const OPTION: &str = "MIMALLOC_PURGE_DELAY";
    if std::env::var_os(OPTION).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    // Returns only if the program could not be started.
    let _ = std::process::Command::new(&exe)
        .arg0(arg0)
        .args(args)
        .env(OPTION, "0")
        .exec();
}

#[cfg(not(all(feature = "mimalloc", unix)))]
fn release_memory_promptly() {}

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
