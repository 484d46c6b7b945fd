//! Rules for keeping secrets secret
//! ([Kubernetes: Good practices for Secrets](https://kubernetes.io/docs/concepts/security/secrets-good-practices/)).

mod secret_in_env_var;

pub(crate) use secret_in_env_var::SECRET_IN_ENV_VAR;
