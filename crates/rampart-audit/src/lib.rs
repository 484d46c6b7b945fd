//! Kubernetes audit logs, streamed: security detections ([`detect`]) and
//! least-privilege RBAC from the requests a subject made ([`rbacgen`]).
//!
//! Input is `audit.k8s.io/v1` (or `v1beta1`) `Event`s as JSON lines, the log
//! backend's format, or one `EventList` document, the webhook backend's; either may be
//! gzip-compressed ([`read`]). Memory does not grow with the input: lines are read in
//! batches, parsed in parallel into small records that borrow nothing, and folded in
//! input order into state whose size is capped ([`detect::Options`]).
//!
//! Only the fields the analyses need are parsed, borrowed from the line; the request
//! and response bodies are skipped, except `requestObject` for the pod, workload and
//! RBAC writes a detection looks into. Bodies are never copied into results: Secrets'
//! never are parsed at all.
//!
//! ```no_run
//! use std::sync::Arc;
//! use rampart_audit::{Input, analyze};
//! use rampart_audit::detect::{Analyzer, Options};
//!
//! let mut analyzer = Analyzer::new(Options::default());
//! let input = Input::Path("audit.log".into());
//! analyze(&input, &mut analyzer, &mut |d| println!("{}", d.message), &mut |_| {})?;
//! let summary = analyzer.finish(&mut |d| println!("{}", d.message));
//! println!("{} requests", summary.requests);
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod detect;
pub mod event;
pub mod rbacgen;
pub mod read;
pub mod time;

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use detect::{Analyzer, Detection, Malformed};
use read::{Position, ReadOptions};

/// An input: a file or standard input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file (gzip or not).
    Path(PathBuf),
    /// Standard input.
    Stdin,
}

impl Input {
    /// `-` is stdin.
    pub fn from_arg(arg: &std::path::Path) -> Self {
        if arg.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::Path(arg.to_path_buf())
        }
    }

    /// The name findings show.
    pub fn name(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Stdin => "-".to_string(),
        }
    }

    /// Opens the input, decompressing gzip.
    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        match self {
            Input::Path(p) => read::decompress(std::fs::File::open(p)?),
            Input::Stdin => read::decompress(io::stdin()),
        }
    }
}

/// Runs one input through an analyzer: detections go to `on_detection` in input order,
/// malformed lines to `on_malformed` (and are counted in the summary).
pub fn analyze(
    input: &Input,
    analyzer: &mut Analyzer,
    on_detection: &mut dyn FnMut(Detection),
    on_malformed: &mut dyn FnMut(&Malformed),
) -> io::Result<()> {
    let file: Arc<str> = input.name().into();
    let reader = input.open()?;
    read::for_each_event(
        reader,
        ReadOptions::default(),
        |bytes, position| detect::record(bytes, &file, position),
        |position, parsed| match parsed.and_then(|r| r) {
            Ok(record) => analyzer.observe(record, on_detection),
            Err(message) => {
                let m = Malformed {
                    file: Arc::clone(&file),
                    position,
                    message,
                };
                on_malformed(&m);
                analyzer.malformed(&file, position, m.message);
            }
        },
    )
}

/// Collects the requests of one subject from an input; malformed lines go to
/// `on_malformed`.
pub fn collect_requests(
    input: &Input,
    subject: &rbacgen::Subject,
    settings: rbacgen::Settings,
    collected: &mut rbacgen::Collected,
    on_malformed: &mut dyn FnMut(Position, String),
) -> io::Result<()> {
    let reader = input.open()?;
    read::for_each_event(
        reader,
        ReadOptions::default(),
        |bytes, _| rbacgen::observe(bytes, subject, settings),
        |position, parsed| match parsed.and_then(|r| r) {
            Ok(Some((observed, time))) => collected.add(observed, time),
            Ok(None) => {}
            Err(message) => on_malformed(position, message),
        },
    )
}
