//! Rules for keeping secrets secret
//! ([Kubernetes: Good practices for Secrets](https://kubernetes.io/docs/concepts/security/secrets-good-practices/)).

mod encryption_at_rest;
mod etcd_transport_insecure;
mod secret_in_env_var;

pub(crate) use encryption_at_rest::ENCRYPTION_AT_REST;
pub(crate) use etcd_transport_insecure::ETCD_TRANSPORT_INSECURE;
pub(crate) use secret_in_env_var::SECRET_IN_ENV_VAR;
