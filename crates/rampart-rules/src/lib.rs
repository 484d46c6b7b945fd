//! Rampart's rules: metadata, the registry, and the engine that runs them over an
//! [`Inventory`](rampart_model::Inventory).
//!
//! A rule is one file under `rules/<practice>/`, declared with [`declare_rule!`]: its
//! docs (What it does, Why is this bad?, Example, Remediation, References), its stable
//! code and name, its practice and default severity, and the function that checks. The
//! function reads the inventory and reports [`Finding`]s through a [`Context`]; it never
//! prints and never fails.
//!
//! ```no_run
//! let loaded = rampart_source_like();
//! # fn rampart_source_like() -> rampart_model::Inventory { unimplemented!() }
//! let outcome = rampart_rules::engine::run(&loaded, &rampart_rules::Selection::default(), &Default::default());
//! for f in &outcome.findings {
//!     let _ = (f.rule.code, &f.message);
//! }
//! ```

#![warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod config;
pub mod context;
pub mod derived;
pub mod docs;
pub mod engine;
pub mod finding;
pub mod pss;
pub mod registry;
pub mod releases;
pub mod rule;
mod rules;
pub mod secrets;
pub mod settings;
pub mod suppress;
pub mod vap;

pub use context::Context;
pub use engine::{Outcome, Overrides, Selection};
pub use finding::{Evidence, Finding, Related, Step};
pub use registry::RULES;
pub use rule::{Practice, RuleMeta, RuleStatus, Severity};
pub use settings::Settings;
