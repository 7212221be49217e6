//! Pod-level rules: process namespace sharing, priority class.
//!
//! Fields: `spec.shareProcessNamespace`, `spec.priorityClassName`.

use super::{spec_field, Hit, RuleContext, RuleInfo, Severity};
use crate::model::PodTemplate;

pub(super) const SHARE_PROCESS_NAMESPACE: RuleInfo = RuleInfo {
    id: "share-process-namespace",
    severity: Severity::Medium,
    title: "Containers do not share a process namespace",
    rationale: "With shareProcessNamespace every container sees and can signal the others' \
                processes and read their environment and filesystems through /proc/<pid>/root, \
                so one compromised container (a sidecar, say) reaches the secrets of all.",
    fix: "Remove spec.shareProcessNamespace, or use an ephemeral debug container with a target instead.",
    field: "spec.shareProcessNamespace",
    default_enabled: true,
};

pub(super) const PRIORITY_CLASS: RuleInfo = RuleInfo {
    id: "priority-class-missing",
    severity: Severity::Low,
    title: "Pods set a priority class",
    rationale: "Without a priorityClassName the pod gets the cluster's global default priority \
                (usually 0), so under pressure it is preempted or evicted in no deliberate order. \
                Off by default: many clusters rely on a global default PriorityClass.",
    fix: "Set spec.priorityClassName to a PriorityClass that matches the workload's importance.",
    field: "spec.priorityClassName",
    default_enabled: false,
};

pub(super) fn share_process_namespace(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    if pod.spec.share_process_namespace == Some(true) {
        out.push(Hit::new(
            "pod sets shareProcessNamespace: true".into(),
            spec_field(&["shareProcessNamespace"]),
        ));
    }
}

pub(super) fn priority_class(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    if pod.spec.priority_class_name.is_empty() {
        out.push(Hit::new(
            "pod has no priorityClassName".into(),
            spec_field(&[]),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_one, assert_pass};
    use serde_json::json;

    #[test]
    fn share_process_namespace() {
        let id = "share-process-namespace";
        assert_pass(id, "Pod", json!({"spec": {}}));
        assert_pass(id, "Pod", json!({"spec": {"shareProcessNamespace": false}}));
        assert_one(
            id,
            "Pod",
            json!({"spec": {"shareProcessNamespace": true}}),
            "pod sets shareProcessNamespace: true",
            &["spec.shareProcessNamespace"],
        );
    }

    #[test]
    fn priority_class() {
        let id = "priority-class-missing";
        assert_pass(id, "Pod", json!({"spec": {"priorityClassName": "high"}}));
        assert_one(
            id,
            "Pod",
            json!({"spec": {}}),
            "pod has no priorityClassName",
            &["spec"],
        );
    }
}
