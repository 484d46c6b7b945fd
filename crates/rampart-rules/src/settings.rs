//! What a run is configured with, and what is derived from it once per run.

use std::collections::HashMap;

use rampart_model::{Inventory, Node};

use crate::pss::{Level, LevelVersion, PolicySource, Version, namespace_policy};
use crate::releases::Date;

/// Settings the rules read.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The Pod Security Standards level and version for namespaces without a
    /// `pod-security.kubernetes.io/enforce` label (`--pss-level`, `--pss-version`).
    pub pss_default: LevelVersion,
    /// Whether the API server's bootstrap roles and bindings count (`--no-builtin-rbac`
    /// turns them off).
    pub builtin_rbac: bool,
    /// The day support and end-of-life dates are judged on (`--now`); `None` reads the
    /// system clock.
    pub today: Option<Date>,
}

impl Settings {
    /// The day to judge support dates on: [`Settings::today`], else the system clock.
    pub fn today(&self) -> Date {
        self.today.unwrap_or_else(Date::today)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pss_default: LevelVersion {
                level: Level::Restricted,
                version: Version::Latest,
            },
            builtin_rbac: true,
            today: None,
        }
    }
}

/// The Pod Security policy each namespace is judged at, worked out once per run.
#[derive(Debug, Default)]
pub struct Policies {
    by_namespace: HashMap<String, (LevelVersion, PolicySource)>,
    default: Option<(LevelVersion, PolicySource)>,
}

impl Policies {
    /// Reads every Namespace object's labels.
    pub fn new(inventory: &Inventory, settings: &Settings) -> Self {
        let by_namespace = inventory
            .of_kind("Namespace")
            .map(|(_, ns)| {
                let labels = ns.root.path("metadata.labels");
                (
                    ns.name().to_string(),
                    namespace_policy(labels, settings.pss_default),
                )
            })
            .collect();
        Policies {
            by_namespace,
            default: Some((settings.pss_default, PolicySource::Default)),
        }
    }

    /// The policy for a namespace (the default for cluster-scoped or unknown ones).
    pub fn for_namespace(&self, namespace: Option<&str>) -> (LevelVersion, &PolicySource) {
        let found = namespace.and_then(|n| self.by_namespace.get(n));
        match found.or(self.default.as_ref()) {
            Some((lv, source)) => (*lv, source),
            None => (Settings::default().pss_default, &PolicySource::Default),
        }
    }

    /// The namespace labels node, for rules that explain a policy.
    pub fn labels<'a>(inventory: &'a Inventory, namespace: &str) -> Option<&'a Node> {
        inventory
            .get("Namespace", None, namespace)
            .and_then(|n| n.root.path("metadata.labels"))
    }
}
