//! The rules, one folder per practice and one file per rule.

pub(crate) mod audit;
pub(crate) mod network;
pub(crate) mod pod;
pub(crate) mod rbac;
pub(crate) mod secrets;
pub(crate) mod updates;
