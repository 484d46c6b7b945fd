//! Rules for least-privilege RBAC
//! ([Kubernetes: RBAC good practices](https://kubernetes.io/docs/concepts/security/rbac-good-practices/)).

mod cluster_admin_binding;

pub(crate) use cluster_admin_binding::CLUSTER_ADMIN_BINDING;
