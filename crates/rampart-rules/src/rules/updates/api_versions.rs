//! API versions in manifests that the target Kubernetes version no longer serves, or
//! serves deprecated.

use rampart_model::Object;

use crate::context::Context;
use crate::declare_rule;
use crate::releases::removed_api;
use crate::rule::Check;

use super::cluster::target_minor;

declare_rule! {
    /// ## What it does
    /// Checks each object's `apiVersion` and `kind` against the API versions Kubernetes
    /// has stopped serving (the Deprecated API Migration Guide: `extensions/v1beta1`
    /// Deployment and Ingress, `policy/v1beta1` PodSecurityPolicy and
    /// PodDisruptionBudget, `batch/v1beta1` CronJob, `autoscaling/v2beta2`
    /// HorizontalPodAutoscaler, the `flowcontrol.apiserver.k8s.io` betas, and more). The
    /// target is the cluster's version when known, else the newest release.
    ///
    /// ## Why is this bad?
    /// The API server rejects a manifest in an API version it no longer serves, so the
    /// deployment fails, often in the middle of an upgrade or a disaster recovery. A
    /// manifest that still says `policy/v1beta1` PodSecurityPolicy also means the
    /// controls it meant to enforce are gone.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: extensions/v1beta1
    /// kind: Ingress
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// ```
    ///
    /// ## Remediation
    /// Move the manifest to the replacement API version (`kubectl convert` helps) and
    /// review the field changes the migration guide lists for it.
    ///
    /// ## References
    /// - [Kubernetes: Deprecated API Migration Guide](https://kubernetes.io/docs/reference/using-api/deprecation-guide/)
    /// - [Kubernetes: Deprecation policy](https://kubernetes.io/docs/reference/using-api/deprecation-policy/)
    pub(crate) REMOVED_API_VERSION {
        code: "UPD006",
        name: "removed-api-version",
        practice: Updates,
        severity: High,
        status: Preview { since: "NEXT" },
        check: Check::Object(&[], removed_api_version),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks each object's `apiVersion` and `kind` for an API version the cluster's
    /// Kubernetes version still serves but has deprecated, with a removal scheduled in a
    /// later release.
    ///
    /// ## Why is this bad?
    /// The next upgrade removes it: every manifest, chart and client still using it
    /// breaks on that day. Migrating before the upgrade is cheap; during it, it is an
    /// outage.
    ///
    /// ## Example
    /// ```yaml
    /// # on Kubernetes 1.24
    /// apiVersion: flowcontrol.apiserver.k8s.io/v1beta1
    /// kind: FlowSchema
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: flowcontrol.apiserver.k8s.io/v1beta2
    /// kind: FlowSchema
    /// ```
    ///
    /// ## Remediation
    /// Migrate to the replacement API version before upgrading to the release that
    /// removes the deprecated one.
    ///
    /// ## References
    /// - [Kubernetes: Deprecated API Migration Guide](https://kubernetes.io/docs/reference/using-api/deprecation-guide/)
    pub(crate) DEPRECATED_API_VERSION {
        code: "UPD007",
        name: "deprecated-api-version",
        practice: Updates,
        severity: Low,
        status: Preview { since: "NEXT" },
        check: Check::Object(&[], deprecated_api_version),
    }
}

/// UPD006
fn removed_api_version(ctx: &mut Context<'_>, object: &Object) {
    let Some(api) = removed_api(&object.id.api_version, object.kind()) else {
        return;
    };
    let Some((target, described)) = target_minor(ctx.inventory, ctx.settings.today()) else {
        return;
    };
    if target < api.removed_in {
        return;
    }
    let pos = object
        .root
        .get("apiVersion")
        .map_or(object.pos(), |n| n.pos);
    ctx.report(
        &REMOVED_API_VERSION,
        object,
        pos,
        "apiVersion",
        format!(
            "`{}` {} was removed in Kubernetes v1.{} and is not served by {described}",
            api.api_version,
            object.kind(),
            api.removed_in
        ),
    )
    .help(format!("use {}", replacement(api.replacement)));
}

/// UPD007
fn deprecated_api_version(ctx: &mut Context<'_>, object: &Object) {
    let Some(api) = removed_api(&object.id.api_version, object.kind()) else {
        return;
    };
    let Some(deprecated) = api.deprecated_in else {
        return;
    };
    let Some((target, described)) = target_minor(ctx.inventory, ctx.settings.today()) else {
        return;
    };
    if target < deprecated || target >= api.removed_in {
        return;
    }
    let pos = object
        .root
        .get("apiVersion")
        .map_or(object.pos(), |n| n.pos);
    ctx.report(
        &DEPRECATED_API_VERSION,
        object,
        pos,
        "apiVersion",
        format!(
            "`{}` {} is deprecated since Kubernetes v1.{deprecated} and removed in v1.{}; {described} still serves it",
            api.api_version,
            object.kind(),
            api.removed_in
        ),
    )
    .help(format!(
        "use {} before upgrading to v1.{}",
        replacement(api.replacement),
        api.removed_in
    ));
}

/// An API version in backticks; prose as it is.
fn replacement(text: &str) -> String {
    if text.contains(' ') || text.contains('`') {
        text.to_string()
    } else {
        format!("`{text}`")
    }
}
