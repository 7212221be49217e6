//! Image rules: mutable tags, pull policy, digest pinning.
//!
//! Fields: `spec.{initContainers,containers}[*].image` and `.imagePullPolicy`.
//! Ephemeral containers are skipped (ad-hoc debugging, not part of the
//! workload); empty images are a validation error, not a finding.
//!
//! A reference is split locally: the digest follows the last `@`; the tag
//! follows the last `:` after the last `/` (so a registry port,
//! `registry:5000/app`, is not a tag). An image is *mutable* when it has no
//! digest and its tag is missing or `latest`; a digest pins the content
//! whatever the tag says.
//!
//! Pull policy: the API server defaults `imagePullPolicy` to `Always` for
//! mutable images, so only an explicit `IfNotPresent` or `Never` on a mutable
//! image is reported. Other tags with `IfNotPresent` are not: release tags are
//! conventionally immutable, and `image-digest` covers those who want proof.

use super::{container_field, who, Hit, RuleContext, RuleInfo, Severity};
use crate::model::{Container, ContainerKind, PodTemplate};

pub(super) const TAG_LATEST: RuleInfo = RuleInfo {
    id: "image-tag-latest",
    severity: Severity::High,
    title: "Images use a specific tag",
    rationale: "An image without a tag means \"latest\", and \"latest\" moves: every node \
                and every restart may run different code, rollbacks cannot go back, and a \
                compromised push reaches production unreviewed.",
    fix: "Use a versioned tag (nginx:1.27.2), ideally pinned by digest.",
    field: "spec.{initContainers,containers}[*].image",
    default_enabled: true,
};

pub(super) const PULL_POLICY: RuleInfo = RuleInfo {
    id: "image-pull-policy-latest",
    severity: Severity::Medium,
    title: "Mutable images are always pulled",
    rationale: "With imagePullPolicy IfNotPresent or Never, each node runs whatever copy of a \
                latest or untagged image it pulled first, so replicas silently run different \
                versions. Unset is fine: the API server defaults it to Always for these images.",
    fix: "Pin the image to a version (or digest), or remove imagePullPolicy.",
    field: "spec.{initContainers,containers}[*].imagePullPolicy",
    default_enabled: true,
};

pub(super) const DIGEST: RuleInfo = RuleInfo {
    id: "image-digest",
    severity: Severity::Low,
    title: "Images are pinned by digest",
    rationale: "Tags can be moved or overwritten in the registry; only a digest \
                (image@sha256:...) guarantees the content that was reviewed and scanned. \
                Off by default: pinning needs tooling to keep digests current.",
    fix: "Reference images by digest, for example nginx:1.27.2@sha256:<digest>.",
    field: "spec.{initContainers,containers}[*].image",
    default_enabled: false,
};

/// The parts of an image reference the rules need.
#[derive(Debug, PartialEq, Eq)]
struct ImageParts<'a> {
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

fn split_image(image: &str) -> ImageParts<'_> {
    let (rest, digest) = match image.rsplit_once('@') {
        Some((rest, d)) => (rest, Some(d).filter(|d| !d.is_empty())),
        None => (image, None),
    };
    let last_component = rest.rsplit_once('/').map_or(rest, |(_, c)| c);
    let tag = last_component
        .rsplit_once(':')
        .map(|(_, t)| t)
        .filter(|t| !t.is_empty());
    ImageParts { tag, digest }
}

fn is_mutable(parts: &ImageParts<'_>) -> bool {
    parts.digest.is_none() && matches!(parts.tag, None | Some("latest"))
}

/// Init and regular containers that name an image.
fn imaged(pod: &PodTemplate) -> impl Iterator<Item = (ContainerKind, usize, &Container)> {
    pod.spec
        .all_containers()
        .filter(|(kind, _, c)| *kind != ContainerKind::Ephemeral && !c.image.is_empty())
}

pub(super) fn tag_latest(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    for (kind, i, c) in imaged(pod) {
        let parts = split_image(&c.image);
        if parts.digest.is_some() {
            continue;
        }
        let problem = match parts.tag {
            None => "has no tag",
            Some("latest") => "uses the \"latest\" tag",
            Some(_) => continue,
        };
        out.push(Hit::new(
            format!("{} image \"{}\" {problem}", who(kind, &c.name), c.image),
            container_field(kind, i, &["image"]),
        ));
    }
}

