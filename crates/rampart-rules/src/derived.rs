//! Analyses built once per run from the inventory and the settings.

use rampart_analysis::rbac::escalation::{Escalations, Workloads};
use rampart_analysis::rbac::{Rbac, SubjectKind};
use rampart_model::{Inventory, Node};

use crate::pss::Level;
use crate::settings::Policies;

/// What the escalation graph needs to know of ServiceAccounts, pods and namespaces.
pub fn workloads(inventory: &Inventory, rbac: &Rbac, policies: &Policies) -> Workloads {
    let mut w = Workloads::default();
    let add = |w: &mut Workloads, ns: &str, name: &str| {
        w.accounts
            .entry(ns.to_string())
            .or_default()
            .insert(name.to_string());
    };
    for (_, sa) in inventory.of_kind("ServiceAccount") {
        if let Some(ns) = sa.namespace() {
            add(&mut w, ns, sa.name());
        }
    }
    for (ns, _) in inventory.namespaces() {
        add(&mut w, ns, "default");
        if policies.for_namespace(Some(ns)).0.level == Level::Privileged {
            w.privileged_namespaces.insert(ns.to_string());
        }
    }
    for (_, pod) in inventory.pod_templates() {
        let Some(ns) = pod.object.namespace() else {
            continue;
        };
        let sa = pod.service_account_name();
        add(&mut w, ns, sa);
        w.running.insert((ns.to_string(), sa.to_string()));
    }
    for binding in rbac.bindings.iter().filter(|b| !b.builtin) {
        for s in binding
            .subjects
            .iter()
            .filter(|s| s.kind == SubjectKind::ServiceAccount)
        {
            if let Some(ns) = binding.subject_namespace(s) {
                add(&mut w, ns, &s.name);
            }
        }
    }
    for (_, secret) in inventory.of_kind("Secret") {
        if secret.root.get("type").and_then(Node::as_str)
            != Some("kubernetes.io/service-account-token")
        {
            continue;
        }
        if let (Some(ns), Some(sa)) = (
            secret.namespace(),
            secret.annotation("kubernetes.io/service-account.name"),
        ) {
            w.token_secrets.insert((ns.to_string(), sa.to_string()));
        }
    }
    w
}

/// Builds the escalation graph for a run.
pub fn escalations(inventory: &Inventory, rbac: &Rbac, policies: &Policies) -> Escalations {
    Escalations::build(rbac, &workloads(inventory, rbac, policies))
}
