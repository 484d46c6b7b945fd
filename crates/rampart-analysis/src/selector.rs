//! Label selectors (`metav1.LabelSelector`): `matchLabels` and `matchExpressions`
//! (`In`, `NotIn`, `Exists`, `DoesNotExist`), as `metav1.LabelSelectorAsSelector`
//! evaluates them. An empty selector matches everything; an invalid one (unknown
//! operator, `In` without values) matches nothing.

use std::collections::BTreeMap;

use rampart_model::Node;

/// A parsed label selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    valid: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl LabelSelector {
    /// The selector that matches everything (`{}`).
    pub fn everything() -> Self {
        LabelSelector {
            requirements: Vec::new(),
            valid: true,
        }
    }

    /// Parses a `LabelSelector` node; `null` or absent means match everything only
    /// where the caller says so (callers decide what a missing selector means).
    pub fn parse(node: &Node) -> Self {
        let mut requirements = Vec::new();
        let mut valid = node.as_map().is_some() || node.is_null();
        if let Some(labels) = node.get("matchLabels").and_then(Node::as_map) {
            for e in labels {
                match e.value.scalar_string() {
                    Some(v) => requirements.push(Requirement::Equals(e.key.to_string(), v)),
                    None => valid = false,
                }
            }
        }
        for expr in node
            .get("matchExpressions")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let key = expr
                .get("key")
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_string();
            let values: Vec<String> = expr
                .get("values")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::scalar_string)
                .collect();
            let requirement = match expr.get("operator").and_then(Node::as_str) {
                Some("In") if !values.is_empty() => Requirement::In(key, values),
                Some("NotIn") if !values.is_empty() => Requirement::NotIn(key, values),
                Some("Exists") if values.is_empty() => Requirement::Exists(key),
                Some("DoesNotExist") if values.is_empty() => Requirement::DoesNotExist(key),
                _ => {
                    valid = false;
                    continue;
                }
            };
            requirements.push(requirement);
        }
        LabelSelector {
            requirements,
            valid,
        }
    }

    /// Whether the selector selects an object with these labels.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.valid
            && self.requirements.iter().all(|r| match r {
                Requirement::Equals(k, v) => labels.get(k) == Some(v),
                Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
                Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
                Requirement::Exists(k) => labels.contains_key(k),
                Requirement::DoesNotExist(k) => !labels.contains_key(k),
            })
    }

    /// The `matchLabels` pairs (and single-value `In` expressions are not included).
    pub fn match_labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.requirements.iter().filter_map(|r| match r {
            Requirement::Equals(k, v) => Some((k.as_str(), v.as_str())),
            _ => None,
        })
    }

    /// Whether this is the empty selector (selects everything).
    pub fn is_everything(&self) -> bool {
        self.valid && self.requirements.is_empty()
    }
}

/// The labels of a metadata node, as strings.
pub fn labels_of(metadata: Option<&Node>) -> BTreeMap<String, String> {
    metadata
        .and_then(|m| m.get("labels"))
        .and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|e| Some((e.key.to_string(), e.value.scalar_string()?)))
                .collect()
        })
        .unwrap_or_default()
}
