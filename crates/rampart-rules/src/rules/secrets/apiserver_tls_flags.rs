use rampart_model::Component;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks the kube-apiserver's own TLS and credential flags: `--tls-cert-file` and
    /// `--tls-private-key-file` (its serving certificate), and
    /// `--kubelet-client-certificate` and `--kubelet-client-key` (how it authenticates
    /// to kubelets). Anonymous access is `RBAC017`; etcd is `SEC003`.
    ///
    /// ## Why is this bad?
    /// Without a configured serving certificate the API server generates a self-signed
    /// one that clients cannot verify, inviting `insecure-skip-tls-verify` and
    /// credential theft in the middle. Without a kubelet client certificate, kubelets
    /// must accept unauthenticated requests for `exec`, `logs` and `port-forward` to work,
    /// which opens every node's API to anyone who reaches it.
    ///
    /// ## Example
    /// ```yaml
    /// command: [kube-apiserver, "--authorization-mode=Node,RBAC"]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// command:
    ///   - kube-apiserver
    ///   - --tls-cert-file=/etc/kubernetes/pki/apiserver.crt
    ///   - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key
    ///   - --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt
    ///   - --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key
    /// ```
    ///
    /// ## Remediation
    /// Issue the API server a serving certificate and a kubelet client certificate from
    /// the cluster CA (kubeadm does both) and pass them with these flags.
    ///
    /// ## References
    /// - [Kubernetes: PKI certificates and requirements](https://kubernetes.io/docs/setup/best-practices/certificates/)
    /// - [Kubernetes: Kubelet authentication/authorization](https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/)
    /// - [CIS Kubernetes Benchmark 1.2.4, 1.2.23](https://www.cisecurity.org/benchmark/kubernetes)
    pub(crate) APISERVER_TLS_FLAGS {
        code: "SEC010",
        name: "apiserver-credentials-unset",
        practice: Secrets,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Inventory(apiserver_tls_flags),
    }
}

/// SEC010
fn apiserver_tls_flags(ctx: &mut Context<'_>) {
    let inventory = ctx.inventory;
    for apiserver in inventory.facts.component(Component::KubeApiserver) {
        let Some(object) = inventory.objects.get(apiserver.object) else {
            continue;
        };
        for (flags, what) in [
            (
                ["tls-cert-file", "tls-private-key-file"],
                "its serving certificate",
            ),
            (
                ["kubelet-client-certificate", "kubelet-client-key"],
                "the client certificate it presents to kubelets",
            ),
        ] {
            let missing: Vec<String> = flags
                .iter()
                .filter(|f| apiserver.get(f).is_none_or(str::is_empty))
                .map(|f| format!("`--{f}`"))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let message = format!(
                "kube-apiserver in Pod `{}` does not configure {what}: {} not set",
                object.name(),
                missing.join(", ")
            );
            let path = format!("{}.command", apiserver.container_path);
            ctx.report(&APISERVER_TLS_FLAGS, object, apiserver.pos, &path, message);
        }
    }
}
