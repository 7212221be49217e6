//! `imagepolicy.k8s.io/v1alpha1` ImageReview, the request of the API
//! server's ImagePolicyWebhook admission plugin: `spec.containers[].image`,
//! `spec.namespace`, `spec.annotations` in; `status.allowed`,
//! `status.reason` (and `status.auditAnnotations`) out.
//!
//! The image policy decides with its mode: `enforce` denies, `warn` and
//! `audit` allow with the findings in `auditAnnotations` (an ImageReview
//! cannot carry warnings), `off` allows everything. Exempt namespaces are
//! allowed. An ImageReview names no object and carries no labels, so only
//! exceptions without `names` (or whose name glob matches "") and without
//! `selector` can apply; its kind is `Pod` and its images are matched.

use std::collections::BTreeMap;

use crate::config::{Mode, Subject};
use crate::extras::{
    format_images, ImageViolation, Waiver, EXCEPTIONS_ANNOTATION, IMAGE_VIOLATIONS_ANNOTATION,
};
use crate::outcome::{
    Decision, Feature, FeatureHit, OperationLabel, Outcome, ResourceLabel, SubresourceLabel,
};
use crate::review::{
    gvk_string, ImageReviewIn, ImageReviewOut, ImageReviewStatus, JsonObject,
    IMAGE_REVIEW_API_VERSION, IMAGE_REVIEW_KIND,
};
use crate::{Admission, RequestError};

pub(crate) fn handle(adm: &Admission, body: &[u8]) -> Result<(Vec<u8>, Outcome), RequestError> {
    let JsonObject(review) =
        serde_json::from_slice::<JsonObject<ImageReviewIn>>(body).map_err(RequestError::Decode)?;
    let api_version = if review.api_version.is_empty() {
        IMAGE_REVIEW_API_VERSION
    } else {
        &review.api_version
    };
    let kind = if review.kind.is_empty() {
        IMAGE_REVIEW_KIND
    } else {
        &review.kind
    };
    if api_version != IMAGE_REVIEW_API_VERSION || kind != IMAGE_REVIEW_KIND {
        return Err(RequestError::UnexpectedKind {
            expected: IMAGE_REVIEW_KIND,
            found: gvk_string(api_version, kind),
        });
    }
    let mut out = Outcome::new(
        ResourceLabel::ImageReview,
        OperationLabel::Other,
        SubresourceLabel::None,
    );
    out.request.kind = "ImageReview".to_string();
    out.request.namespace = review.spec.namespace.clone();
    let status = decide(adm, &review, &mut out);
    let bytes = serde_json::to_vec(&ImageReviewOut {
        api_version: IMAGE_REVIEW_API_VERSION,
        kind: IMAGE_REVIEW_KIND,
        status: &status,
    })
    .map_err(RequestError::Encode)?;
    Ok((bytes, out))
}

fn decide(adm: &Admission, review: &ImageReviewIn, out: &mut Outcome) -> ImageReviewStatus {
    let mode = adm.config.images.mode;
    let allowed = ImageReviewStatus {
        allowed: true,
        ..Default::default()
    };
    let Some(checker) = adm.images.as_ref().filter(|_| !mode.is_off()) else {
        return allowed;
    };
    let spec = &review.spec;
    if adm.exempt_namespace(&spec.namespace) {
        out.exempt = true;
        out.decision = Decision::Exempt;
        return allowed;
    }
    let found: Vec<ImageViolation> = spec
        .containers
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            checker
                .check(&c.image)
                .into_iter()
                .map(move |f| ImageViolation {
                    location: format!("spec.containers[{i}]"),
                    finding: f,
                })
        })
        .collect();
    // The ImagePolicyWebhook plugin reviews pods, which it does not name
    // (nor their labels or owners).
    let no_labels = BTreeMap::new();
    let subject = Subject {
        namespace: &spec.namespace,
        kind: "Pod",
        name: "",
        controllers: Vec::new(),
        labels: &no_labels,
        images: spec.containers.iter().map(|c| c.image.as_str()).collect(),
    };
    let mut waiver = Waiver::new(&adm.config.exceptions, &subject, adm.today());
    let found = waiver.images(found);
    let mut annotations = BTreeMap::new();
    if let Some(report) = waiver.report() {
        annotations.insert(EXCEPTIONS_ANNOTATION.to_string(), report);
    }
    if found.is_empty() {
        return ImageReviewStatus {
            audit_annotations: annotations,
            ..allowed
        };
    }
    out.features.push(FeatureHit {
        feature: Feature::Images,
        mode,
    });
    let list = format_images(&found);
    if mode == Mode::Enforce {
        out.decision = Decision::Deny;
        out.allowed = false;
        annotations.insert(
            IMAGE_VIOLATIONS_ANNOTATION.to_string(),
            format!("violates podgate image policy: {list}"),
        );
        ImageReviewStatus {
            allowed: false,
            reason: format!("violates podgate image policy: {list}"),
            audit_annotations: annotations,
        }
    } else {
        annotations.insert(
            IMAGE_VIOLATIONS_ANNOTATION.to_string(),
            format!("would violate podgate image policy: {list}"),
        );
        ImageReviewStatus {
            audit_annotations: annotations,
            ..allowed
        }
    }
}
