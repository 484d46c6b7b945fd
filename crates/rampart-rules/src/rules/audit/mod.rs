//! Rules for [auditing](https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/) what
//! happens in a cluster.

mod audit_log_disabled;

pub(crate) use audit_log_disabled::AUDIT_LOG_DISABLED;
