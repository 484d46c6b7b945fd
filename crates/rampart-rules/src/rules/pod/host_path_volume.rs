use rampart_model::PodTemplate;

use super::report_pss;
use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for `hostPath` volumes: the Pod Security Standards baseline check
    /// `hostPathVolumes` (at the restricted level, `POD015 restricted-volume-type` reports
    /// them instead, as upstream's `restrictedVolumes` check overrides this one).
    ///
    /// The level and version come from the namespace's `pod-security.kubernetes.io/enforce` and
    /// `enforce-version` labels, or else from `--pss-level` and `--pss-version` (default
    /// `restricted`, `latest`); the message says which. Evaluation is upstream's, check for check.
    ///
    /// ## Why is this bad?
    /// A hostPath volume hands the container a directory of the node:
    /// `/var/run/docker.sock` or `/var/run/containerd` is root on the node,
    /// `/etc/kubernetes` holds credentials, `/var/lib/kubelet/pods` holds every other pod's
    /// Secrets. Even read-only mounts leak those secrets.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    ///   - name: docker
    ///     hostPath: {path: /var/run/docker.sock}
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// volumes:
    ///   - name: data
    ///     persistentVolumeClaim: {claimName: data}
    /// ```
    ///
    /// ## Remediation
    /// Use a PersistentVolumeClaim, an `emptyDir`, a ConfigMap or a Secret instead; for
    /// node agents that need host paths, run them in a dedicated namespace labelled for the
    /// `privileged` level.
    ///
    /// ## References
    /// - [Pod Security Standards: Baseline](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [pod-security-admission `check_hostPathVolumes.go`](https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/policy/check_hostPathVolumes.go)
    pub(crate) HOST_PATH_VOLUME {
        code: "POD003",
        name: "host-path-volume",
        practice: PodSecurity,
        severity: High,
        status: Stable { since: "0.1.0" },
        check: Check::Template(host_path_volume),
    }
}

/// POD003
fn host_path_volume(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    report_pss(ctx, pod, &HOST_PATH_VOLUME, &["hostPathVolumes"]);
}