pub(super) fn pull_policy(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    for (kind, i, c) in imaged(pod) {
        if c.image_pull_policy.is_empty() || c.image_pull_policy == "Always" {
            continue;
        }
        if !is_mutable(&split_image(&c.image)) {
            continue;
        }
        out.push(Hit::new(
            format!(
                "{} uses imagePullPolicy \"{}\" with mutable image \"{}\"",
                who(kind, &c.name),
                c.image_pull_policy,
                c.image
            ),
            container_field(kind, i, &["imagePullPolicy"]),
        ));
    }
}

pub(super) fn digest(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    for (kind, i, c) in imaged(pod) {
        if split_image(&c.image).digest.is_none() {
            out.push(Hit::new(
                format!(
                    "{} image \"{}\" is not pinned by digest",
                    who(kind, &c.name),
                    c.image
                ),
                container_field(kind, i, &["image"]),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_one, assert_pass, messages};
    use super::*;
    use serde_json::json;

    const DIGEST_HEX: &str =
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn image(image: &str, policy: Option<&str>) -> serde_json::Value {
        let mut c = json!({"name": "app", "image": image});
        if let Some(p) = policy {
            c["imagePullPolicy"] = json!(p);
        }
        json!({"spec": {"containers": [c]}})
    }

    #[test]
    fn split() {
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            ("nginx", None, None),
            ("nginx:1.25", Some("1.25"), None),
            ("nginx:latest", Some("latest"), None),
            ("registry:5000/team/app", None, None),
            ("registry:5000/team/app:v2", Some("v2"), None),
            ("nginx@sha256:abc", None, Some("sha256:abc")),
            ("nginx:1.25@sha256:abc", Some("1.25"), Some("sha256:abc")),
            ("registry:5000/app@sha256:abc", None, Some("sha256:abc")),
            ("nginx:", None, None),
            ("nginx@", None, None),
        ];
        for (img, tag, digest) in cases {
            assert_eq!(
                split_image(img),
                ImageParts {
                    tag: *tag,
                    digest: *digest
                },
                "{img}"
            );
        }
    }

    #[test]
    fn tag_latest() {
        let id = "image-tag-latest";
        for ok in [
            "nginx:1.25".to_string(),
            "registry:5000/team/app:v2".to_string(),
            format!("nginx@{DIGEST_HEX}"),
            format!("nginx:latest@{DIGEST_HEX}"),
            String::new(),
        ] {
            assert_pass(id, "Pod", image(&ok, None));
        }
        assert_one(
            id,
            "Pod",
            image("nginx", None),
            "container \"app\" image \"nginx\" has no tag",
            &["spec.containers[0].image"],
        );
        assert_one(
            id,
            "Pod",
            image("registry:5000/team/app", None),
            "container \"app\" image \"registry:5000/team/app\" has no tag",
            &["spec.containers[0].image"],
        );
        assert_one(
            id,
            "Pod",
            image("nginx:latest", None),
            "container \"app\" image \"nginx:latest\" uses the \"latest\" tag",
            &["spec.containers[0].image"],
        );
        assert_eq!(
            messages(
                id,
                "Pod",
                json!({"spec": {"initContainers": [{"name": "i", "image": "busybox"}],
                                "ephemeralContainers": [{"name": "d", "image": "busybox"}]}})
            ),
            vec!["init container \"i\" image \"busybox\" has no tag"]
        );
    }

    #[test]
    fn pull_policy() {
        let id = "image-pull-policy-latest";
        assert_pass(id, "Pod", image("nginx:latest", None));
        assert_pass(id, "Pod", image("nginx:latest", Some("Always")));
        assert_pass(id, "Pod", image("nginx:1.25", Some("IfNotPresent")));
        assert_pass(
            id,
            "Pod",
            image(&format!("nginx@{DIGEST_HEX}"), Some("IfNotPresent")),
        );
        assert_one(
            id,
            "Pod",
            image("nginx:latest", Some("IfNotPresent")),
            "container \"app\" uses imagePullPolicy \"IfNotPresent\" with mutable image \"nginx:latest\"",
            &["spec.containers[0].imagePullPolicy"],
        );
        assert_one(
            id,
            "Pod",
            image("nginx", Some("Never")),
            "container \"app\" uses imagePullPolicy \"Never\" with mutable image \"nginx\"",
            &["spec.containers[0].imagePullPolicy"],
        );
    }

    #[test]
    fn digest() {
        let id = "image-digest";
        assert_pass(id, "Pod", image(&format!("nginx:1.25@{DIGEST_HEX}"), None));
        assert_one(
            id,
            "Pod",
            image("nginx:1.25", None),
            "container \"app\" image \"nginx:1.25\" is not pinned by digest",
            &["spec.containers[0].image"],
        );
    }
}
