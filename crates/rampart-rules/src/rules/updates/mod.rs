//! Rules for keeping a cluster up to date and its rollouts reproducible
//! ([Kubernetes version skew policy](https://kubernetes.io/releases/version-skew-policy/),
//! [images](https://kubernetes.io/docs/concepts/containers/images/)).

mod latest_image_tag;

pub(crate) use latest_image_tag::LATEST_IMAGE_TAG;
