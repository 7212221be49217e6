//! Small helpers for the rule unit tests.

use super::{evaluate, RuleContext, RuleFinding};
use crate::model::PodTemplate;

/// Parse a pod (metadata + spec) from JSON.
pub(super) fn pod(v: serde_json::Value) -> PodTemplate {
    match serde_json::from_value(v) {
        Ok(p) => p,
        Err(e) => panic!("test pod must deserialize: {e}"),
    }
}

/// Every rule, default or not, on a pod from a workload of this kind.
pub(super) fn run_all(kind: &str, v: serde_json::Value) -> Vec<RuleFinding> {
    evaluate(&RuleContext::new(kind), &pod(v), &|_| true)
}

/// One rule's findings as (message, rendered field paths).
pub(super) fn run(id: &str, kind: &str, v: serde_json::Value) -> Vec<(String, Vec<String>)> {
    assert!(super::rule(id).is_some(), "unknown rule {id}");
    evaluate(&RuleContext::new(kind), &pod(v), &|r| r.id == id)
        .into_iter()
        .map(|f| {
            assert_eq!(f.rule, id);
            (
                f.message,
                f.fields.iter().map(ToString::to_string).collect(),
            )
        })
        .collect()
}

/// Just the messages of one rule's findings.
pub(super) fn messages(id: &str, kind: &str, v: serde_json::Value) -> Vec<String> {
    run(id, kind, v).into_iter().map(|(m, _)| m).collect()
}

/// Assert a rule finds exactly one problem, with this message and these paths.
pub(super) fn assert_one(
    id: &str,
    kind: &str,
    v: serde_json::Value,
    message: &str,
    paths: &[&str],
) {
    let got = run(id, kind, v);
    let want = vec![(
        message.to_string(),
        paths.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
    )];
    assert_eq!(got, want, "rule {id}");
}

/// Assert a rule finds nothing.
pub(super) fn assert_pass(id: &str, kind: &str, v: serde_json::Value) {
    let got = run(id, kind, v);
    assert!(got.is_empty(), "rule {id} should pass, got {got:#?}");
}
