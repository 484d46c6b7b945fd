use super::{Probe, ask, report_rights};
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for bindings that let a subject outside Kubernetes itself create
    /// PersistentVolumes.
    ///
    /// ## Why is this bad?
    /// A PersistentVolume can be a `hostPath` volume: whoever creates one and a claim bound
    /// to it mounts any directory of a node, however strict the namespace's Pod Security
    /// level is, since the pod only names the claim.
    ///
    /// ## Example
    /// ```yaml
    /// rules: [{apiGroups: [""], resources: [persistentvolumes], verbs: [create]}]
    /// ```
    ///
    /// Use instead: Provision volumes through StorageClasses and dynamic provisioning.
    ///
    /// ## Remediation
    /// Remove `create` on `persistentvolumes`; leave provisioning to CSI drivers.
    ///
    /// ## References
    /// - [Kubernetes: RBAC good practices, persistent volume creation](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#persistent-volume-creation)
    pub(crate) PERSISTENT_VOLUME_CREATE {
        code: "RBAC014",
        name: "persistent-volume-create",
        practice: Rbac,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(persistent_volume_create),
    }
}

/// RBAC014
fn persistent_volume_create(ctx: &mut Context<'_>) {
    let probes = [Probe {
        label: "create PersistentVolumes",
        requests: vec![ask("create", "", "persistentvolumes", "")],
    }];
    report_rights(ctx, &PERSISTENT_VOLUME_CREATE, &probes);
}
