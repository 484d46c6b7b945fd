//! Analyses that several rules share, computed once per run and queried read-only:
//! the RBAC authorizer ([`rbac`]), NetworkPolicy reachability ([`netpol`]) and label
//! selectors ([`selector`]).
//!
//! Analyses know nothing of rules or findings; their answers carry the objects that
//! justify them (binding → role → rule), so a caller can explain each step.

#![warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod audit;
pub mod netpol;
pub mod rbac;
pub mod selector;
