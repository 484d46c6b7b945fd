use rampart_model::PodTemplate;

use crate::context::Context;
use crate::declare_rule;
use crate::rule::Check;

declare_rule! {
    /// ## What it does
    /// Checks for container images referenced with no tag or with the `latest` tag, and
    /// no digest.
    ///
    /// ## Why is this bad?
    /// `nginx` and `nginx:latest` name whatever was pushed last. Two replicas of one
    /// Deployment can run different code, a rollback cannot return to what ran before,
    /// and an attacker who can push to the repository changes what runs at the next
    /// restart. The kubelet also defaults `imagePullPolicy` to `Always` for `latest`, so
    /// a registry outage stops pods from starting.
    ///
    /// ## Example
    /// ```yaml
    /// image: nginx:latest
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// image: nginx:1.27.3@sha256:6af79ae5de407283dcea8b00d5c37ace95441fd58a8b1d2aa1ed93f5511bb18c
    /// ```
    ///
    /// ## Remediation
    /// Pin a version tag, and preferably a digest (`name:tag@sha256:...`), so every
    /// replica and every rollback runs the same bytes.
    ///
    /// ## References
    /// - [Kubernetes: Images, image names and tags](https://kubernetes.io/docs/concepts/containers/images/#image-names)
    /// - [Configuration best practices: Container images](https://kubernetes.io/docs/concepts/configuration/overview/#container-images)
    pub(crate) LATEST_IMAGE_TAG {
        code: "UPD001",
        name: "latest-image-tag",
        practice: Updates,
        severity: Medium,
        status: Stable { since: "0.1.0" },
        check: Check::Template(latest_image_tag),
    }
}

/// The tag of an image reference, `None` when it has none; `Err(())` when it is
/// pinned by digest.
pub(crate) fn image_tag(image: &str) -> Result<Option<&str>, ()> {
    if image.contains('@') {
        return Err(());
    }
    // A tag follows the last `:` after the last `/` (`registry:5000/app` has no tag).
    let last = image.rsplit('/').next().unwrap_or(image);
    Ok(last.rsplit_once(':').map(|(_, tag)| tag))
}

/// UPD001
fn latest_image_tag(ctx: &mut Context<'_>, pod: &PodTemplate<'_>) {
    for container in pod.containers() {
        let Some(node) = container.image() else {
            continue;
        };
        let image = node.as_str().map(str::trim).unwrap_or_default();
        let message = match image_tag(image) {
            Ok(None) if !image.is_empty() => format!(
                "image `{image}` of `{}` has no tag, so it means `latest`",
                container.name()
            ),
            Ok(Some("latest")) => format!(
                "image `{image}` of `{}` uses the mutable `latest` tag",
                container.name()
            ),
            _ => continue,
        };
        ctx.report(
            &LATEST_IMAGE_TAG,
            pod.object,
            node.pos,
            &container.field_path("image"),
            message,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::image_tag;

    #[test]
    fn tags() {
        assert_eq!(image_tag("nginx"), Ok(None));
        assert_eq!(image_tag("nginx:1.2"), Ok(Some("1.2")));
        assert_eq!(image_tag("registry:5000/team/app"), Ok(None));
        assert_eq!(
            image_tag("registry:5000/team/app:latest"),
            Ok(Some("latest"))
        );
        assert_eq!(image_tag("nginx@sha256:abc"), Err(()));
        assert_eq!(image_tag("nginx:latest@sha256:abc"), Err(()));
    }
}
