//! Small helpers for the per-check unit tests.

use crate::model::{ObjectMeta, PodTemplate};
use crate::pss::Forbidden;

/// Parse a pod (metadata + spec) from JSON.
pub(crate) fn pod(v: serde_json::Value) -> PodTemplate {
    serde_json::from_value(v).expect("test pod must deserialize")
}

pub(crate) fn run(
    f: fn(&ObjectMeta, &crate::model::PodSpec) -> Option<Forbidden>,
    v: serde_json::Value,
) -> Option<(String, String)> {
    let p = pod(v);
    f(&p.metadata, &p.spec).map(|fb| (fb.reason, fb.detail))
}

/// Assert a check forbids with exactly this reason and detail.
pub(crate) fn assert_forbidden(got: Option<(String, String)>, reason: &str, detail: &str) {
    match got {
        Some((r, d)) => {
            assert_eq!(r, reason, "reason");
            assert_eq!(d, detail, "detail");
        }
        None => panic!("expected forbidden: {reason} ({detail}), got allowed"),
    }
}
