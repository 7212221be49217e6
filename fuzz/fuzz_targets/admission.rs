//! Fuzz the admission engine: any request body must get an answer (a
//! response or a `RequestError`), never a panic, a hang or an unbounded
//! allocation. The bytes are tried as a whole AdmissionReview and, when they
//! are JSON, as the object of pod, workload and namespace reviews, with
//! every podgate addition switched on so their decoding runs too.
#![no_main]

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use podgate_admission::{Admission, AdmissionConfig, NamespaceLookup, PodLister};
use podgate_core::model::PodTemplate;
use serde_json::json;

struct Namespaces;

impl NamespaceLookup for Namespaces {
    fn labels(&self, name: &str) -> Option<BTreeMap<String, String>> {
        let level = match name {
            "strict" => "restricted",
            "base" => "baseline",
            _ => return None,
        };
        Some(BTreeMap::from([
            (
                "pod-security.kubernetes.io/enforce".to_string(),
                level.to_string(),
            ),
            (
                "pod-security.kubernetes.io/warn".to_string(),
                "restricted".to_string(),
            ),
            (
                "pod-security.kubernetes.io/audit".to_string(),
                "restricted".to_string(),
            ),
        ]))
    }
}

impl PodLister for Namespaces {
    fn pods(
        &self,
        _: &str,
        _: std::time::Instant,
    ) -> Result<Vec<PodTemplate>, podgate_admission::PodListError> {
        Ok(vec![PodTemplate::default()])
    }
}

fn engine() -> &'static Admission {
    static ENGINE: OnceLock<Admission> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let config = AdmissionConfig::from_yaml_value(json!({
            "mutation": {"enabled": true, "runAsNonRoot": true},
            "images": {"mode": "warn", "policy": {"allowedRegistries": ["registry.example.com"], "denyLatest": true}},
            "rules": {"mode": "audit"},
            "exceptions": {"mode": "enforce", "entries": [
                {"reason": "fuzz", "namespace": "strict", "names": ["a*"], "checks": ["runAsNonRoot", "rule:*", "image:*"]}
            ]}
        }))
        .unwrap_or_default();
        let ns = Arc::new(Namespaces);
        Admission::new(config, ns.clone(), ns)
    })
}

/// A review as kube-apiserver writes it, with `object` spliced in as text.
fn review(group: &str, resource: &str, namespace: &str, operation: &str, object: &str) -> String {
    format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u","kind":{{"group":"{group}","version":"v1","kind":"X"}},"resource":{{"group":"{group}","version":"v1","resource":"{resource}"}},"namespace":"{namespace}","operation":"{operation}","userInfo":{{"username":"fuzz"}},"object":{object},"oldObject":{object}}}}}"#
    )
}

/// The same review with the objects before `resource`: the engine keeps
/// them raw and decodes them later (its other path), which must answer the
/// same.
fn review_objects_first(
    group: &str,
    resource: &str,
    namespace: &str,
    operation: &str,
    object: &str,
) -> String {
    format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"object":{object},"oldObject":{object},"uid":"u","kind":{{"group":"{group}","version":"v1","kind":"X"}},"resource":{{"group":"{group}","version":"v1","resource":"{resource}"}},"namespace":"{namespace}","operation":"{operation}","userInfo":{{"username":"fuzz"}}}}}}"#
    )
}

fuzz_target!(|data: &[u8]| {
    let adm = engine();
    // The API server's deadline for the call.
    let now = Instant::now() + std::time::Duration::from_secs(10);
    let _ = adm.validate(data, now);
    let _ = adm.mutate(data, now);
    let _ = adm.image_review(data);
    // As an object inside well-formed reviews.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return;
    }
    for (group, resource) in [
        ("", "pods"),
        ("apps", "deployments"),
        ("batch", "cronjobs"),
        ("", "replicationcontrollers"),
        ("", "namespaces"),
    ] {
        for namespace in ["strict", "base", "unknown"] {
            for op in ["CREATE", "UPDATE"] {
                let body = review(group, resource, namespace, op, text);
                let single_pass = adm.validate(body.as_bytes(), now);
                let _ = adm.mutate(body.as_bytes(), now);
                let raw_first = review_objects_first(group, resource, namespace, op, text);
                let raw = adm.validate(raw_first.as_bytes(), now);
                // Both decode paths answer alike (errors compared by text).
                match (&single_pass, &raw) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "single-pass and raw decode disagree"),
                    (Err(a), Err(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}")),
                    _ => panic!("single-pass and raw decode disagree: {single_pass:?} vs {raw:?}"),
                }
            }
        }
    }
});
