//! ImageReview (imagepolicy.k8s.io/v1alpha1).

use std::sync::Arc;

use podgate_admission::{Admission, Decision, ImageCheck, ImageFinding};
use serde_json::{json, Value};

use crate::common::*;

struct NoLatest;

impl ImageCheck for NoLatest {
    fn check(&self, image: &str) -> Vec<ImageFinding> {
        if image.ends_with(":latest") {
            vec![ImageFinding {
                code: "latest".into(),
                message: "the latest tag is not allowed".into(),
            }]
        } else {
            vec![]
        }
    }
}

fn review(namespace: &str, images: &[&str]) -> Vec<u8> {
    let containers: Vec<Value> = images.iter().map(|i| json!({"image": i})).collect();
    serde_json::to_vec(&json!({
        "apiVersion": "imagepolicy.k8s.io/v1alpha1",
        "kind": "ImageReview",
        "spec": {"containers": containers,
                 "annotations": {"mycluster.image-policy.k8s.io/ticket-1234": "break-glass"},
                 "namespace": namespace}
    }))
    .unwrap()
}

fn run(adm: &Admission, body: &[u8]) -> (Value, podgate_admission::Outcome) {
    let (bytes, out) = adm.image_review(body).unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["apiVersion"], "imagepolicy.k8s.io/v1alpha1");
    assert_eq!(v["kind"], "ImageReview");
    (v["status"].clone(), out)
}

fn adm(mode: &str) -> Admission {
    admission_with(
        json!({"images": {"mode": mode}, "exemptions": {"namespaces": ["kube-system"]}}),
        cluster(&[]),
    )
    .with_image_check(Arc::new(NoLatest))
}

#[test]
fn enforce_denies_with_a_reason() {
    let (status, out) = run(
        &adm("enforce"),
        &review("team-a", &["nginx:1.27", "busybox:latest"]),
    );
    assert_eq!(
        status,
        json!({"allowed": false,
               "reason": "violates podgate image policy: spec.containers[1]: the latest tag is not allowed",
               "auditAnnotations": {"podgate-image-violations": "violates podgate image policy: spec.containers[1]: the latest tag is not allowed"}})
    );
    assert_eq!(out.decision, Decision::Deny);
    assert_eq!(out.resource.as_str(), "imagereview");
    let (status, _) = run(&adm("enforce"), &review("team-a", &["nginx:1.27"]));
    assert_eq!(status, json!({"allowed": true}));
}

#[test]
fn other_modes_and_exemptions_allow() {
    let (status, _) = run(&adm("warn"), &review("team-a", &["busybox:latest"]));
    assert_eq!(status["allowed"], true);
    assert!(status["auditAnnotations"]["podgate-image-violations"]
        .as_str()
        .unwrap()
        .starts_with("would violate"));
    assert_eq!(
        run(&adm("off"), &review("team-a", &["busybox:latest"])).0,
        json!({"allowed": true})
    );
    let (status, out) = run(&adm("enforce"), &review("kube-system", &["busybox:latest"]));
    assert_eq!(status, json!({"allowed": true}));
    assert_eq!(out.decision, Decision::Exempt);
}

#[test]
fn wrong_kind_is_a_request_error() {
    let err = adm("enforce")
        .image_review(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unexpected ImageReview kind: admission.k8s.io/v1, Kind=AdmissionReview"
    );
}

#[test]
fn a_review_that_is_not_a_json_object_is_a_request_error() {
    // serde would read an array as the struct's fields in order; the API
    // server only ever sends an object, and `[]` must not be allowed.
    for body in [
        b"[]".as_slice(),
        br#"["imagepolicy.k8s.io/v1alpha1","ImageReview"]"#,
    ] {
        let err = adm("enforce").image_review(body).unwrap_err();
        assert_eq!(err.to_string(), "unable to decode the request");
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert!(
            source
                .as_deref()
                .unwrap_or("")
                .contains("expected a JSON object"),
            "{source:?}"
        );
    }
}
