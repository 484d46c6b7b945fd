//! Rules for keeping secrets secret
//! ([Kubernetes: Good practices for Secrets](https://kubernetes.io/docs/concepts/security/secrets-good-practices/)).

mod apiserver_tls_flags;
mod automount_token_unused;
mod default_service_account_used;
mod encryption_at_rest;
mod etcd_transport_insecure;
mod plaintext_secret_manifest;
mod secret_in_env_var;
mod secret_literal_elsewhere;
mod secret_partitioning;
mod secret_via_environment;

pub(crate) use apiserver_tls_flags::APISERVER_TLS_FLAGS;
pub(crate) use automount_token_unused::AUTOMOUNT_TOKEN_UNUSED;
pub(crate) use default_service_account_used::DEFAULT_SERVICE_ACCOUNT_USED;
pub(crate) use encryption_at_rest::ENCRYPTION_AT_REST;
pub(crate) use etcd_transport_insecure::ETCD_TRANSPORT_INSECURE;
pub(crate) use plaintext_secret_manifest::PLAINTEXT_SECRET_MANIFEST;
pub(crate) use secret_in_env_var::SECRET_IN_ENV_VAR;
pub(crate) use secret_literal_elsewhere::SECRET_LITERAL_ELSEWHERE;
pub(crate) use secret_partitioning::SECRET_PARTITIONING;
pub(crate) use secret_via_environment::SECRET_VIA_ENVIRONMENT;
