//! Rules for isolating pods with
//! [NetworkPolicy](https://kubernetes.io/docs/concepts/services-networking/network-policies/).

mod namespace_without_network_policy;

pub(crate) use namespace_without_network_policy::NAMESPACE_WITHOUT_NETWORK_POLICY;
