//! Reading a live Kubernetes cluster, read-only and at bounded memory, and the
//! snapshots that let the same scan run offline.
//!
//! [`read`] loads the kubeconfig (or the in-cluster service account), asks the API
//! server for `/version` and discovery, then lists every kind the rules read, several
//! at a time and page by page (`limit`/`continue`; a list whose continue token expired
//! is read again from the start). Each page is reduced ([`reduce`]) and turned into
//! Rampart objects ([`collect`]) before the next one is asked for, so memory follows
//! what the rules read, not what the API server stores. Secrets are never listed unless
//! asked, and then as metadata only (`PartialObjectMetadataList`).
//!
//! A kind the identity may not list (403) is not an error: it is an [`Incomplete`]
//! entry, which becomes a warning naming the missing permission and the practices whose
//! findings are incomplete. 429, 5xx, timeouts and dropped connections are retried
//! with exponential backoff. Ctrl-C stops the reads cleanly ([`Error::Interrupted`]).
//!
//! For the admission webhook, [`watch`] keeps the kinds of its cluster context current
//! with kube-rs watches instead of reading once.
//!
//! This crate is the only one that depends on kube and tokio; `rampart-model` and the
//! rules never see where objects came from. With the `fake-api` feature it also
//! offers [`fake::FakeApi`], an HTTPS server answering like a recorded API server, for
//! tests and benchmarks.
//!
//! ```no_run
//! let options = rampart_cluster::Options::default();
//! let read = rampart_cluster::read(&options, &rampart_cluster::NoProgress, "2026-01-01T00:00:00Z".into())?;
//! println!("{} objects from {}", read.collected.objects.len(), read.header.context);
//! # Ok::<(), rampart_cluster::Error>(())
//! ```

#![warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod client;
pub mod collect;
#[cfg(feature = "fake-api")]
pub mod fake;
pub mod reduce;
pub mod resources;
pub mod snapshot;
pub mod watch;

use rampart_model::{InputDiagnostic, InputLevel, Pos};
use serde::{Deserialize, Serialize};

pub use client::{Error, Event, NoProgress, Options, Progress, Read, read};
pub use collect::{Collected, Collector, with_texts};
pub use snapshot::{Header, SnapshotError};

/// A kind that could not be read: which, why, and what it leaves incomplete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Incomplete {
    /// `resource.group` (`networkpolicies.networking.k8s.io`; `pods` for the core group).
    pub resource: String,
    /// The verb that failed (`list`).
    pub verb: String,
    /// The HTTP status, when the API server answered.
    pub status: Option<u16>,
    /// The API server's message, or what went wrong.
    pub message: String,
    /// The practices whose findings are incomplete without this kind.
    pub practices: Vec<String>,
}

impl Incomplete {
    /// Whether the identity lacked the permission (a warning; anything else is an error).
    pub fn forbidden(&self) -> bool {
        self.status == Some(403)
    }

    /// The input diagnostic a report shows for it.
    pub fn diagnostic(&self, context: &str) -> InputDiagnostic {
        let practices = self.practices.join(", ");
        let (level, message) = if self.forbidden() {
            (
                InputLevel::Warning,
                format!(
                    "cannot {verb} `{res}` (403 forbidden): the identity lacks `{verb} {res}`; {practices} findings are incomplete",
                    verb = self.verb,
                    res = self.resource
                ),
            )
        } else {
            (
                InputLevel::Error,
                format!(
                    "cannot {} `{}`: {}; {practices} findings are incomplete",
                    self.verb, self.resource, self.message
                ),
            )
        };
        InputDiagnostic::new(level, None, context, Pos::UNKNOWN, message)
    }
}
