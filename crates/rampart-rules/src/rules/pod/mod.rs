//! Rules from the [Pod Security Standards](https://kubernetes.io/docs/concepts/security/pod-security-standards/)
//! and pod hardening practice.

mod privileged_container;

pub(crate) use privileged_container::PRIVILEGED_CONTAINER;
