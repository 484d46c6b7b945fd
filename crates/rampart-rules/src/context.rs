//! What a rule sees and how it reports.

use std::sync::OnceLock;

use rampart_model::{Inventory, Object, ObjectRef, Pos};

use rampart_analysis::netpol::{Level, Network};
use rampart_analysis::rbac::Rbac;
use rampart_analysis::rbac::escalation::Escalations;

use crate::finding::Finding;
use crate::pss::{LevelVersion, Violation};
use crate::rule::RuleMeta;
use crate::settings::{Policies, Settings};

/// Findings per block of a context's findings (about 10 KB: the allocator reuses
/// blocks of this size, where it would keep a doubled vector's old copies aside).
const BLOCK: usize = 64;

/// Analyses several rules share, each built on first use.
#[derive(Default)]
pub struct Shared {
    escalations: OnceLock<Escalations>,
    network: OnceLock<Network>,
}

/// The inventory a rule reads, and the sink it reports to.
pub struct Context<'a> {
    /// The cluster.
    pub inventory: &'a Inventory,
    /// The run's settings.
    pub settings: &'a Settings,
    /// The Pod Security policy of each namespace.
    pub policies: &'a Policies,
    /// The RBAC authorizer over the inventory's roles and bindings.
    pub rbac: &'a Rbac,
    /// Analyses built by the first rule that asks for them.
    shared: &'a Shared,
    /// Findings in blocks of [`BLOCK`]: a vector that doubled as a large cluster's
    /// findings came in would leave each smaller copy behind in the allocator.
    findings: Vec<Vec<Finding>>,
    /// The Pod Security verdict of the last pod evaluated (object index, policy,
    /// violations): the POD rules share one evaluation per pod.
    pub(crate) pss_memo: Option<(usize, LevelVersion, Vec<Violation>)>,
}

impl<'a> Context<'a> {
    /// A context over an inventory.
    pub fn new(
        inventory: &'a Inventory,
        settings: &'a Settings,
        policies: &'a Policies,
        rbac: &'a Rbac,
        shared: &'a Shared,
    ) -> Self {
        Context {
            inventory,
            settings,
            policies,
            rbac,
            shared,
            findings: Vec::new(),
            pss_memo: None,
        }
    }

    /// Privilege-escalation paths between identities. The graph is built once per run,
    /// when a rule first needs it, so the rules that do not can run meanwhile and a
    /// selection without them never pays for it.
    pub fn escalations(&self) -> &'a Escalations {
        let (inventory, rbac, policies) = (self.inventory, self.rbac, self.policies);
        self.shared
            .escalations
            .get_or_init(|| crate::derived::escalations(inventory, rbac, policies))
    }

    /// Workloads, namespaces and NetworkPolicies, ready for reachability questions;
    /// built once per run by the first network rule.
    pub fn network(&self) -> &'a Network {
        let inventory = self.inventory;
        self.shared
            .network
            .get_or_init(|| Network::build(inventory, Level::Workload))
    }

    /// Reports a finding about `object` at `pos` (field path `path`, relative to the
    /// object). Returns the finding to add help, evidence or steps.
    pub fn report(
        &mut self,
        rule: &'static RuleMeta,
        object: &Object,
        pos: Pos,
        path: &str,
        message: impl Into<String>,
    ) -> &mut Finding {
        let finding = Finding::new(
            rule,
            object.id.clone(),
            Some(object.index),
            object.file(),
            if pos.is_known() { pos } else { object.pos() },
            rampart_model::intern_path(&object.display_path(path)),
            message.into(),
        );
        self.push(finding)
    }

    /// Reports a finding about the cluster as a whole, tied to no object or file (the
    /// Kubernetes version given on the command line, say).
    pub fn report_cluster(
        &mut self,
        rule: &'static RuleMeta,
        name: &str,
        message: impl Into<String>,
    ) -> &mut Finding {
        let finding = Finding::new(
            rule,
            ObjectRef {
                api_version: rampart_model::intern(""),
                kind: rampart_model::intern("Cluster"),
                namespace: None,
                name: name.into(),
            },
            None,
            None,
            Pos::UNKNOWN,
            rampart_model::intern(""),
            message.into(),
        );
        self.push(finding)
    }

    /// Takes the findings reported so far.
    pub fn into_findings(self) -> Vec<Finding> {
        self.findings.into_iter().flatten().collect()
    }

    /// The findings, in the order reported, in blocks.
    pub(crate) fn into_blocks(self) -> Vec<Vec<Finding>> {
        self.findings
    }

    fn push(&mut self, finding: Finding) -> &mut Finding {
        if self.findings.last().is_none_or(|b| b.len() >= BLOCK) {
            self.findings.push(Vec::with_capacity(BLOCK));
        }
        let block = self
            .findings
            .last_mut()
            .unwrap_or_else(|| unreachable!("a block was just added"));
        block.push(finding);
        block
            .last_mut()
            .unwrap_or_else(|| unreachable!("a finding was just pushed"))
    }
}
