use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks that volumes are of the types the restricted level allows: `configMap`,
    /// `csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`,
    /// `projected` and `secret`: the Pod Security Standards restricted check
    /// `restrictedVolumes` (which replaces `hostPathVolumes` at that level). A volume with
    /// no source is an `emptyDir` once the API server has defaulted it, and passes.
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// In-tree volume types (`hostPath`, `nfs`, `iscsi`, `rbd`, `gitRepo`, `flexVolume`,
    /// ...) reach node paths, storage networks or run code on the node with its
    /// credentials; `gitRepo` runs `git` on the node.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    ///   - name: shared
    ///     nfs: {server: nfs.example.com, path: /exports}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// volumes:
    ///   - name: shared
    ///     persistentVolumeClaim: {claimName: shared}
    /// ```
    ///
    /// ## Remediation
    /// Use a PersistentVolumeClaim (with a CSI driver) or one of the allowed types instead.
    ///
    /// ## References
    /// - [Pod Security Standards: Restricted](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    /// - [pod-security-admission `check_restrictedVolumes.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_restrictedVolumes.go)
    pub(crate) RESTRICTED_VOLUME_TYPE {
        code: "POD015",
        name: "restricted-volume-type",
        practice: PodSecurity,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(restricted_volume_type),
    }
}

/// POD015
fn restricted_volume_type(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(ctx, pod, &RESTRICTED_VOLUME_TYPE, &["restrictedVolumes"]);
}
