//! Rules for keeping a cluster up to date and its rollouts reproducible
//! ([Kubernetes version skew policy](https://kubernetes.io/releases/version-skew-policy/),
//! [images](https://kubernetes.io/docs/concepts/containers/images/)).
//!
//! Closely related rules share a file here: the version rules read the same release
//! data and version sites, the rollout and drift rules the same workload helpers.

mod api_versions;
mod cluster;
mod disruption;
mod drift;
mod latest_image_tag;
mod rollout;
mod versions;
mod workloads;

pub(crate) use api_versions::{DEPRECATED_API_VERSION, REMOVED_API_VERSION};
pub(crate) use cluster::version_diagnostics;
pub(crate) use disruption::{DISRUPTION_BUDGET_BLOCKS_EVICTION, MISSING_DISRUPTION_BUDGET};
pub(crate) use drift::{MUTABLE_TAG_PULL_POLICY, REPLICA_IMAGE_MISMATCH, RUNNING_IMAGE_DRIFT};
pub(crate) use latest_image_tag::LATEST_IMAGE_TAG;
pub(crate) use rollout::{
    MAX_UNAVAILABLE_ALL_REPLICAS, MISSING_READINESS_PROBE, ON_DELETE_UPDATE_STRATEGY,
    RECREATE_UPDATE_STRATEGY, SINGLE_REPLICA_BEHIND_SERVICE,
};
pub(crate) use versions::{
    KUBELET_VERSION_SKEW, KUBERNETES_VERSION_NEAR_END_OF_LIFE, OUTDATED_PATCH_RELEASE,
    UNSUPPORTED_KUBERNETES_VERSION,
};

/// The rules that read the cluster's version: when one runs, versions Rampart cannot
/// judge become warnings.
pub(crate) const VERSION_RULES: &[&str] =
    &["UPD002", "UPD003", "UPD004", "UPD005", "UPD006", "UPD007"];
