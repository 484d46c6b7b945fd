//! Rules for [auditing](https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/) what
//! happens in a cluster.

mod audit_log_disabled;
mod log_retention;
mod policy;

pub(crate) use audit_log_disabled::AUDIT_LOG_DISABLED;
pub(crate) use log_retention::LOG_RETENTION_UNSET;
pub(crate) use policy::{
    INVALID_POLICY, LOGS_SECRET_BODIES, MISSES_SECURITY_REQUESTS, NO_CATCH_ALL,
    REQUEST_RECEIVED_LOGGED, RULE_SHADOWED,
};
